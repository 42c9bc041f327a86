import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { type Event, EventType, PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { HubStatus } from "@linker/protocol/gen/linker/v1/hub_status_pb.js";
import { type Instance, Presence } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MemoryConflictSchema, MemoryChangeKind, type MemoryEntry } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { type Message, MessageKind, type Priority } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type Task, type TaskPriority, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { createHubClient } from "./hub-client.js";
import { type DashboardSettings, forgetToken, resumeToken, saveSettings } from "./settings.js";

/** Events the live feed keeps. */
const FEED_LIMIT = 500;
/** How far back the feed starts on load, in events. */
const FEED_REPLAY = 1000n;
/** Interval of status refreshes. */
const STATUS_INTERVAL_MS = 2_000;

/** One line of the activity feed. */
export interface FeedItem {
  /** Stable key (seq of the first event it stands for). */
  key: string;
  /** The event. */
  event: Event;
}

/** A memory write that lost its compare-and-set. */
export interface MemoryConflict {
  key: string;
  /** The revision the edit started from. */
  expected: bigint;
  /** The revision the key has now. */
  current: bigint;
  /** The value that was not written. */
  mine: string;
  /** The hub's message. */
  message: string;
}

/** Whether a task can be moved from the overseer's point of view, and how. */
export type TaskMove = { to: TaskStatus; label: string } | { claim: true; label: string } | { cancel: true; label: string };

/** Connection state shown in the header. */
export type Connection = "connecting" | "live" | "reconnecting" | "refused";

/**
 * Everything the dashboard shows, kept current from the hub: instances,
 * tasks and memory read once and then followed through WatchHub; the feed;
 * the overseer's own inbox through its Subscribe stream (which keeps the
 * overseer online so agents can Ask it); and the status, polled.
 */
export class HubModel {
  readonly client: Client<typeof LinkerService>;
  connection: Connection = "connecting";
  problem = "";
  /** Why the overseer only watches (its access key, an observer key, registers no name), or "". */
  watchOnly = "";
  me: Instance | undefined;
  status: HubStatus | undefined;
  readonly instances = new Map<string, Instance>();
  readonly tasks = new Map<string, Task>();
  readonly memory = new Map<string, MemoryEntry>();
  readonly memoryHistory = new Map<string, MemoryEntry[]>();
  feed: FeedItem[] = [];
  /** Messages addressed to the overseer, oldest first. */
  inbox: Message[] = [];
  /** Ids of queries the overseer answered. */
  readonly answered = new Set<string>();
  /** Pairs of instances that exchanged messages, most recent first ("a\u0000b", a < b). */
  pairs: string[] = [];
  private token: string | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly seenMessages = new Set<string>();
  private readonly seenTasks = new Set<string>();
  private readonly stop = new AbortController();

  constructor(readonly settings: DashboardSettings) {
    this.client = createHubClient({ accessKey: () => this.settings.accessKey, sessionToken: () => this.token });
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Registers the overseer and starts following the hub. */
  async start(): Promise<void> {
    try {
      const registered = await this.register();
      this.me = registered?.instance;
      await this.loadState();
      const head = registered?.headSeq ?? (await this.client.getHubStatus({})).status?.headSeq ?? 0n;
      void this.follow("watch", head > FEED_REPLAY ? head - FEED_REPLAY : 0n, (after, signal) => this.watch(after, signal));
      if (registered) {
        const inboxFrom = registered.oldestUnreadSeq > 0n ? registered.oldestUnreadSeq - 1n : registered.headSeq;
        void this.follow("inbox", inboxFrom, (after, signal) => this.subscribeInbox(after, signal));
      }
      void this.pollStatus();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Stops every stream. */
  close(): void {
    this.stop.abort();
  }

  /** Changes the overseer name or access key and starts again. */
  reconfigure(settings: DashboardSettings): void {
    saveSettings(settings);
    location.reload();
  }

  /** Sends a message as the overseer. */
  async send(recipient: string, body: string, priority: Priority): Promise<void> {
    await this.client.send({ recipient, body, priority, kind: MessageKind.TEXT });
  }

  /** Answers a query the overseer received, which completes the asker's waiting Ask. */
  async answer(query: Message, body: string): Promise<void> {
    await this.client.send({ recipient: query.sender, body, kind: MessageKind.RESPONSE, replyTo: query.id, threadId: query.threadId });
    this.answered.add(query.id);
    await this.client.ack({ messageIds: [query.id] });
    this.changed();
  }

  /** Marks the overseer's unread messages read. */
  async markRead(): Promise<void> {
    const ids = this.inbox.filter((m) => !m.readAt).map((m) => m.id);
    if (ids.length === 0) return;
    await this.client.ack({ messageIds: ids });
    const now = { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 } as Message["readAt"];
    for (const message of this.inbox) message.readAt ??= now;
    this.changed();
  }

  /** Creates a task as the overseer (assignee "" makes it open for claiming). */
  async createTask(title: string, description: string, assignee: string, priority: TaskPriority): Promise<void> {
    const { task } = await this.client.createTask({ title, description, assignee, priority });
    if (task) this.tasks.set(task.id, task);
    this.changed();
  }

  /** The moves the overseer may make on `task`, by the hub's rules. */
  movesFor(task: Task): TaskMove[] {
    const me = this.settings.name;
    const moves: TaskMove[] = [];
    const done = task.status === TaskStatus.COMPLETED || task.status === TaskStatus.FAILED || task.status === TaskStatus.CANCELED;
    if (task.assignee === "" && task.status === TaskStatus.PENDING) moves.push({ claim: true, label: "Claim" });
    if (task.assignee === me && !done) {
      if (task.status === TaskStatus.PENDING) moves.push({ to: TaskStatus.IN_PROGRESS, label: "Start" });
      moves.push({ to: TaskStatus.COMPLETED, label: "Complete" }, { to: TaskStatus.FAILED, label: "Fail" });
    }
    if (task.assigner === me && !done) moves.push({ cancel: true, label: "Cancel" });
    return moves;
  }

  /** Makes a move from `movesFor`. */
  async moveTask(task: Task, move: TaskMove): Promise<void> {
    let updated: Task | undefined;
    if ("claim" in move) ({ task: updated } = await this.client.claimTask({ taskId: task.id }));
    else if ("cancel" in move) ({ task: updated } = await this.client.cancelTask({ taskId: task.id, reason: `canceled by ${this.settings.name} on the dashboard` }));
    else ({ task: updated } = await this.client.updateTask({ taskId: task.id, status: move.to, expectedRevision: task.revision }));
    if (updated) this.tasks.set(updated.id, updated);
    this.changed();
  }

  /**
   * Writes a memory key with compare-and-set against `expected` (0 = create
   * only). Resolves to the conflict when another writer got there first.
   */
  async putMemory(key: string, value: string, expected: bigint): Promise<MemoryConflict | undefined> {
    try {
      const { entry } = await this.client.putMemory({ key, value, expectedRevision: expected });
      if (entry) this.rememberMemory(entry, true);
      this.changed();
      return undefined;
    } catch (err) {
      const error = ConnectError.from(err);
      const [detail] = error.findDetails(MemoryConflictSchema);
      if (error.code !== Code.FailedPrecondition || !detail) throw error;
      return { key, expected, current: detail.currentRevision, mine: value, message: error.rawMessage };
    }
  }

  /** Every stored change of `key` since the hub's retention began, oldest first. */
  async loadMemoryHistory(key: string): Promise<void> {
    const history: MemoryEntry[] = [];
    const abort = new AbortController();
    try {
      for await (const item of this.client.watchHub({ afterSeq: 0n, types: [EventType.MEMORY] }, { signal: abort.signal })) {
        if (item.item.case === "caughtUp") break;
        if (item.item.case === "event" && item.item.value.payload.case === "memory") {
          const change = item.item.value.payload.value;
          if (change.entry?.key === key) history.push({ ...change.entry, value: change.kind === MemoryChangeKind.PUT ? change.entry.value : "" });
        }
      }
    } finally {
      abort.abort();
    }
    this.memoryHistory.set(key, history);
    this.changed();
  }

  /** One page of the direct messages between `a` and `b`. */
  async conversation(a: string, b: string, pageToken = ""): Promise<{ messages: Message[]; nextPageToken: string }> {
    return this.client.getHubConversation({ viewer: a, selector: { case: "peer", value: b }, pageToken, pageSize: 100 });
  }

  private async register() {
    const name = this.settings.name;
    const request = { name, description: "the human overseeing the agents", client: "linker-dashboard", capabilities: ["oversight"] };
    try {
      const response = await this.client.register({ ...request, resumeToken: resumeToken(name) });
      this.token = response.sessionToken;
      return response;
    } catch (err) {
      const error = ConnectError.from(err);
      if (error.code !== Code.PermissionDenied) throw err;
      if (this.settings.accessKey !== "") {
        // A key that may read the hub but binds no such name: watch without a desk.
        this.watchOnly = error.rawMessage;
        return undefined;
      }
      forgetToken(name);
      throw new Error(`the name "${name}" belongs to another session; choose another overseer name`);
    }
  }

  private async loadState(): Promise<void> {
    const [{ instances }, memory] = await Promise.all([this.client.listInstances({}), this.client.listMemory({ pageSize: 500 })]);
    for (const instance of instances) this.instances.set(instance.name, instance);
    for (const entry of memory.entries) this.memory.set(entry.key, entry);
    let pageToken = "";
    for (let page = 0; page < 10; page++) {
      const listed = await this.client.listTasks({ pageSize: 500, pageToken });
      for (const task of listed.tasks) this.tasks.set(task.id, task);
      pageToken = listed.nextPageToken;
      if (pageToken === "") break;
    }
    this.changed();
  }

  /** Runs a stream from `after`, resuming from its last seq after every failure. */
  private async follow(what: string, after: bigint, run: (after: bigint, signal: AbortSignal) => Promise<bigint>): Promise<void> {
    let cursor = after;
    let delay = 250;
    while (!this.stop.signal.aborted) {
      try {
        cursor = await run(cursor, this.stop.signal);
        delay = 250;
      } catch (err) {
        if (this.stop.signal.aborted) return;
        const error = ConnectError.from(err);
        if (error.code === Code.PermissionDenied || error.code === Code.Unauthenticated) return this.fail(error);
        this.connection = "reconnecting";
        this.problem = `${what}: ${error.rawMessage}`;
        this.changed();
      }
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
      delay = Math.min(delay * 2, 5_000);
    }
  }

  private async watch(after: bigint, signal: AbortSignal): Promise<bigint> {
    let last = after;
    for await (const item of this.client.watchHub({ afterSeq: after }, { signal })) {
      if (item.item.case === "caughtUp") {
        this.connection = "live";
        this.problem = "";
        this.changed();
      } else if (item.item.case === "event") {
        last = item.item.value.seq;
        this.apply(item.item.value);
      }
    }
    return last;
  }

  private async subscribeInbox(after: bigint, signal: AbortSignal): Promise<bigint> {
    let last = after;
    for await (const item of this.client.subscribe({ afterSeq: after, types: [EventType.MESSAGE] }, { signal })) {
      if (item.item.case !== "event") continue;
      last = item.item.value.seq;
      const payload = item.item.value.payload;
      if (payload.case === "message" && !this.inbox.some((m) => m.id === payload.value.id)) {
        this.inbox = [...this.inbox, payload.value];
        this.changed();
      }
    }
    return last;
  }

  /** Wakes the status poll early (after a change the counts should show). */
  private refreshStatus: (() => void) | undefined;

  private async pollStatus(): Promise<void> {
    while (!this.stop.signal.aborted) {
      try {
        const { status } = await this.client.getHubStatus({ instances: [this.settings.name] }, { signal: this.stop.signal });
        this.status = status;
        this.changed();
      } catch (err) {
        if (this.stop.signal.aborted) return;
        this.problem = `status: ${ConnectError.from(err).rawMessage}`;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STATUS_INTERVAL_MS);
        this.refreshStatus = () => {
          clearTimeout(timer);
          // Let a burst of events settle into one refresh.
          setTimeout(resolve, 250);
        };
      });
      this.refreshStatus = undefined;
    }
  }

  /** Folds one event into the state; an event addressed to several audiences shows once. */
  private apply(event: Event): void {
    const payload = event.payload;
    let show = true;
    switch (payload.case) {
      case "message": {
        const message = payload.value;
        show = !this.seenMessages.has(message.id);
        this.seenMessages.add(message.id);
        if (show && message.recipient !== "*") this.notePair(message.sender, message.recipient);
        break;
      }
      case "presence": {
        const instance = payload.value.instance;
        if (instance) {
          const kind = payload.value.kind;
          if (kind === PresenceChangeKind.REMOVED) this.instances.delete(instance.name);
          else {
            const presence = kind === PresenceChangeKind.JOINED ? Presence.ONLINE : kind === PresenceChangeKind.LEFT ? Presence.OFFLINE : instance.presence;
            this.instances.set(instance.name, { ...instance, presence });
          }
        }
        break;
      }
      case "task": {
        const task = payload.value.task;
        if (task) {
          const key = `${task.id}@${task.revision}`;
          show = !this.seenTasks.has(key);
          this.seenTasks.add(key);
          const known = this.tasks.get(task.id);
          if (!known || known.revision <= task.revision) this.tasks.set(task.id, task);
        }
        break;
      }
      case "memory": {
        const change = payload.value;
        if (change.entry) {
          if (change.kind === MemoryChangeKind.PUT) this.rememberMemory(change.entry, false);
          else this.memory.delete(change.entry.key);
        }
        break;
      }
      default:
        break;
    }
    if (show) {
      this.feed = [{ key: String(event.seq), event }, ...this.feed].slice(0, FEED_LIMIT);
      this.refreshStatus?.();
    }
    this.changed();
  }

  private rememberMemory(entry: MemoryEntry, mine: boolean): void {
    const known = this.memory.get(entry.key);
    if (!known || known.revision <= entry.revision || mine) this.memory.set(entry.key, entry);
  }

  private notePair(a: string, b: string): void {
    const pair = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
    this.pairs = [pair, ...this.pairs.filter((p) => p !== pair)];
  }

  private fail(err: unknown): void {
    this.connection = "refused";
    this.problem = err instanceof ConnectError ? err.rawMessage : err instanceof Error ? err.message : String(err);
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
