import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { ClientLogger } from "./client-logger.js";
import type { HostedHub, HubSite } from "./hub-hosting.js";
import { hubProcessArgs, type HubProcessReport, parseHubProcessReport } from "./hub-process-protocol.js";

/** Runtime flags a hub child may ask to be restarted with; nothing else is ever added to its command line. */
const RETRYABLE_ARGS = new Set(["--experimental-sqlite"]);
/** Lines of the child's stderr kept for error messages. */
const STDERR_TAIL_LINES = 8;

/** How to run the hub as a child process. */
export interface HubProcessStarterOptions {
  /** The runtime executable (a `node`, or VS Code's own runtime with ELECTRON_RUN_AS_NODE=1 in `env`). */
  runtime: string;
  /** The hub-process script it runs (a bundle whose main calls runHubProcess). */
  script: string;
  /** Flags before the script. */
  runtimeArgs?: string[];
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where the child's log lines go (its stderr: pino JSON lines or text). */
  logger?: ClientLogger;
  /** How long the child may take to report (default 20 s). */
  startTimeoutMs?: number;
  /** How long a stop may take before the child is killed (default 10 s). */
  stopTimeoutMs?: number;
}

/** This runtime cannot run the hub: not found, too old, or its store does not open there. */
export class HubRuntimeUnavailableError extends Error {
  constructor(
    /** The runtime executable. */
    readonly runtime: string,
    /** Why, in a few words. */
    readonly reason: string,
  ) {
    super(`${runtime} cannot run the hub: ${reason}`);
  }
}

/** A hub running in a child process. */
export interface HubProcess extends HostedHub {
  /** The child's process id. */
  readonly pid: number;
  /** The child's runtime ("Node v22.13.0"). */
  readonly runtimeVersion: string;
  /** The child's store ("node:sqlite (SQLite 3.50.4)"). */
  readonly store: string;
  /** Resolves when the child exited, with its exit code or signal. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

/**
 * A HubStarter that runs the hub as a child process: `runtime [runtimeArgs]
 * script --host … --port … --data-dir …`, serving the same `<dataDir>/hub.db`
 * as any other hub of the machine. Resolves once the child reports that it
 * listens; rejects with an EADDRINUSE error when another process holds the
 * port (so the election connects to it), and with HubRuntimeUnavailableError
 * when the runtime cannot run the hub (missing, too old, no store driver).
 * When the child asks for a runtime flag (node:sqlite behind
 * --experimental-sqlite) it is started once more with it. close() closes the
 * child's stdin, which makes it stop gracefully; a child that has not exited
 * after `stopTimeoutMs` is killed. The child also stops when this process
 * dies (its stdin closes), so a hub never outlives the process that started it.
 */
export function hubProcessStarter(options: HubProcessStarterOptions): (site: HubSite) => Promise<HubProcess> {
  return async (site) => {
    let runtimeArgs = options.runtimeArgs ?? [];
    for (;;) {
      const outcome = await startOnce(options, runtimeArgs, site);
      if (outcome.event === "listening") return outcome.hub;
      const retry = (outcome.retryArgs ?? []).filter((arg) => RETRYABLE_ARGS.has(arg) && !runtimeArgs.includes(arg));
      if (retry.length === 0) throw new HubRuntimeUnavailableError(options.runtime, `${outcome.runtime ? `${outcome.runtime}: ` : ""}${outcome.reason}`);
      runtimeArgs = [...runtimeArgs, ...retry];
    }
  };
}

type StartOutcome = { event: "listening"; hub: HubProcess } | { event: "unavailable"; runtime: string; reason: string; retryArgs?: string[] };

function startOnce(options: HubProcessStarterOptions, runtimeArgs: string[], site: HubSite): Promise<StartOutcome> {
  const logger = options.logger;
  let child: ChildProcess;
  try {
    child = spawn(options.runtime, [...runtimeArgs, options.script, ...hubProcessArgs(site)], {
      stdio: ["pipe", "pipe", "pipe"],
      // Without an env, the child inherits this process's (node's own default).
      env: options.env,
      windowsHide: true,
    });
  } catch (err) {
    return Promise.reject(new HubRuntimeUnavailableError(options.runtime, err instanceof Error ? err.message : String(err)));
  }
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    forwardLogLine(line, logger);
  });
  const exited = new Promise<number | NodeJS.Signals>((done) => child.once("exit", (code, signal) => done(signal ?? code ?? 0)));
  child.stdin!.on("error", () => undefined);
  return new Promise<StartOutcome>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timeoutMs = options.startTimeoutMs ?? 20_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      settle(() => reject(new HubRuntimeUnavailableError(options.runtime, `the hub process did not report within ${timeoutMs} ms${tail(stderrTail)}`)));
    }, timeoutMs);
    child.once("error", (err: NodeJS.ErrnoException) => {
      const reason = err.code === "ENOENT" ? "not found" : err.code === "EACCES" ? "not executable" : err.message;
      settle(() => reject(new HubRuntimeUnavailableError(options.runtime, reason)));
    });
    void exited.then((code) => {
      settle(() => reject(new HubRuntimeUnavailableError(options.runtime, `it exited (${code}) before the hub started${tail(stderrTail)}`)));
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const report = parseHubProcessReport(line);
      if (!report) {
        if (line.trim() !== "") logger?.debug({ line }, "hub process stdout");
        return;
      }
      handle(report);
    });
    const handle = (report: HubProcessReport) => {
      switch (report.event) {
        case "listening": {
          const hub = runningChild(child, report, exited, options);
          settle(() => resolve({ event: "listening", hub }));
          break;
        }
        case "unavailable":
          settle(() => resolve({ event: "unavailable", runtime: report.runtime, reason: report.reason, retryArgs: report.retryArgs }));
          break;
        case "port-in-use":
          settle(() => reject(Object.assign(new Error(report.message || `port ${site.port} is in use`), { code: "EADDRINUSE" })));
          break;
        case "failed":
          settle(() => reject(new Error(`the hub process failed to start: ${report.message}`)));
          break;
        case "stopped":
          break;
      }
    };
  });
}

function runningChild(child: ChildProcess, report: Extract<HubProcessReport, { event: "listening" }>, exited: Promise<number | NodeJS.Signals>, options: HubProcessStarterOptions): HubProcess {
  let closing: Promise<void> | undefined;
  let stopping = false;
  void exited.then((code) => {
    if (!stopping) options.logger?.error({ pid: report.pid, code }, "the hub process exited unexpectedly");
  });
  return {
    url: report.url,
    pid: report.pid || (child.pid ?? 0),
    runtimeVersion: report.runtime,
    store: report.store,
    description: `in a child process (${options.runtime}, ${report.runtime}, ${report.store}, pid ${report.pid || child.pid})`,
    exited,
    close() {
      closing ??= (async () => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.stdin!.end();
        const timeoutMs = options.stopTimeoutMs ?? 10_000;
        let timer: NodeJS.Timeout | undefined;
        const killed = new Promise<void>((done) => {
          timer = setTimeout(() => {
            options.logger?.warn({ pid: child.pid, timeoutMs }, "the hub process did not stop in time; killing it");
            child.kill("SIGKILL");
            done();
          }, timeoutMs);
        });
        await Promise.race([exited, killed]);
        clearTimeout(timer);
        await exited;
      })();
      return closing;
    },
  };
}

/** Writes one stderr line of the child to `logger`: pino JSON at its level, anything else as a warning. */
function forwardLogLine(line: string, logger: ClientLogger | undefined): void {
  if (!logger || line.trim() === "") return;
  let entry: { level?: unknown; msg?: unknown; [key: string]: unknown } | undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === "object" && parsed !== null) entry = parsed as typeof entry;
  } catch {
    entry = undefined;
  }
  if (!entry) {
    logger.warn({ line }, "hub process");
    return;
  }
  const { level, msg, time: _time, pid: _pid, hostname: _host, ...details } = entry;
  const message = typeof msg === "string" ? msg : "";
  const severity = typeof level === "number" ? level : 30;
  if (severity >= 50) logger.error(details, message);
  else if (severity >= 40) logger.warn(details, message);
  else if (severity >= 30) logger.info(details, message);
  else logger.debug(details, message);
}

function tail(lines: string[]): string {
  return lines.length > 0 ? `: ${lines.join(" | ").slice(-600)}` : "";
}
