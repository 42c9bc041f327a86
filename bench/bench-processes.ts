import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { MEMORY_PROBE_MARKER } from "./memory-probe-marker.js";

const ROOT = resolve(import.meta.dirname, "..");
const LINKER_BIN = join(ROOT, "bin/linker.js");
const RAW_BASELINE_SERVER = join(ROOT, "bench/raw-baseline-server.ts");
const MEMORY_PROBE = join(ROOT, "bench/memory-probe.ts");
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** Node flags that preload the memory probe (and tsx, which the probe needs). */
export const MEMORY_PROBE_FLAGS = ["--expose-gc", "--conditions=linker-source", "--import", "tsx", "--import", MEMORY_PROBE];

/** A server the bench started as a child process. */
export interface ServerProcess {
  /** What runs in it ("linker hub (sqlite)", "raw http2"). */
  label: string;
  /** Base URL. */
  url: string;
  /** Process id. */
  pid: number;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Stops it (SIGTERM, then SIGKILL after a grace period) and removes its data folder. */
  stop(): Promise<void>;
}

/** Memory of a process as its own `process.memoryUsage()` reports it after a full GC. */
export interface ProbedMemory {
  /** Resident set size, bytes. */
  rss: number;
  /** V8 heap in use, bytes. */
  heapUsed: number;
  /** Memory of C++ objects bound to JS objects (buffers, nghttp2), bytes. */
  external: number;
}

const running = new Set<ChildProcess>();

process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

async function startServer(label: string, args: string[], listening: RegExp, dataDir?: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LINKER_LOG_LEVEL: "warn" },
  });
  running.add(child);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((done) =>
    child.once("exit", () => {
      running.delete(child);
      done();
    }),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((done, fail) => {
      let stdout = "";
      const timer = setTimeout(() => fail(new Error(`${label} did not start within ${START_TIMEOUT_MS} ms:\n${stderr}`)), START_TIMEOUT_MS);
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        const match = listening.exec(stdout);
        if (match) {
          clearTimeout(timer);
          done(match[1]);
        }
      });
      exited.then(() => {
        clearTimeout(timer);
        fail(new Error(`${label} exited before listening:\n${stderr}`));
      });
    });
    return { label, url, pid: child.pid!, stderr: () => stderr, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts `linker hub` exactly as a user would (`node bin/linker.js hub --port 0
 * --data-dir <fresh temp dir>`, default settings but no per-instance send rate
 * and room for the memory scenario's 10,000 instances (the bench measures what
 * the hub can carry, not its default limits), SQLite unless `store` says
 * otherwise: `memory`, or `postgres` on `postgresUrl`), with optional extra
 * node flags such as `--cpu-prof`.
 */
export function startLinkerHub(options: { store?: "sqlite" | "memory" | "postgres"; postgresUrl?: string; nodeFlags?: string[] } = {}): Promise<ServerProcess> {
  const store = options.store ?? "sqlite";
  const dataDir = mkdtempSync(join(tmpdir(), "linker-bench-"));
  const args = [...(options.nodeFlags ?? []), LINKER_BIN, "hub", "--port", "0", "--data-dir", dataDir, "--send-rate", "0", "--max-instances", "100000"];
  if (store !== "sqlite") args.push("--store", store);
  if (store === "postgres") args.push("--postgres-url", options.postgresUrl ?? "");
  return startServer(`linker hub (${store})`, args, /listening on (http:\/\/\S+)/, dataDir);
}

/** Starts the raw `node:http2` baseline server. */
export function startRawBaseline(options: { nodeFlags?: string[] } = {}): Promise<ServerProcess> {
  const flags = options.nodeFlags ?? [];
  const loader = flags.includes("tsx") ? [] : ["--conditions=linker-source", "--import", "tsx"];
  const args = [...flags, ...loader, RAW_BASELINE_SERVER];
  return startServer("raw node:http2", args, /listening on (http:\/\/\S+)/);
}

/** Stops every child process still running. */
export async function stopAllServers(): Promise<void> {
  for (const child of running) child.kill("SIGKILL");
}

/** VmRSS of a process from /proc, in bytes. */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/**
 * Asks a process started with MEMORY_PROBE_FLAGS to collect garbage and report
 * its memory; resolves with the report it writes to stderr.
 */
export async function probeMemory(server: ServerProcess, timeoutMs = 5_000): Promise<ProbedMemory> {
  const count = () => server.stderr().split(MEMORY_PROBE_MARKER).length - 1;
  const before = count();
  process.kill(server.pid, "SIGUSR2");
  const deadline = Date.now() + timeoutMs;
  while (count() === before) {
    if (Date.now() > deadline) throw new Error(`${server.label} did not answer the memory probe`);
    await new Promise((done) => setTimeout(done, 20));
  }
  const line = server.stderr().split(MEMORY_PROBE_MARKER).at(-1)!.split("\n")[0];
  const report = JSON.parse(line) as ProbedMemory & { gc: boolean };
  if (!report.gc) throw new Error(`${server.label} runs without --expose-gc`);
  return { rss: report.rss, heapUsed: report.heapUsed, external: report.external };
}

/** Starts the servers a scenario measures, each in a fresh child process. */
export interface ServerLauncher {
  /** A fresh default-config SQLite hub; with `memoryProbe` it also answers probeMemory. */
  hub(options?: { memoryProbe?: boolean }): Promise<ServerProcess>;
  /** A fresh raw baseline server; with `memoryProbe` it also answers probeMemory. */
  raw(options?: { memoryProbe?: boolean }): Promise<ServerProcess>;
}

/**
 * A launcher; with `cpuProfileDir` the n-th hub writes V8 CPU profiles to
 * `<cpuProfileDir>/hub-<n>/` when it stops, one per thread (the largest is
 * the main thread; open it in Chrome DevTools or speedscope).
 */
export function createServerLauncher(options: { cpuProfileDir?: string } = {}): ServerLauncher {
  let hubs = 0;
  return {
    hub(hubOptions = {}) {
      hubs += 1;
      const flags = hubOptions.memoryProbe ? [...MEMORY_PROBE_FLAGS] : [];
      if (options.cpuProfileDir) flags.push("--cpu-prof", `--cpu-prof-dir=${join(options.cpuProfileDir, `hub-${hubs}`)}`);
      return startLinkerHub({ nodeFlags: flags });
    },
    raw(rawOptions = {}) {
      return startRawBaseline({ nodeFlags: rawOptions.memoryProbe ? [...MEMORY_PROBE_FLAGS] : [] });
    },
  };
}

/** Runs `fn` with a started server and stops the server afterwards, whatever happens. */
export async function withServer<T>(start: Promise<ServerProcess>, fn: (server: ServerProcess) => Promise<T>): Promise<T> {
  const server = await start;
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** User plus system CPU time a process has used so far, from /proc/PID/stat, milliseconds. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return ((userTicks + systemTicks) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** CPU time the server and the bench's own process used during one measured phase. */
export interface PhaseCpu {
  /** Server process CPU, milliseconds. */
  serverMs: number;
  /** Bench (client) process CPU, milliseconds. */
  clientMs: number;
}

/** Starts counting CPU time of `pid` and of this process; call the result to stop. */
export function startCpuMeter(pid: number): () => PhaseCpu {
  const server = processCpuMs(pid);
  const client = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(client);
    return { serverMs: processCpuMs(pid) - server, clientMs: (used.user + used.system) / 1000 };
  };
}
