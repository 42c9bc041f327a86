import type { Logger } from "pino";
import type { HubOverrides } from "../../server/failover.js";
import type { HttpHandlerFactory } from "../../server/start-hub.js";

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
 * What the client needs from a hub supervisor (server/failover.ts provides
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
  /** Folder of the shared hub.db (default `$LINKER_HOME` or ~/.linker). */
  dataDir?: string;
  /** Settings of a hub this process starts. */
  config?: HubOverrides;
  /** Logger of a hub this process starts (default: JSON on stderr). */
  logger?: Logger;
  /** Extra HTTP endpoints of a hub this process starts (the MCP endpoint at /mcp). */
  httpHandler?: HttpHandlerFactory;
  /** Upper bound of the random wait before a takeover (default 2000 ms). */
  maxTakeoverDelayMs?: number;
  /** Probe interval during that wait (default 100 ms). */
  pollIntervalMs?: number;
  /** A ready-made keeper (tests); the others are then ignored. */
  keeper?: HubKeeper;
}

/**
 * Creates the supervisor of server/failover.ts for `url`. The hub code (and
 * SQLite) is loaded only when a client enables autoHub.
 */
export async function createHubKeeper(url: string, options: AutoHubOptions): Promise<HubKeeper> {
  if (options.keeper) return options.keeper;
  const { HubSupervisor } = await import("../../server/failover.js");
  return new HubSupervisor({
    url,
    dataDir: options.dataDir,
    config: options.config,
    logger: options.logger,
    httpHandler: options.httpHandler,
    maxTakeoverDelayMs: options.maxTakeoverDelayMs,
    pollIntervalMs: options.pollIntervalMs,
  });
}
