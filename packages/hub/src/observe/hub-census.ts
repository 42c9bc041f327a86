import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Instance } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { MemoryChangeKind } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import type { Clock } from "../clock.js";
import type { HubLogger } from "../logger.js";
import type { SharedPresence } from "../shared-presence.js";
import type { CommittedEvent, Store, StoreTx } from "../store/store.js";

/** Rows read per transaction while counting what the store held at start. */
const SCAN_PAGE = 500;
/** How long an instance snapshot is reused, so scrapes and dashboards share one count. */
const SNAPSHOT_TTL_MS = 1_000;

/** Every task status a board shows, in order. */
export const TASK_STATUSES = [TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELED];

/** One instance's presence and unread backlog. */
export interface InstanceStanding {
  /** Instance name. */
  name: string;
  /** Unread messages waiting. */
  unread: number;
  /** Online now. */
  online: boolean;
  /** Status text. */
  status: string;
}

/** Registered instances by presence, with every instance's backlog, largest first. */
export interface InstanceSnapshot {
  /** Registered instances. */
  registered: number;
  /** Online now. */
  online: number;
  /** Unread messages in every inbox. */
  unread: number;
  /** Every instance, largest backlog first. */
  standings: InstanceStanding[];
}

interface Versioned<T> {
  revision: bigint;
  value: T;
}

/**
 * What the hub holds, counted without scanning the store on every scrape:
 * tasks by status and live memory keys are read once (in pages, each its own
 * short transaction) and then kept current from committed task and memory
 * events, newest revision winning. Instance presence and backlogs are counted
 * on demand (one count per instance) and reused for a second.
 */
export class HubCensus {
  private readonly tasks = new Map<string, Versioned<TaskStatus>>();
  private readonly memory = new Map<string, Versioned<boolean>>();
  private scan: Promise<void> | undefined;
  private scanned = false;
  private snapshot: { at: number; value: Promise<InstanceSnapshot> } | undefined;

  constructor(
    private readonly store: Store,
    private readonly presence: SharedPresence,
    private readonly clock: Clock,
    private readonly logger: HubLogger,
  ) {}

  /** Applies one batch of committed events (a store commit listener). */
  observe(events: readonly CommittedEvent[]): void {
    for (const { event } of events) {
      const payload = event.payload;
      if (payload.case === "task" && payload.value.task) {
        const task = payload.value.task;
        this.apply(this.tasks, task.id, task.revision, task.status, true);
      } else if (payload.case === "memory" && payload.value.entry) {
        const { entry, kind } = payload.value;
        const live = kind === MemoryChangeKind.PUT;
        if (!live && this.scanned) this.memory.delete(entry.key);
        else this.apply(this.memory, entry.key, entry.revision, live, true);
      }
    }
  }

  /** Tasks by status (every status listed) and the number of live memory keys. */
  async holdings(): Promise<{ tasks: Map<TaskStatus, number>; memoryKeys: number }> {
    this.scan ??= this.scanStore().catch((err: unknown) => {
      this.scan = undefined;
      throw err;
    });
    await this.scan;
    const tasks = new Map<TaskStatus, number>(TASK_STATUSES.map((status) => [status, 0]));
    for (const { value } of this.tasks.values()) tasks.set(value, (tasks.get(value) ?? 0) + 1);
    let memoryKeys = 0;
    for (const { value } of this.memory.values()) if (value) memoryKeys += 1;
    return { tasks, memoryKeys };
  }

  /** Instances by presence with their backlogs, at most a second old. */
  instances(): Promise<InstanceSnapshot> {
    const now = this.clock.now();
    if (this.snapshot && now - this.snapshot.at < SNAPSHOT_TTL_MS) return this.snapshot.value;
    const value = this.countInstances(now);
    this.snapshot = { at: now, value };
    value.catch(() => {
      if (this.snapshot?.value === value) this.snapshot = undefined;
    });
    return value;
  }

  /** The standings of `names` counted now, not taken from the snapshot (undefined for a name not registered). */
  standingsOf(names: readonly string[]): Promise<Map<string, InstanceStanding | undefined>> {
    const now = this.clock.now();
    return this.store.transaction(async (tx) => {
      const rows = new Map<string, InstanceStanding | undefined>();
      for (const name of names) {
        const instance = await tx.identity.getInstance(name);
        rows.set(name, instance && (await this.standing(tx, instance, now)));
      }
      return rows;
    });
  }

  private async standing(tx: StoreTx, instance: Instance, now: number): Promise<InstanceStanding> {
    return { name: instance.name, unread: await tx.messages.countUnread(instance.name, now), online: this.presence.isOnline(instance.name), status: instance.status };
  }

  private async countInstances(now: number): Promise<InstanceSnapshot> {
    const standings = await this.store.transaction(async (tx) => {
      const rows: InstanceStanding[] = [];
      for (const instance of await tx.identity.listInstances()) rows.push(await this.standing(tx, instance, now));
      return rows;
    });
    let online = 0;
    let unread = 0;
    for (const row of standings) {
      if (row.online) online += 1;
      unread += row.unread;
    }
    standings.sort((a, b) => b.unread - a.unread || a.name.localeCompare(b.name));
    return { registered: standings.length, online, unread, standings };
  }

  /** Newest revision wins; a tie goes to the event, which is never older than a scanned row. */
  private apply<T>(map: Map<string, Versioned<T>>, key: string, revision: bigint, value: T, fromEvent: boolean): void {
    const known = map.get(key);
    if (known && (fromEvent ? revision < known.revision : revision <= known.revision)) return;
    map.set(key, { revision, value });
  }

  private async scanStore(): Promise<void> {
    const started = this.clock.now();
    let beforeOrdinal: bigint | undefined;
    for (;;) {
      const page = await this.store.transaction((tx) => tx.tasks.list({ statuses: [], beforeOrdinal, limit: SCAN_PAGE }));
      for (const { task } of page) this.apply(this.tasks, task.id, task.revision, task.status, false);
      if (page.length < SCAN_PAGE) break;
      beforeOrdinal = page[page.length - 1].ordinal;
    }
    let afterKey = "";
    for (;;) {
      const now = this.clock.now();
      const page = await this.store.transaction((tx) => tx.memory.list({ prefix: "", afterKey, limit: SCAN_PAGE }));
      for (const entry of page) {
        const live = entry.expiresAt === undefined || timestampMs(entry.expiresAt) > now;
        this.apply(this.memory, entry.key, entry.revision, live, false);
      }
      if (page.length < SCAN_PAGE) break;
      afterKey = page[page.length - 1].key;
    }
    for (const [key, { value }] of this.memory) if (!value) this.memory.delete(key);
    this.scanned = true;
    this.logger.debug({ tasks: this.tasks.size, memoryKeys: this.memory.size, ms: this.clock.now() - started }, "census read the store");
  }
}
