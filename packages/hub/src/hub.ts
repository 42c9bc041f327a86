import type { HubLogger } from "./logger.js";
import { Asker } from "./ask.js";
import type { HubConfig } from "./config.js";
import { HubShuttingDownError } from "./errors.js";
import { Fanout } from "./fanout.js";
import type { HubDeps } from "./hub-deps.js";
import { Mailbox } from "./mailbox.js";
import { type HubObservation, observeHub } from "./observe/hub-observation.js";
import { type Clock, systemClock } from "./clock.js";
import { Presence } from "./presence.js";
import { Registry } from "./registry.js";
import { SharedMemory } from "./shared-memory.js";
import type { Store } from "./store/store.js";
import { TaskBoard } from "./task-board.js";

/** Interval of the retention sweep that prunes read messages and old events. */
const PRUNE_INTERVAL_MS = 60_000;
/** Interval of the sweep that expires memory keys. */
const MEMORY_EXPIRY_INTERVAL_MS = 1_000;

/** The hub's domain: every part wired to one store, fanout and presence tracker. */
export interface Hub {
  /** Shared dependencies. */
  readonly deps: HubDeps;
  /** Identity and presence. */
  readonly registry: Registry;
  /** Messaging. */
  readonly mailbox: Mailbox;
  /** Ask and reply. */
  readonly asker: Asker;
  /** Shared memory. */
  readonly memory: SharedMemory;
  /** Tasks. */
  readonly tasks: TaskBoard;
  /** Metrics, counts and status of the running hub. */
  readonly observation: HubObservation;
  /** Ends every stream with UNAVAILABLE, stops the sweepers and closes the store. */
  close(): Promise<void>;
}

/** Builds a hub on `store`; its sweepers run until `close`. */
export function createHub(options: { config: HubConfig; store: Store; logger: HubLogger; clock?: Clock }): Hub {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const fanout = new Fanout();
  let registry: Registry | undefined;
  let closing: Promise<void> | undefined;
  const presence = new Presence(config.presenceTtlSeconds * 1000, clock, (name, online) => {
    logger.info({ instance: name, online }, online ? "instance joined" : "instance left");
    if (closing) return;
    registry?.presenceChanged(name, online).catch((err: unknown) => logger.warn({ err, instance: name }, "presence event not stored"));
  });
  const { store, observation } = observeHub({ store: options.store, fanout, presence, clock, logger });
  const deps: HubDeps = { store, fanout, presence, clock, config, logger };
  registry = new Registry(deps);
  const mailbox = new Mailbox(deps, registry);
  const asker = new Asker(deps, registry, mailbox);
  const memory = new SharedMemory(deps);
  const tasks = new TaskBoard(deps, registry);

  const sweep = (what: string, run: () => Promise<unknown> | void) => () => {
    Promise.resolve()
      .then(run)
      .catch((err: unknown) => logger.warn({ err }, `${what} sweep failed`));
  };
  const timers = [
    setInterval(sweep("presence", () => presence.sweep()), Math.max(250, (config.presenceTtlSeconds * 1000) / 4)),
    setInterval(sweep("memory expiry", () => memory.expire()), MEMORY_EXPIRY_INTERVAL_MS),
    setInterval(
      sweep("retention", () => store.transaction((tx) => tx.prune(clock.now(), clock.now() - config.retentionSeconds * 1000))),
      PRUNE_INTERVAL_MS,
    ),
  ];
  for (const timer of timers) timer.unref();

  return {
    deps,
    registry,
    mailbox,
    asker,
    memory,
    tasks,
    observation,
    close() {
      closing ??= (async () => {
        for (const timer of timers) clearInterval(timer);
        fanout.closeAll(new HubShuttingDownError());
        await store.close();
      })();
      return closing;
    },
  };
}
