// The kit's tests: TypeScript through ts-jest, one wxgate per test file. The example mini program requires the kit
// from ../../wxgate (where `make kit-example` builds it for DevTools); here that is the kit's source itself.
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  testTimeout: 20000,
  roots: ["<rootDir>/test"],
  moduleNameMapper: { "^\\.\\./\\.\\./wxgate/index$": "<rootDir>/src/index.ts" },
};
