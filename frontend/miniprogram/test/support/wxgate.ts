// A real `wxgate serve` in sandbox mode for the kit's tests: the binary `make` built (WXGATE_BIN), a fresh SQLite
// data folder, a free port; stopped when the test file ends.

import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export interface RunningWxgate {
  baseUrl: string;
  /** The sandbox's mini-program appid, as `GET /sandbox` names it. */
  mpAppid: string;
  /** Makes an API key with `scopes` (`wxgate keys create`), as the product's backend holds one. */
  apiKey(scopes: string[]): string;
  stop(): Promise<void>;
}

const repositoryRoot = path.resolve(__dirname, "../../../..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

async function answering(url: string, process: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (process.exitCode !== null) {
      throw new Error(`wxgate exited with ${process.exitCode}:\n${log()}`);
    }
    try {
      if ((await fetch(url)).ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`wxgate did not answer at ${url}:\n${log()}`);
}

/** Starts wxgate with `env` over the sandbox defaults. */
export async function startWxgate(env: Record<string, string> = {}): Promise<RunningWxgate> {
  const binary = process.env.WXGATE_BIN;
  if (!binary) {
    throw new Error("WXGATE_BIN must name the wxgate binary (make kit-tests sets it)");
  }
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "wxgate-kit-"));
  const baseUrl = `http://127.0.0.1:${port}`;
  const environment = {
    ...process.env,
    WXGATE_MODE: "sandbox",
    DATABASE_URL: "",
    WXGATE_RECONCILE_AT: "off",
    RUST_LOG: "warn",
    ...env,
  };
  const child = spawn(binary, ["serve", "--addr", `127.0.0.1:${port}`, "--data-dir", dataDir], {
    cwd: repositoryRoot,
    env: environment,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  let described: { mp_appid: string };
  try {
    await answering(`${baseUrl}/healthz`, child, () => output);
    described = (await (await fetch(`${baseUrl}/sandbox`)).json()) as { mp_appid: string };
  } catch (error) {
    child.kill("SIGTERM");
    throw error;
  }
  return {
    baseUrl,
    mpAppid: described.mp_appid,
    apiKey: (scopes) => {
      const args = ["--data-dir", dataDir, "keys", "create", "--name", "kit test"];
      scopes.forEach((scope) => args.push("--scope", scope));
      const made = spawnSync(binary, args, { cwd: repositoryRoot, env: environment, encoding: "utf8" });
      const key = /^key: (\S+)$/m.exec(made.stdout)?.[1];
      if (made.status !== 0 || !key) {
        throw new Error(`wxgate keys create failed:\n${made.stdout}${made.stderr}`);
      }
      return key;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => {
          fs.rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}
