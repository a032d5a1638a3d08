// The kit's tests: TypeScript through ts-jest, one wxgate per test file.
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  testTimeout: 20000,
  roots: ["<rootDir>/test"],
};
