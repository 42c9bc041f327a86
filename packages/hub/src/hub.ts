import type { HubLogger } from "./logger.js";
import { Asker } from "./ask.js";
import type { HubConfig } from "./config.js";
import { HubShuttingDownError } from "./errors.js";
import { Fanout } from "./fanout.js";
import type { HubDeps } from "./hub-deps.js";
import { Mailbox } from "./mailbox.js";
import { type HubObservation, observeHub } from "./observe/hub-observation.js";
import { timedStore } from "./observe/timed-store.js";
import { type Clock, systemClock } from "./clock.js";
import { SharedPresence } from "./shared-presence.js";
import { Registry } from "./registry.js";
import { SharedMemory } from "./shared-memory.js";
import type { Store } from "./store/store.js";
import { TaskBoard } from "./task-board.js";
import { AuditLog } from "./access/audit-log.js";
import { KeyRing } from "./access/key-ring.js";

/** Interval of the retention sweep that prunes read messages and old events. */
const PRUNE_INTERVAL_MS = 60_000;
/** Interval of the sweep that expires memory keys. */
const MEMORY_EXPIRY_INTERVAL_MS = 1_000;

/** Deletes what retention no longer keeps: expired and old read messages, old events. */
function prune(store: Store, now: number, retentionMs: number): Promise<number> {
  const before = now - retentionMs;
  const auditBefore = now - Math.max(retentionMs, AUDIT_RETENTION_MS);
  return store.transaction(async (tx) => (await tx.messages.prune(now, before)) + (await tx.events.prune(before)) + (await tx.audit.prune(auditBefore)));
}

/** The audit log keeps at least this long, whatever the retention of messages. */
const AUDIT_RETENTION_MS = 30 * 24 * 3600 * 1000;

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
  /** Agent keys, the hub secret and the hub's admin keys. */
  readonly keys: KeyRing;
  /** The audit log. */
  readonly audit: AuditLog;
  /** Metrics, counts and status of the running hub. */
  readonly observation: HubObservation;
  /** Resolves once the hub has loaded what it keeps in memory (who is online). */
  readonly ready: Promise<void>;
  /** Ends every stream with UNAVAILABLE, stops the sweepers and closes the store. */
  close(): Promise<void>;
}

/** Builds a hub on `store`; its sweepers run until `close`. */
export function createHub(options: { config: HubConfig; store: Store; logger: HubLogger; clock?: Clock; hubAdminKeys?: readonly string[] }): Hub {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const fanout = new Fanout();
  let closing: Promise<void> | undefined;
  const timed = timedStore(options.store);
  const store = timed.store;
  const presence = new SharedPresence({ store, clock, ttlSeconds: config.presenceTtlSeconds, logger });
  const observation = observeHub({ store, storeTimes: timed.histogram, presence, clock, logger });
  const deps: HubDeps = { store, fanout, presence, clock, config, logger };
  const keys = new KeyRing(deps, [...(options.hubAdminKeys ?? []), ...(config.adminKey ? [config.adminKey] : [])]);
  const audit = new AuditLog(deps);
  const registry = new Registry(deps, keys, audit);
  presence.announceWith(async (tx, name, online, now) => {
    logger.info({ instance: name, online }, online ? "instance joined" : "instance left");
    await registry.presenceChanged(tx, name, online, now);
  });
  const mailbox = new Mailbox(deps, registry);
  const asker = new Asker(deps, registry, mailbox);
  const memory = new SharedMemory(deps);
  const tasks = new TaskBoard(deps, registry);
  store.onCommitted((events) => {
    fanout.publish(events);
    presence.apply(events);
    registry.apply(events);
    mailbox.apply(events);
    asker.apply(events);
  });
  const ready = presence.start();

  const sweep = (what: string, run: () => Promise<unknown> | void) => () => {
    Promise.resolve()
      .then(run)
      .catch((err: unknown) => logger.warn({ err }, `${what} sweep failed`));
  };
  const ttlMs = config.presenceTtlSeconds * 1000;
  // Sweeps that act for every hub on the database run on the one that leads them.
  const leading = (run: () => Promise<unknown>) => async () => {
    if (await store.leadsSweeps()) await run();
  };
  const timers = [
    setInterval(sweep("presence", async () => presence.sweep(await store.leadsSweeps())), Math.max(250, ttlMs / 4)),
    setInterval(sweep("presence lease", () => presence.renew()), Math.max(250, ttlMs / 3)),
    setInterval(sweep("memory expiry", leading(() => memory.expire())), MEMORY_EXPIRY_INTERVAL_MS),
    setInterval(sweep("retention", leading(() => prune(store, clock.now(), config.retentionSeconds * 1000))), PRUNE_INTERVAL_MS),
  ];
  for (const timer of timers) timer.unref();

  return {
    deps,
    registry,
    mailbox,
    asker,
    memory,
    tasks,
    keys,
    audit,
    observation,
    ready,
    close() {
      closing ??= (async () => {
        presence.close();
        for (const timer of timers) clearInterval(timer);
        fanout.closeAll(new HubShuttingDownError());
        await store.close();
      })();
      return closing;
    },
  };
}
