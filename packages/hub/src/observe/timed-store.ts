import type { Store } from "../store/store.js";
import { FixedHistogram } from "./fixed-histogram.js";

/** Bucket bounds of store transaction times, in seconds. */
const TRANSACTION_BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Wraps a store so every transaction's time, from the call to its commit
 * (queueing for the store, running and committing), lands in a histogram
 * split by outcome. It adds one clock read before and after.
 */
export function timedStore(store: Store): { store: Store; histogram: FixedHistogram } {
  const histogram = new FixedHistogram(
    "linker_store_transaction_seconds",
    "Time from starting a store transaction to its commit or rollback, queueing included.",
    TRANSACTION_BOUNDS,
  );
  const committed = histogram.open({ outcome: "commit" });
  const rolledBack = histogram.open({ outcome: "rollback" });
  return {
    histogram,
    store: {
      async transaction(fn) {
        const start = performance.now();
        try {
          const result = await store.transaction(fn);
          histogram.observe(committed, (performance.now() - start) / 1000);
          return result;
        } catch (err) {
          histogram.observe(rolledBack, (performance.now() - start) / 1000);
          throw err;
        }
      },
      readSession: (tokenHash) => store.readSession(tokenHash),
      sessionsCacheable: store.sessionsCacheable,
      onCommitted: (listener) => store.onCommitted(listener),
      leadsSweeps: () => store.leadsSweeps(),
      close: () => store.close(),
    },
  };
}
