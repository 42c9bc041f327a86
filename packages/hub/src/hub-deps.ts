import type { HubLogger } from "./logger.js";
import type { HubConfig } from "./config.js";
import type { Fanout } from "./fanout.js";
import type { Clock } from "./clock.js";
import type { SharedPresence } from "./shared-presence.js";
import type { Store } from "./store/store.js";

/** What every part of the hub is built from; tests hand in fakes or a temp database. */
export interface HubDeps {
  /** Durable state. */
  store: Store;
  /** Live event routing. */
  fanout: Fanout;
  /** Who is online. */
  presence: SharedPresence;
  /** Time source. */
  clock: Clock;
  /** Configuration and limits. */
  config: HubConfig;
  /** Structured logger. */
  logger: HubLogger;
}
