import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { tempDir } from "./temp-dir.js";

/** Path of the `linker` entry point. */
export const LINKER_BIN = resolve(import.meta.dirname, "../../bin/linker.js");

/** A `linker hub` child process on a free port. */
export interface HubProcess {
  /** Base URL. */
  url: string;
  /** The data folder (hub.db lives here). */
  dataDir: string;
  /** The child process. */
  child: ChildProcess;
  /** Everything the hub wrote to stderr so far (JSON log lines). */
  stderr(): string;
  /** Everything the hub wrote to stdout so far (its URL, TLS fingerprint, dashboard). */
  stdoutText(): string;
  /** Sends a signal and waits for the process to exit; resolves to its exit code or signal. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals>;
}

/**
 * Starts `linker hub --port <port>` as a real child process (port 0 picks a
 * free one) and resolves once it prints its URL. Reuse `dataDir` to restart
 * on the same database.
 */
export async function startHubProcess(
  options: { dataDir?: string; port?: number; args?: string[]; env?: Record<string, string> } = {},
): Promise<HubProcess> {
  const dataDir = options.dataDir ?? tempDir("linker-hub-");
  const child = spawn(process.execPath, [LINKER_BIN, "hub", "--port", String(options.port ?? 0), "--data-dir", dataDir, ...(options.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LINKER_LOG_LEVEL: process.env.LINKER_LOG_LEVEL ?? "warn", ...options.env },
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | NodeJS.Signals>((done) => child.once("exit", (code, signal) => done(signal ?? code ?? 0)));
  let stdout = "";
  const url = await new Promise<string>((done, fail) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /listening on (https?:\/\/\S+)/.exec(stdout);
      if (match) done(match[1]);
    });
    exited.then((code) => fail(new Error(`hub exited (${code}) before listening:\n${stderr}`)));
  });
  return {
    url,
    dataDir,
    child,
    stderr: () => stderr,
    stdoutText: () => stdout,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
