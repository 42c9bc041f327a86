import { isLoopbackHost } from "@linker/protocol";
import type { HostedHub, HubStarter } from "./hub-hosting.js";
import { HUB_PROCESS_EXIT, type HubProcessReport, parseHubProcessArgs } from "./hub-process-protocol.js";

/** The store cannot open in this runtime (for example node:sqlite is missing). */
export class StoreUnavailableError extends Error {
  constructor(
    message: string,
    /** Runtime flags that may make it available (the parent retries with them once). */
    readonly retryArgs: string[] = [],
  ) {
    super(message);
  }
}

/** What a hub child process runs. */
export interface HubProcessOptions {
  /** Starts the hub (for example `hubStarter()` with the store this bundle carries). */
  start: HubStarter;
  /**
   * Checks that the store opens in this runtime before the port is bound;
   * returns what it is ("node:sqlite (SQLite 3.50.4)"), throws
   * StoreUnavailableError when it cannot open.
   */
  checkStore: () => string;
  /** Arguments after the script (default process.argv.slice(2)). */
  argv?: readonly string[];
  /** Where reports go (default stdout). */
  output?: NodeJS.WritableStream;
  /** Closing it stops the hub (default stdin). */
  input?: NodeJS.ReadableStream;
  /** Ends the process (default process.exit). */
  exit?: (code: number) => void;
}

/** The runtime, as reports and logs name it: "Node v22.13.0" or "Node v22.14.0 (Electron 35.1.0)". */
export function runtimeDescription(versions: NodeJS.ProcessVersions = process.versions): string {
  const electron = (versions as NodeJS.ProcessVersions & { electron?: string }).electron;
  return `Node v${versions.node}${electron ? ` (Electron ${electron})` : ""}`;
}

/**
 * The body of a hub child process: checks the store, binds the port and
 * serves the hub, reporting each outcome as one JSON line on stdout
 * (HubProcessReport). It stops gracefully — streams end with UNAVAILABLE,
 * the store is checkpointed and closed — when its stdin closes (the parent
 * asked it to stop, or the parent died) or on SIGTERM/SIGINT, so the hub
 * never outlives the process that started it. Resolves when it exited.
 */
export async function runHubProcess(options: HubProcessOptions): Promise<void> {
  const output = options.output ?? process.stdout;
  const input = options.input ?? process.stdin;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const report = (value: HubProcessReport) => new Promise<void>((done) => output.write(`${JSON.stringify(value)}\n`, () => done()));
  const runtime = runtimeDescription();
  let site;
  try {
    site = parseHubProcessArgs(options.argv ?? process.argv.slice(2));
    if (!isLoopbackHost(site.host)) throw new Error(`a hub child process only binds a loopback address, not ${site.host}`);
  } catch (err) {
    await report({ event: "failed", message: messageOf(err) });
    return exit(HUB_PROCESS_EXIT.failed);
  }
  let store: string;
  try {
    store = options.checkStore();
  } catch (err) {
    await report({ event: "unavailable", runtime, reason: messageOf(err), ...(err instanceof StoreUnavailableError && err.retryArgs.length > 0 ? { retryArgs: err.retryArgs } : {}) });
    return exit(HUB_PROCESS_EXIT.unavailable);
  }
  let stopRequested = false;
  let hub: HostedHub | undefined;
  let stopping: Promise<void> | undefined;
  let stopped: () => void = () => {};
  const stop = () => {
    stopRequested = true;
    if (!hub) return;
    stopping ??= hub
      .close()
      .catch(() => undefined)
      .then(() => report({ event: "stopped" }))
      .then(() => {
        stopped();
        exit(HUB_PROCESS_EXIT.stopped);
      });
  };
  input.on("end", stop);
  input.on("close", stop);
  input.on("error", stop);
  input.resume();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  try {
    hub = await options.start(site);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      await report({ event: "port-in-use", message: messageOf(err) });
      return exit(HUB_PROCESS_EXIT.portInUse);
    }
    await report({ event: "failed", message: messageOf(err) });
    return exit(HUB_PROCESS_EXIT.failed);
  }
  const done = new Promise<void>((resolve) => (stopped = resolve));
  await report({ event: "listening", url: hub.url, pid: process.pid, runtime, store });
  if (stopRequested) stop();
  await done;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
