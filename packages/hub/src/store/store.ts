import type { Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { Instance } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type { MemoryEntry } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { Task, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";

/** Audience of events every instance sees (presence, memory, open tasks). */
export const EVERYONE = "*";

/** An event to append; the store assigns its sequence number in commit order. */
export interface NewEvent {
  /** Instance name the event is for, or EVERYONE. */
  audience: string;
  /** Commit time in milliseconds since the epoch. */
  at: number;
  /** What happened. A message payload is stored by id: insert the message first. */
  payload: Event["payload"];
}

/** Selects part of one instance's inbox. */
export interface InboxQuery {
  /** Only unread messages. */
  unreadOnly: boolean;
  /** Only messages from this sender ("" = any). */
  sender: string;
  /** Only messages with seq greater than this. */
  afterSeq: bigint;
  /** At most this many. */
  limit: number;
}

/** Selects a conversation visible to `viewer`, oldest first; `afterSeq` is a page cursor. */
export type ConversationQuery =
  | { viewer: string; threadId: string; afterSeq: bigint; limit: number }
  | { viewer: string; peer: string; afterSeq: bigint; limit: number };

/** One page of a conversation. */
export interface ConversationPage {
  /** The messages, with the viewer's inbox fields filled where it received them. */
  messages: Message[];
  /** Cursor after the last message (pass as afterSeq for the next page). */
  cursor: bigint;
  /** Whether more messages follow this page. */
  hasMore: boolean;
}

/** Selects tasks, newest first. */
export interface TaskQuery {
  /** Only tasks assigned to this instance. */
  assignee?: string;
  /** Only tasks created by this instance. */
  assigner?: string;
  /** Only open tasks (no assignee, pending). */
  openOnly?: boolean;
  /** Only these states (empty = all). */
  statuses: TaskStatus[];
  /** Only tasks created before this position (paging). */
  beforeOrdinal?: bigint;
  /** At most this many. */
  limit: number;
}

/** A task with its position in creation order. */
export interface TaskRecord {
  /** The task. */
  task: Task;
  /** Creation order, used as a page cursor. */
  ordinal: bigint;
}

/**
 * Operations available inside one store transaction. Everything done through
 * one `StoreTx` commits together or not at all, and transactions never
 * interleave, so read-check-write sequences are atomic.
 */
export interface StoreTx {
  /** Runs `callback` right after this transaction commits, before the next one starts. */
  afterCommit(callback: () => void): void;

  /** The instance with this name, if registered (presence is not stored). */
  getInstance(name: string): Promise<Instance | undefined>;
  /** Every registered instance, by name. */
  listInstances(): Promise<Instance[]>;
  /** Creates or replaces an instance. */
  putInstance(instance: Instance): Promise<void>;
  /** Deletes an instance with its sessions and its inbox. */
  deleteInstance(name: string): Promise<void>;

  /** The instance name a session token hash belongs to. */
  getSession(tokenHash: string): Promise<string | undefined>;
  /** Stores a session. */
  putSession(tokenHash: string, name: string, at: number): Promise<void>;
  /** Deletes one session. */
  deleteSession(tokenHash: string): Promise<void>;

  /** Appends events; returns their sequence numbers in order. */
  appendEvents(events: NewEvent[]): Promise<bigint[]>;
  /** Events after `afterSeq` for any of `audiences`, oldest first; messages expired at `now` are skipped. */
  readEvents(audiences: string[], afterSeq: bigint, limit: number, types: EventType[], now: number): Promise<Event[]>;
  /** The highest sequence number assigned so far. */
  headSeq(): Promise<bigint>;

  /** Stores a message (its inbox entries are its message events). */
  insertMessage(message: Message): Promise<void>;
  /** A message by id. */
  getMessage(id: string): Promise<Message | undefined>;
  /** The message a sender stored earlier with this idempotency key. */
  findMessageByIdempotencyKey(sender: string, key: string): Promise<Message | undefined>;
  /** The names whose inbox holds a message. */
  recipientsOf(messageId: string): Promise<string[]>;
  /** Messages in an instance's inbox, oldest first, with seq, delivered_at and read_at filled. */
  listInbox(recipient: string, query: InboxQuery): Promise<Message[]>;
  /** One message in an instance's inbox, with its inbox fields filled. */
  getInboxMessage(recipient: string, messageId: string): Promise<Message | undefined>;
  /** Unread messages in an instance's inbox (expired ones excluded). */
  countUnread(recipient: string, now: number): Promise<number>;
  /** Marks inbox messages read; returns those that were unread. */
  markRead(recipient: string, messageIds: string[], at: number): Promise<Message[]>;
  /** Marks inbox messages delivered; returns those that were not yet. */
  markDelivered(recipient: string, messageIds: string[], at: number): Promise<Message[]>;
  /** Messages of a thread or a pair visible to the viewer, oldest first, after a cursor. */
  conversation(query: ConversationQuery): Promise<ConversationPage>;

  /** A memory entry (expired entries included; the caller checks expiry). */
  getMemory(key: string): Promise<MemoryEntry | undefined>;
  /** Creates or replaces a memory entry. */
  putMemory(entry: MemoryEntry): Promise<void>;
  /** Deletes a memory entry. */
  deleteMemory(key: string): Promise<void>;
  /** Entries whose key starts with `prefix` and sorts after `afterKey`, in key order. */
  listMemory(prefix: string, afterKey: string, limit: number): Promise<MemoryEntry[]>;
  /** Entries whose TTL ran out at `now`. */
  expiredMemory(now: number, limit: number): Promise<MemoryEntry[]>;
  /** Takes the next memory revision (global, strictly increasing, never reused). */
  nextMemoryRevision(): Promise<bigint>;

  /** A task by id. */
  getTask(id: string): Promise<Task | undefined>;
  /** Creates or replaces a task. */
  putTask(task: Task): Promise<void>;
  /** Tasks matching a query, newest first. */
  listTasks(query: TaskQuery): Promise<TaskRecord[]>;

  /** Deletes expired unread messages, read messages and other events older than `before`. */
  prune(now: number, before: number): Promise<number>;
}

/** Durable (or in-memory) state of a hub. */
export interface Store {
  /** Runs `fn` as one atomic transaction; transactions run one at a time. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Closes the store; later calls fail. */
  close(): Promise<void>;
}
