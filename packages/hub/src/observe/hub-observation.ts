import type { Clock } from "../clock.js";
import type { HubLogger } from "../logger.js";
import type { SharedPresence } from "../shared-presence.js";
import type { Store } from "../store/store.js";
import type { FixedHistogram } from "./fixed-histogram.js";
import { HubCensus } from "./hub-census.js";
import { RpcHistogram } from "./request-log-interceptor.js";
import { TrafficStats } from "./traffic-stats.js";

/** Version of the hub software (kept equal to packages/hub/package.json; a test checks). */
export const HUB_VERSION = "0.1.0";

/** What the hub knows about its own running, for /metrics, GetHubStatus and the dashboard. */
export interface HubObservation {
  /** Hub software version. */
  readonly version: string;
  /** When the hub was built, in ms since the epoch. */
  readonly startedAt: number;
  /** Message traffic and Ask outcomes since start. */
  readonly traffic: TrafficStats;
  /** Instances, tasks and memory keys the hub holds. */
  readonly census: HubCensus;
  /** RPC durations by method and code. */
  readonly rpcs: RpcHistogram;
  /** Store transaction times. */
  readonly storeTimes: FixedHistogram;
  /** Highest event sequence number the store held at start (0 for a new store). */
  readonly resumedSeq: Promise<bigint>;
  /** The URL the hub serves, once it listens. */
  url: string;
}

/**
 * Follows the store's committed events for traffic and census, so observing
 * the hub needs no hook in the domain modules. `store` should be the timed
 * store whose histogram is `storeTimes`.
 */
export function observeHub(options: { store: Store; storeTimes: FixedHistogram; presence: SharedPresence; clock: Clock; logger: HubLogger }): HubObservation {
  const { store, presence, clock, logger } = options;
  const traffic = new TrafficStats();
  const census = new HubCensus(store, presence, clock, logger);
  store.onCommitted((events) => {
    traffic.observe(events);
    census.observe(events);
  });
  // The first transaction of the hub: nothing has been written yet.
  const resumedSeq = store.transaction((tx) => tx.events.head());
  resumedSeq.catch((err: unknown) => logger.warn({ err }, "could not read the store's head at start"));
  return {
    version: HUB_VERSION,
    startedAt: clock.now(),
    traffic,
    census,
    rpcs: new RpcHistogram(),
    storeTimes: options.storeTimes,
    resumedSeq,
    url: "",
  };
}
