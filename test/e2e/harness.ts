import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { type Protocol, transportFor } from "../support/clients.js";
import { LINKER_BIN } from "../support/hub-process.js";
export { freePort } from "../support/free-port.js";

/** Both wire protocols: gRPC over h2c and Connect over HTTP/1.1. */
export const PROTOCOLS: readonly Protocol[] = ["grpc", "connect"];

/** A transport factory for `registerAgent`. */
export function transports(url: string, protocol: Protocol, extra: Interceptor[] = []): (interceptors: Interceptor[]) => Transport {
  return (interceptors) => transportFor(url, protocol, [...extra, ...interceptors]);
}

/** A child process with its output collected as it arrives. */
export interface TrackedChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code, or the signal that ended the process. */
  exited: Promise<number | NodeJS.Signals>;
  /** Resolves once stdout matches `pattern`; rejects if the process exits first or `timeoutMs` passes. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals>;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

process.once("exit", () => {
  for (const child of live) if (isRunning(child)) child.kill("SIGKILL");
});

/**
 * Spawns a process (without inherited LINKER_* variables) that `killAll`, and
 * this worker's exit, will kill if it is still running.
 */
export function spawnTracked(command: string, args: string[], env: NodeJS.ProcessEnv = {}): TrackedChild {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("LINKER_")));
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...inherited, ...env } });
  live.add(child);
  let stdout = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const waiter of waiters) waiter();
  };
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    changed();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once("close", (code, signal) => {
      live.delete(child);
      changed();
      resolve(signal ?? code ?? 0);
    });
  });
  const tracked: TrackedChild = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForStdout(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) {
            finish();
            resolve(match);
          } else if (!live.has(child)) {
            finish();
            reject(new Error(`${command} exited before printing ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (isRunning(child)) child.kill(signal);
      return exited;
    },
  };
  return tracked;
}

/** SIGKILLs every tracked process still running, except `keep`, and waits for them; call from afterEach. */
export async function killAll(keep: readonly TrackedChild[] = []): Promise<void> {
  const kept = new Set(keep.map((k) => k.child));
  const running = [...live].filter((child) => !kept.has(child));
  for (const child of running) if (isRunning(child)) child.kill("SIGKILL");
  await Promise.all(running.map((child) => (isRunning(child) ? new Promise((resolve) => child.once("close", resolve)) : undefined)));
}

/** A fresh temporary folder that `removeTempDirs` deletes. */
export function tempDir(prefix = "linker-e2e-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Deletes every folder made by `tempDir`; call from afterAll. */
export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** A running `linker hub` child. */
export interface Hub extends TrackedChild {
  url: string;
  port: number;
  dataDir: string;
}

/** Options of `launchHub`. */
export interface LaunchOptions {
  /** Data folder; a fresh temporary one when absent. */
  dataDir?: string;
  /** Port; 0 (any free port) when absent. */
  port?: number;
  /** Extra `linker hub` arguments. */
  args?: string[];
  /** LINKER_LOG_LEVEL of the child ("warn" when absent). */
  logLevel?: string;
  /** Extra environment variables. */
  env?: NodeJS.ProcessEnv;
}

/** Spawns `linker hub` without waiting for it (for processes expected to exit). */
export function spawnHub(options: LaunchOptions = {}): TrackedChild & { dataDir: string } {
  const dataDir = options.dataDir ?? tempDir("linker-e2e-hub-");
  const child = spawnTracked(
    process.execPath,
    [LINKER_BIN, "hub", "--port", String(options.port ?? 0), "--data-dir", dataDir, ...(options.args ?? [])],
    { LINKER_LOG_LEVEL: options.logLevel ?? "warn", ...options.env },
  );
  return { ...child, dataDir };
}

/** Starts `linker hub` and resolves once it prints the URL it listens on. */
export async function launchHub(options: LaunchOptions = {}): Promise<Hub> {
  const hub = spawnHub(options);
  const match = await hub.waitForStdout(/listening on (https?:\/\/\S+)/, 15_000);
  const url = match[1];
  return { ...hub, url, port: Number(new URL(url).port) };
}

/** Polls `condition` every `intervalMs` until it holds; throws after `timeoutMs` with `what`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The ConnectError a promise rejects with; fails if it resolves. */
export async function connectErrorOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** Name of a Code, for readable assertions ("Unavailable"). */
export function codeName(code: Code): string {
  return Code[code];
}

/** Path of the native `buf` binary (not the npm wrapper, which would orphan it when killed). */
export const BUF_BIN: string = (() => {
  const platforms: Record<string, string> = {
    "linux x64": "@bufbuild/buf-linux-x64",
    "linux arm64": "@bufbuild/buf-linux-aarch64",
    "darwin x64": "@bufbuild/buf-darwin-x64",
    "darwin arm64": "@bufbuild/buf-darwin-arm64",
  };
  const pkg = platforms[`${process.platform} ${arch()}`];
  if (!pkg) throw new Error(`no buf binary package for ${process.platform} ${arch()}`);
  return createRequire(import.meta.url).resolve(`${pkg}/bin/buf`);
})();

/** Result of a finished command. */
export interface CommandResult {
  code: number | NodeJS.Signals;
  stdout: string;
  stderr: string;
}

/** Runs `buf curl <args>` to completion (killed after `timeoutMs`). */
export async function bufCurl(args: string[], timeoutMs = 10_000): Promise<CommandResult> {
  const run = spawnTracked(BUF_BIN, ["curl", ...args]);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), timeoutMs);
  const code = await run.exited;
  clearTimeout(timer);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** `buf curl` flags for gRPC over h2c. */
export const GRPC_FLAGS = ["--protocol", "grpc", "--http2-prior-knowledge"];
/** `buf curl` flags for Connect over HTTP/1.1. */
export const CONNECT_FLAGS = ["--protocol", "connect"];
