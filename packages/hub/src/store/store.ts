import type { Event } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { AuditRepository } from "./audit-repository.js";
import type { CredentialRepository } from "./credential-repository.js";
import type { EventRepository } from "./event-repository.js";
import type { IdentityRepository, SessionRecord } from "./identity-repository.js";
import type { MemoryRepository } from "./memory-repository.js";
import type { MessageRepository } from "./message-repository.js";
import type { PresenceRepository } from "./presence-repository.js";
import type { TaskRepository } from "./task-repository.js";

export { EVERYONE, type EventQuery, type EventRepository, INTERNAL_AUDIENCE_PREFIX, type NewEvent } from "./event-repository.js";
export type { AuditQuery, AuditRepository } from "./audit-repository.js";
export type { CredentialRepository, KeyRecord } from "./credential-repository.js";
export type { IdentityRepository, SessionRecord } from "./identity-repository.js";
export type { MemoryQuery, MemoryRepository } from "./memory-repository.js";
export type { ConversationPage, ConversationQuery, InboxQuery, MessageRepository } from "./message-repository.js";
export type { PresenceRepository } from "./presence-repository.js";
export type { TaskQuery, TaskRecord, TaskRepository } from "./task-repository.js";

/**
 * The repositories available inside one store transaction. Everything done
 * through one `StoreTx` commits together or not at all, and write
 * transactions never interleave, so read-check-write sequences are atomic.
 */
export interface StoreTx {
  /** Instances and sessions. */
  readonly identity: IdentityRepository;
  /** Presence leases. */
  readonly presence: PresenceRepository;
  /** The event log. */
  readonly events: EventRepository;
  /** Messages and inboxes. */
  readonly messages: MessageRepository;
  /** Shared memory. */
  readonly memory: MemoryRepository;
  /** Tasks. */
  readonly tasks: TaskRepository;
  /** Issued agent keys. */
  readonly credentials: CredentialRepository;
  /** The audit log. */
  readonly audit: AuditRepository;
  /** Runs `callback` right after this transaction commits, before the next one starts. */
  afterCommit(callback: () => void): void;
}

/** A committed event and the instance it is for (or EVERYONE). */
export interface CommittedEvent {
  /** Instance name or EVERYONE. */
  audience: string;
  /**
   * The event with its sequence number. A broadcast's event is one object
   * shared by all its recipients, so it is encoded once for every stream.
   */
  event: Event;
  /** For a broadcast: the instances whose inboxes received it. */
  recipients?: readonly string[];
  /** True when another hub on the same database committed it. */
  remote?: boolean;
}

/** Receives committed events, in sequence order. */
export type CommitListener = (events: readonly CommittedEvent[]) => void;

/** Durable state of a hub: one backend (SQLite file or `:memory:`; PostgreSQL). */
export interface Store {
  /** Runs `fn` as one atomic transaction; transactions run one at a time. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * The session a token hash belongs to, read from committed state: every
   * authenticated call that misses the session cache reads one. Where the
   * backend allows it (PostgreSQL) the read does not queue behind write
   * transactions.
   */
  readSession(tokenHash: string): Promise<SessionRecord | undefined>;
  /**
   * Whether a session read may be cached: false where other hubs share the
   * database, since one of them can end a session (a revoked key, a released
   * name) before this hub hears of it.
   */
  readonly sessionsCacheable: boolean;
  /**
   * Calls `listener` with every event once it is committed, in sequence
   * order and each exactly once: this hub's own commits and, where hubs share
   * the database, theirs. Live subscribers, presence and Ask follow it.
   */
  onCommitted(listener: CommitListener): void;
  /**
   * Whether this hub runs the sweeps that act for every hub on the database
   * (presence TTLs, memory expiry, retention): exactly one hub does at a time.
   */
  leadsSweeps(): Promise<boolean>;
  /** Closes the store; later calls fail. */
  close(): Promise<void>;
}
