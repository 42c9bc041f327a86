import type { Clock } from "../clock.js";
import type { Fanout } from "../fanout.js";
import type { HubLogger } from "../logger.js";
import type { Presence } from "../presence.js";
import type { Store } from "../store/store.js";
import type { FixedHistogram } from "./fixed-histogram.js";
import { HubCensus } from "./hub-census.js";
import { RpcHistogram } from "./request-log-interceptor.js";
import { timedStore } from "./timed-store.js";
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
 * Wraps `store` for timing and taps `fanout` for traffic and census, so
 * observing the hub needs no hook in the domain modules. Returns the store
 * the domain must use.
 */
export function observeHub(options: { store: Store; fanout: Fanout; presence: Presence; clock: Clock; logger: HubLogger }): {
  store: Store;
  observation: HubObservation;
} {
  const { fanout, presence, clock, logger } = options;
  const timed = timedStore(options.store);
  const traffic = new TrafficStats();
  const census = new HubCensus(timed.store, presence, clock, logger);
  fanout.tap((events) => {
    traffic.observe(events);
    census.observe(events);
  });
  // The first transaction of the hub: nothing has been written yet.
  const resumedSeq = timed.store.transaction((tx) => tx.headSeq());
  resumedSeq.catch((err: unknown) => logger.warn({ err }, "could not read the store's head at start"));
  return {
    store: timed.store,
    observation: {
      version: HUB_VERSION,
      startedAt: clock.now(),
      traffic,
      census,
      rpcs: new RpcHistogram(),
      storeTimes: timed.histogram,
      resumedSeq,
      url: "",
    },
  };
}
