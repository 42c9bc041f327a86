import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "@linker/protocol/gen/grpc/health/v1/health_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { DEFAULT_HUB_URL, isLoopbackHost } from "@linker/protocol";
import { type HostedHub, type HubStarter, hubStarter } from "./hub-hosting.js";
import type { ClientLogger } from "./client-logger.js";

/** What answered at a hub URL. */
export type ProbeResult =
  /** A Linker hub that serves. */
  | "serving"
  /** A Linker hub that is shutting down or not ready. */
  | "not-serving"
  /** Nothing listens (connection refused). */
  | "unreachable"
  /** Something listens but does not answer as a Linker hub, or not in time. */
  | "unknown";

/** The part this process plays for a hub URL. */
export type HubRole = "hub" | "client";

/** Result of making sure a hub serves a URL. */
export interface HubOutcome {
  /** "hub" when this process serves the URL, "client" when another one does. */
  role: HubRole;
  /** The hub URL. */
  url: string;
  /** True when this call started the hub (a takeover, or the first hub). */
  started: boolean;
  /**
   * True when the hub answering now is not the one that failed: this call
   * started it, or it appeared after a time when nobody answered.
   */
  replaced: boolean;
}

/** Where and how to run the hub of one machine. */
export interface EnsureHubOptions {
  /** Loopback URL of the hub (default http://127.0.0.1:3847). */
  url?: string;
  /** Folder of the shared hub.db (programs pass `$LINKER_HOME` or ~/.linker). */
  dataDir: string;
  /** Starts a hub in this process (default: `@linker/hub` with its defaults, loaded on first use). */
  start?: HubStarter;
  /** Where the supervisor logs what it decides. */
  logger?: ClientLogger;
  /** Time a health probe may take (default 1000 ms). */
  probeTimeoutMs?: number;
  /** How long to keep trying when the port stays taken by something that is not a serving hub (default 15 s). */
  timeoutMs?: number;
}

/** The port is held by a process that does not answer as a Linker hub. */
export class HubPortBusyError extends Error {
  constructor(
    readonly url: string,
    readonly probe: ProbeResult,
  ) {
    super(
      `the port of ${url} is in use but no Linker hub answers there (${probe}); stop the program holding it or choose another port (LINKER_HUB_URL / --port)`,
    );
  }
}

/** Parsed hub URL: it must be http:// on a loopback address. */
function loopbackTarget(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a URL; expected something like ${DEFAULT_HUB_URL}`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (parsed.protocol !== "http:" || !isLoopbackHost(host)) {
    throw new Error(`autoHub only runs a hub on this machine: ${url} must be http:// on 127.0.0.1, ::1 or localhost`);
  }
  // "localhost" may resolve to ::1 or 127.0.0.1; binding one fixed address keeps a single hub per port.
  return { host: host === "localhost" ? "127.0.0.1" : host, port: parsed.port === "" ? 80 : Number(parsed.port) };
}

/**
 * Asks `url` for the health of linker.v1.LinkerService over one short-lived
 * HTTP/1.1 connection (no connection is kept).
 */
export async function probeHub(url: string, timeoutMs = 1_000): Promise<ProbeResult> {
  const health = createClient(Health, createConnectTransport({ baseUrl: url, httpVersion: "1.1", nodeOptions: { agent: false } }));
  try {
    const response = await health.check({ service: LinkerService.typeName }, { timeoutMs });
    return response.status === ServingStatus.SERVING ? "serving" : "not-serving";
  } catch (err) {
    const connectError = ConnectError.from(err);
    if (connectError.code === Code.Unavailable && refused(err)) return "unreachable";
    return "unknown";
  }
}

function refused(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current: unknown = err; current instanceof Error && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    if ((current as NodeJS.ErrnoException).code === "ECONNREFUSED") return true;
  }
  return false;
}

function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE";
}

/** Where a hub serving the loopback `url` from `dataDir` listens. */
export function hubSiteOf(url: string, dataDir: string) {
  return { ...loopbackTarget(url), dataDir };
}

/**
 * Makes sure a Linker hub serves `url`: if one answers, this process is a
 * client; if nothing answers, it starts a hub on that port in this process,
 * serving the shared `<dataDir>/hub.db`. Binding the port decides who wins:
 * of processes racing here, exactly one binds it and the others get
 * EADDRINUSE, probe again and become clients. Returns the started hub, if any.
 */
export async function ensureHub(options: EnsureHubOptions): Promise<HubOutcome & { hub?: HostedHub }> {
  const url = options.url ?? DEFAULT_HUB_URL;
  const site = hubSiteOf(url, options.dataDir);
  const start = options.start ?? hubStarter();
  const probeTimeoutMs = options.probeTimeoutMs ?? 1_000;
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let probe: ProbeResult = "unknown";
  for (let attempt = 0; ; attempt++) {
    probe = await probeHub(url, probeTimeoutMs);
    if (probe === "serving") return { role: "client", url, started: false, replaced: attempt > 0 };
    try {
      const hub = await start(site);
      return { role: "hub", url, started: true, replaced: true, hub };
    } catch (err) {
      if (!isAddressInUse(err)) throw err;
    }
    // Someone holds the port: a hub that is starting or stopping, or a stranger.
    if (Date.now() >= deadline) throw new HubPortBusyError(url, probe);
    await sleep(Math.min(500, 25 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random()));
  }
}

/** Options of the hub supervisor. */
export interface HubSupervisorOptions extends EnsureHubOptions {
  /** Upper bound of the random wait before a takeover attempt (default 2000 ms). */
  maxTakeoverDelayMs?: number;
  /** Interval of health probes during that wait; a hub that appears ends the wait (default 100 ms). */
  pollIntervalMs?: number;
  /** Source of randomness in [0, 1). */
  random?: () => number;
}

/**
 * Keeps one hub serving a loopback URL for the clients of this machine (the
 * Claude Team election, made lossless by the shared SQLite file). `ensure()`
 * finds or starts the hub; `recover()`, called when the hub went away, waits a
 * random 0–2 s (ending early as soon as another process's hub answers) and
 * then finds or starts it again. Concurrent calls share one attempt. Whoever
 * binds the port serves; everyone else connects to it, so all supervisors of
 * a URL converge on exactly one hub.
 */
export class HubSupervisor {
  /** The hub URL. */
  readonly url: string;
  private running: HostedHub | undefined;
  private pending: Promise<HubOutcome> | undefined;
  private closed = false;
  private readonly random: () => number;

  constructor(private readonly options: HubSupervisorOptions) {
    this.url = options.url ?? DEFAULT_HUB_URL;
    loopbackTarget(this.url);
    this.random = options.random ?? Math.random;
  }

  /** True while this process serves the hub. */
  get hosting(): boolean {
    return this.running !== undefined;
  }

  /** The hub this process serves, if it does. */
  get runningHub(): HostedHub | undefined {
    return this.running;
  }

  /** Finds the hub, or starts it here when nobody serves the URL. */
  ensure(): Promise<HubOutcome> {
    return this.once(() => this.find());
  }

  /**
   * Called after the hub stopped answering: waits a random time up to
   * `maxTakeoverDelayMs`, probing meanwhile, then finds or starts the hub.
   */
  recover(): Promise<HubOutcome> {
    return this.once(async () => {
      if (this.running) {
        if ((await probeHub(this.url, this.options.probeTimeoutMs ?? 1_000)) !== "unreachable") {
          return { role: "hub", url: this.url, started: false, replaced: false };
        }
        // The hub of this process no longer listens: release it and elect again.
        const dead = this.running;
        this.running = undefined;
        await dead.close().catch(() => undefined);
      }
      const waitMs = this.random() * (this.options.maxTakeoverDelayMs ?? 2_000);
      const until = Date.now() + waitMs;
      const pollMs = this.options.pollIntervalMs ?? 100;
      for (let probes = 0; !this.closed; probes++) {
        if ((await probeHub(this.url, this.options.probeTimeoutMs ?? 1_000)) === "serving") {
          return { role: "client", url: this.url, started: false, replaced: probes > 0 };
        }
        const left = until - Date.now();
        if (left <= 0) break;
        await sleep(Math.min(pollMs, left));
      }
      const outcome = await this.find();
      return { ...outcome, replaced: true };
    });
  }

  /** Stops the hub this process serves (its clients then take over). */
  async close(): Promise<void> {
    this.closed = true;
    await this.pending?.catch(() => undefined);
    const running = this.running;
    this.running = undefined;
    await running?.close();
  }

  private async find(): Promise<HubOutcome> {
    if (this.closed) throw new Error("the hub supervisor is closed");
    if (this.running) return { role: "hub", url: this.url, started: false, replaced: false };
    const outcome = await ensureHub({ ...this.options, url: this.url });
    if (outcome.hub) {
      if (this.closed) {
        await outcome.hub.close();
        throw new Error("the hub supervisor is closed");
      }
      this.running = outcome.hub;
      this.options.logger?.info({ url: this.url }, "this process now serves the hub");
    }
    return { role: outcome.role, url: this.url, started: outcome.started, replaced: outcome.replaced };
  }

  private once(run: () => Promise<HubOutcome>): Promise<HubOutcome> {
    this.pending ??= run().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }
}
