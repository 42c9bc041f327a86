import type { ClientLogger } from "./client-logger.js";
import type { HubStarter } from "./hub-hosting.js";

/** Result of finding or starting the hub of a loopback URL. */
export interface HubKeeperOutcome {
  /** "hub" when this process serves the URL, "client" when another process does. */
  role: "hub" | "client";
  /** The hub URL. */
  url: string;
  /** True when this call started the hub here. */
  started: boolean;
  /** True when the hub answering now is not the one that failed. */
  replaced: boolean;
}

/**
 * What the client needs from a hub supervisor (hub-election.ts provides
 * one): find or start the hub, recover after it went away, and stop the hub
 * this process serves.
 */
export interface HubKeeper {
  /** The hub URL. */
  readonly url: string;
  /** True while this process serves the hub. */
  readonly hosting: boolean;
  /** Finds the hub, or starts it in this process when nobody serves the URL. */
  ensure(): Promise<HubKeeperOutcome>;
  /** After the hub went away: waits a random 0–2 s (less if a hub appears), then finds or starts it. */
  recover(): Promise<HubKeeperOutcome>;
  /** Stops the hub this process serves, if any. */
  close(): Promise<void>;
}

/** Settings of a client that keeps the machine's hub alive (the default of the MCP server and `--auto-hub`). */
export interface AutoHubOptions {
  /** Folder of the shared hub.db (default: the client's `home`). */
  dataDir?: string;
  /** Starts the hub when this process must host it (default: `@linker/hub` with its defaults, loaded on first use). */
  start?: HubStarter;
  /** Upper bound of the random wait before a takeover (default 2000 ms). */
  maxTakeoverDelayMs?: number;
  /** Probe interval during that wait (default 100 ms). */
  pollIntervalMs?: number;
  /** A ready-made keeper (tests); the others are then ignored. */
  keeper?: HubKeeper;
}

/**
 * Creates the supervisor of hub-election.ts for `url`. The hub code (and
 * SQLite) is loaded only when this process must host.
 */
export async function createHubKeeper(url: string, options: AutoHubOptions, logger?: ClientLogger): Promise<HubKeeper> {
  if (options.keeper) return options.keeper;
  const { HubSupervisor } = await import("./hub-election.js");
  if (options.dataDir === undefined) throw new Error("autoHub needs a data folder for hub.db (dataDir)");
  return new HubSupervisor({
    url,
    dataDir: options.dataDir,
    start: options.start,
    logger,
    maxTakeoverDelayMs: options.maxTakeoverDelayMs,
    pollIntervalMs: options.pollIntervalMs,
  });
}
