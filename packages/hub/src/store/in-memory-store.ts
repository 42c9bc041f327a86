import { clone, create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { type Event, EventSchema, type EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type Instance, InstanceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { type MemoryEntry, MemoryEntrySchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { type Message, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type Task, TaskSchema, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { eventTypeOf } from "../event-type.js";
import { SerialQueue } from "./serial-queue.js";
import type { ConversationPage, ConversationQuery, NewEvent, Store, StoreTx, TaskRecord } from "./store.js";

interface EventRecord {
  seq: bigint;
  audience: string;
  type: EventType;
  at: number;
  messageId?: string;
  expiresAt?: number;
  deliveredAt?: number;
  readAt?: number;
  event?: Event;
}

interface MessageRecord {
  ordinal: bigint;
  message: Message;
  sentAt: number;
}

/**
 * A store that keeps everything in process memory: the same semantics as the
 * SQLite store (it runs the same test body), nothing survives a restart. Every
 * write inside a transaction records how to undo it, so a failed transaction
 * leaves no trace.
 */
export class InMemoryStore implements Store {
  private readonly queue = new SerialQueue();
  private readonly instances = new Map<string, Instance>();
  private readonly sessions = new Map<string, string>();
  private events: EventRecord[] = [];
  private readonly inbox = new Map<string, Map<string, EventRecord>>();
  private readonly messages = new Map<string, MessageRecord>();
  private readonly idempotencyKeys = new Map<string, string>();
  private readonly memory = new Map<string, MemoryEntry>();
  private readonly tasks = new Map<string, { task: Task; ordinal: bigint }>();
  private seq = 0n;
  private memoryRevision = 0n;
  private messageOrdinal = 0n;
  private taskOrdinal = 0n;
  private closed = false;
  private undo: Array<() => void> = [];
  private callbacks: Array<() => void> = [];
  private readonly tx: StoreTx = this.createTx();

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      if (this.closed) throw new Error("store is closed");
      this.undo = [];
      this.callbacks = [];
      let result: T;
      try {
        result = await fn(this.tx);
      } catch (err) {
        for (const undo of this.undo.reverse()) undo();
        this.undo = [];
        this.callbacks = [];
        throw err;
      }
      this.undo = [];
      const callbacks = this.callbacks;
      this.callbacks = [];
      for (const callback of callbacks) callback();
      return result;
    });
  }

  close(): Promise<void> {
    return this.queue.run(async () => {
      this.closed = true;
    });
  }

  /** Sets a map entry, remembering how to restore it. */
  private setIn<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const previous = map.get(key);
    map.set(key, value);
    this.undo.push(() => (had ? map.set(key, previous as V) : map.delete(key)));
  }

  /** Deletes a map entry, remembering how to restore it. */
  private deleteIn<K, V>(map: Map<K, V>, key: K): void {
    if (!map.has(key)) return;
    const previous = map.get(key) as V;
    map.delete(key);
    this.undo.push(() => map.set(key, previous));
  }

  /** Replaces the event log, remembering how to restore it. */
  private replaceEvents(next: EventRecord[]): void {
    const previous = this.events;
    this.events = next;
    this.undo.push(() => {
      this.events = previous;
    });
  }

  private inboxMessage(record: EventRecord): Message {
    const message = clone(MessageSchema, this.messages.get(record.messageId!)!.message);
    message.seq = record.seq;
    if (record.deliveredAt !== undefined) message.deliveredAt = timestampFromMs(record.deliveredAt);
    if (record.readAt !== undefined) message.readAt = timestampFromMs(record.readAt);
    return message;
  }

  private rebuildInbox(): void {
    this.inbox.clear();
    for (const record of this.events) {
      if (record.messageId === undefined) continue;
      let box = this.inbox.get(record.audience);
      if (!box) this.inbox.set(record.audience, (box = new Map()));
      box.set(record.messageId, record);
    }
  }

  /** Sets fields on an inbox record, remembering how to restore them. */
  private patchRecord(record: EventRecord, patch: Partial<EventRecord>): void {
    const previous = { deliveredAt: record.deliveredAt, readAt: record.readAt };
    Object.assign(record, patch);
    this.undo.push(() => Object.assign(record, previous));
  }

  private createTx(): StoreTx {
    const unread = (record: EventRecord, now: number) =>
      record.readAt === undefined && (record.expiresAt === undefined || record.expiresAt > now);
    return {
      afterCommit: (callback) => {
        this.callbacks.push(callback);
      },
      getInstance: async (name) => {
        const instance = this.instances.get(name);
        return instance && clone(InstanceSchema, instance);
      },
      listInstances: async () =>
        [...this.instances.keys()].sort().map((name) => clone(InstanceSchema, this.instances.get(name)!)),
      putInstance: async (instance) => this.setIn(this.instances, instance.name, clone(InstanceSchema, instance)),
      deleteInstance: async (name) => {
        this.deleteIn(this.instances, name);
        for (const [hash, owner] of this.sessions) if (owner === name) this.deleteIn(this.sessions, hash);
        this.replaceEvents(this.events.filter((record) => record.audience !== name));
        this.deleteIn(this.inbox, name);
      },
      getSession: async (tokenHash) => this.sessions.get(tokenHash),
      putSession: async (tokenHash, name) => this.setIn(this.sessions, tokenHash, name),
      deleteSession: async (tokenHash) => this.deleteIn(this.sessions, tokenHash),
      appendEvents: async (events: NewEvent[]) => {
        const previousSeq = this.seq;
        const records = events.map((event): EventRecord => {
          this.seq += 1n;
          const record: EventRecord = { seq: this.seq, audience: event.audience, type: eventTypeOf(event.payload), at: event.at };
          if (event.payload.case === "message") {
            record.messageId = event.payload.value.id;
            if (event.payload.value.expiresAt) record.expiresAt = timestampMs(event.payload.value.expiresAt);
          } else {
            record.event = create(EventSchema, { seq: this.seq, at: timestampFromMs(event.at), payload: event.payload });
            record.event = clone(EventSchema, record.event);
          }
          return record;
        });
        this.replaceEvents([...this.events, ...records]);
        for (const record of records) {
          if (record.messageId === undefined) continue;
          let box = this.inbox.get(record.audience);
          if (!box) this.inbox.set(record.audience, (box = new Map()));
          this.setIn(box, record.messageId, record);
        }
        this.undo.push(() => {
          this.seq = previousSeq;
        });
        return records.map((record) => record.seq);
      },
      readEvents: async (audiences, afterSeq, limit, types, now) => {
        const out: Event[] = [];
        for (const record of this.events) {
          if (out.length >= limit) break;
          if (record.seq <= afterSeq || !audiences.includes(record.audience)) continue;
          if (types.length > 0 && !types.includes(record.type)) continue;
          if (record.messageId !== undefined) {
            if (record.readAt === undefined && record.expiresAt !== undefined && record.expiresAt <= now) continue;
            const message = this.inboxMessage(record);
            out.push(create(EventSchema, { seq: record.seq, at: timestampFromMs(record.at), payload: { case: "message", value: message } }));
          } else {
            out.push(clone(EventSchema, record.event!));
          }
        }
        return out;
      },
      headSeq: async () => this.seq,
      insertMessage: async (message) => {
        this.messageOrdinal += 1n;
        const ordinal = this.messageOrdinal;
        this.undo.push(() => {
          this.messageOrdinal = ordinal - 1n;
        });
        const sentAt = message.sentAt ? timestampMs(message.sentAt) : 0;
        this.setIn(this.messages, message.id, { ordinal, message: clone(MessageSchema, message), sentAt });
        if (message.idempotencyKey !== "") {
          this.setIn(this.idempotencyKeys, `${message.sender}\u0000${message.idempotencyKey}`, message.id);
        }
      },
      getMessage: async (id) => {
        const record = this.messages.get(id);
        return record && clone(MessageSchema, record.message);
      },
      findMessageByIdempotencyKey: async (sender, key) => {
        const id = this.idempotencyKeys.get(`${sender}\u0000${key}`);
        const record = id === undefined ? undefined : this.messages.get(id);
        return record && clone(MessageSchema, record.message);
      },
      recipientsOf: async (messageId) =>
        this.events.filter((record) => record.messageId === messageId).map((record) => record.audience),
      listInbox: async (recipient, query) => {
        const box = this.inbox.get(recipient);
        if (!box) return [];
        const now = Date.now();
        return [...box.values()]
          .filter((record) => record.seq > query.afterSeq)
          .filter((record) => !query.unreadOnly || unread(record, now))
          .filter((record) => query.sender === "" || this.messages.get(record.messageId!)!.message.sender === query.sender)
          .sort((a, b) => (a.seq < b.seq ? -1 : 1))
          .slice(0, query.limit)
          .map((record) => this.inboxMessage(record));
      },
      getInboxMessage: async (recipient, messageId) => {
        const record = this.inbox.get(recipient)?.get(messageId);
        return record && this.inboxMessage(record);
      },
      countUnread: async (recipient, now) => {
        let n = 0;
        for (const record of this.inbox.get(recipient)?.values() ?? []) if (unread(record, now)) n++;
        return n;
      },
      markRead: async (recipient, ids, at) => {
        const box = this.inbox.get(recipient);
        const changed: Message[] = [];
        for (const id of new Set(ids)) {
          const record = box?.get(id);
          if (!record || record.readAt !== undefined) continue;
          this.patchRecord(record, { readAt: at, deliveredAt: record.deliveredAt ?? at });
          changed.push(this.inboxMessage(record));
        }
        return changed;
      },
      markDelivered: async (recipient, ids, at) => {
        const box = this.inbox.get(recipient);
        const changed: Message[] = [];
        for (const id of new Set(ids)) {
          const record = box?.get(id);
          if (!record || record.deliveredAt !== undefined) continue;
          this.patchRecord(record, { deliveredAt: at });
          changed.push(this.inboxMessage(record));
        }
        return changed;
      },
      conversation: async (query: ConversationQuery): Promise<ConversationPage> => {
        const box = this.inbox.get(query.viewer);
        const matches = (m: Message) =>
          "threadId" in query
            ? m.threadId === query.threadId && (m.sender === query.viewer || box?.has(m.id) === true)
            : (m.sender === query.viewer && m.recipient === query.peer) ||
              (m.sender === query.peer && m.recipient === query.viewer);
        const matching = [...this.messages.values()]
          .filter((record) => record.ordinal > query.afterSeq && matches(record.message))
          .sort((a, b) => (a.ordinal < b.ordinal ? -1 : 1));
        const page = matching.slice(0, query.limit);
        const messages = page.map((record) => {
          const inboxRecord = box?.get(record.message.id);
          return inboxRecord ? this.inboxMessage(inboxRecord) : clone(MessageSchema, record.message);
        });
        return {
          messages,
          cursor: page.length > 0 ? page[page.length - 1].ordinal : query.afterSeq,
          hasMore: matching.length > page.length,
        };
      },
      getMemory: async (key) => {
        const entry = this.memory.get(key);
        return entry && clone(MemoryEntrySchema, entry);
      },
      putMemory: async (entry) => this.setIn(this.memory, entry.key, clone(MemoryEntrySchema, entry)),
      deleteMemory: async (key) => this.deleteIn(this.memory, key),
      listMemory: async (prefix, afterKey, limit) =>
        [...this.memory.keys()]
          .filter((key) => key.startsWith(prefix) && key > afterKey)
          .sort()
          .slice(0, limit)
          .map((key) => clone(MemoryEntrySchema, this.memory.get(key)!)),
      expiredMemory: async (now, limit) =>
        [...this.memory.values()]
          .filter((entry) => entry.expiresAt !== undefined && timestampMs(entry.expiresAt) <= now)
          .slice(0, limit)
          .map((entry) => clone(MemoryEntrySchema, entry)),
      nextMemoryRevision: async () => {
        this.memoryRevision += 1n;
        const revision = this.memoryRevision;
        this.undo.push(() => {
          this.memoryRevision = revision - 1n;
        });
        return revision;
      },
      getTask: async (id) => {
        const record = this.tasks.get(id);
        return record && clone(TaskSchema, record.task);
      },
      putTask: async (task) => {
        const existing = this.tasks.get(task.id);
        let ordinal = existing?.ordinal;
        if (ordinal === undefined) {
          this.taskOrdinal += 1n;
          ordinal = this.taskOrdinal;
          this.undo.push(() => {
            this.taskOrdinal = ordinal! - 1n;
          });
        }
        this.setIn(this.tasks, task.id, { task: clone(TaskSchema, task), ordinal });
      },
      listTasks: async (query): Promise<TaskRecord[]> =>
        [...this.tasks.values()]
          .filter(({ task, ordinal }) => {
            if (query.assignee !== undefined && task.assignee !== query.assignee) return false;
            if (query.assigner !== undefined && task.assigner !== query.assigner) return false;
            if (query.openOnly && !(task.assignee === "" && task.status === TaskStatus.PENDING)) return false;
            if (query.statuses.length > 0 && !query.statuses.includes(task.status)) return false;
            return query.beforeOrdinal === undefined || ordinal < query.beforeOrdinal;
          })
          .sort((a, b) => (a.ordinal > b.ordinal ? -1 : 1))
          .slice(0, query.limit)
          .map(({ task, ordinal }) => ({ task: clone(TaskSchema, task), ordinal })),
      prune: async (now, before) => {
        const kept = this.events.filter((record) => {
          if (record.messageId === undefined) return record.at >= before;
          if (record.readAt !== undefined) return record.readAt >= before;
          return record.expiresAt === undefined || record.expiresAt > now;
        });
        const removed = this.events.length - kept.length;
        if (removed > 0) {
          const previousInbox = new Map(this.inbox);
          this.replaceEvents(kept);
          this.rebuildInbox();
          this.undo.push(() => {
            this.inbox.clear();
            for (const [key, value] of previousInbox) this.inbox.set(key, value);
          });
        }
        const referenced = new Set(kept.filter((r) => r.messageId !== undefined).map((r) => r.messageId!));
        let removedMessages = 0;
        for (const [id, record] of this.messages) {
          if (record.sentAt < before && !referenced.has(id)) {
            this.deleteIn(this.messages, id);
            removedMessages++;
          }
        }
        return removed + removedMessages;
      },
    };
  }
}
