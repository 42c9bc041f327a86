import type { ClientLogger } from "./client-logger.js";

/** Where a hub this process hosts listens and keeps its state. */
export interface HubSite {
  /** Loopback address to bind. */
  host: string;
  /** Port to bind. */
  port: number;
  /** Folder of the shared hub.db. */
  dataDir: string;
}

/** A hub this process serves. */
export interface HostedHub {
  /** Its base URL. */
  readonly url: string;
  /** How it runs, for logs: "in this process", or the runtime and store of a child process. */
  readonly description?: string;
  /** Stops it gracefully (streams end with UNAVAILABLE; clients take over). */
  close(): Promise<void>;
}

/**
 * Starts a hub at `site` in this process. Rejects with an EADDRINUSE error
 * when the port is taken, so the caller can connect to whoever holds it.
 */
export type HubStarter = (site: HubSite) => Promise<HostedHub>;

/** This process cannot host a hub: the hub package (or the SQLite addon it needs) does not load here. */
export class HostingUnavailableError extends Error {
  constructor(
    cause: unknown,
    message = `this process cannot host a Linker hub: the @linker/hub package does not load (${cause instanceof Error ? cause.message.split("\n")[0] : String(cause)}); install it, or run \`linker hub\` elsewhere and connect to it`,
  ) {
    super(message, { cause });
  }
}

/** Options of the default starter. */
export interface HubStarterOptions {
  /** Where the hosted hub logs (default: JSON lines on stderr). */
  logger?: ClientLogger;
  /** Folder of the built dashboard the hub serves at `/` (default: the `@linker/dashboard` package's). */
  dashboardDir?: string;
}

/**
 * The default starter: loads `@linker/hub` (and with it SQLite) only when
 * this process must host, and starts it with its defaults. This is the one
 * place a client package reaches into the hub.
 */
export function hubStarter(options: HubStarterOptions = {}): HubStarter {
  return async (site) => {
    let hub: typeof import("@linker/hub");
    try {
      hub = await import("@linker/hub");
    } catch (err) {
      throw new HostingUnavailableError(err);
    }
    const running = await hub.startHub(hub.hubConfig(site), { logger: options.logger, dashboardDir: options.dashboardDir });
    return Object.assign(running, { description: "in this process (better-sqlite3)" });
  };
}
