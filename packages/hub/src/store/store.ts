import type { EventRepository } from "./event-repository.js";
import type { IdentityRepository } from "./identity-repository.js";
import type { MemoryRepository } from "./memory-repository.js";
import type { MessageRepository } from "./message-repository.js";
import type { TaskRepository } from "./task-repository.js";

export { EVERYONE, type EventQuery, type EventRepository, type NewEvent } from "./event-repository.js";
export type { IdentityRepository } from "./identity-repository.js";
export type { MemoryQuery, MemoryRepository } from "./memory-repository.js";
export type { ConversationPage, ConversationQuery, InboxQuery, MessageRepository } from "./message-repository.js";
export type { TaskQuery, TaskRecord, TaskRepository } from "./task-repository.js";

/**
 * The repositories available inside one store transaction. Everything done
 * through one `StoreTx` commits together or not at all, and write
 * transactions never interleave, so read-check-write sequences are atomic.
 */
export interface StoreTx {
  /** Instances and sessions. */
  readonly identity: IdentityRepository;
  /** The event log. */
  readonly events: EventRepository;
  /** Messages and inboxes. */
  readonly messages: MessageRepository;
  /** Shared memory. */
  readonly memory: MemoryRepository;
  /** Tasks. */
  readonly tasks: TaskRepository;
  /** Runs `callback` right after this transaction commits, before the next one starts. */
  afterCommit(callback: () => void): void;
}

/** Durable state of a hub: one backend (SQLite file or `:memory:`; PostgreSQL). */
export interface Store {
  /** Runs `fn` as one atomic transaction; transactions run one at a time. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Closes the store; later calls fail. */
  close(): Promise<void>;
}
