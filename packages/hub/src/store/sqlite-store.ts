import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import Database from "better-sqlite3";
import { type Event, EventSchema, type EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { InstanceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { type MemoryEntry, MemoryEntrySchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { type Message, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type Task, TaskSchema, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { eventTypeOf } from "../event-type.js";
import type {
  ConversationPage,
  ConversationQuery,
  InboxQuery,
  NewEvent,
  Store,
  StoreTx,
  TaskQuery,
  TaskRecord,
} from "./store.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', 1), ('memory_revision', 0), ('message_ordinal', 0), ('task_ordinal', 0);
CREATE TABLE IF NOT EXISTS instances (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_by_name ON sessions (name);
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY,
  ordinal INTEGER NOT NULL,
  sender TEXT NOT NULL,
  recipient TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  idempotency_key TEXT,
  sent_at INTEGER NOT NULL,
  expires_at INTEGER,
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_idempotency_key ON messages (sender, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_thread ON messages (thread_id, ordinal);
CREATE INDEX IF NOT EXISTS messages_by_pair ON messages (sender, recipient, ordinal);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  audience TEXT NOT NULL,
  type INTEGER NOT NULL,
  at INTEGER NOT NULL,
  message_id TEXT,
  expires_at INTEGER,
  delivered_at INTEGER,
  read_at INTEGER,
  data BLOB
);
CREATE INDEX IF NOT EXISTS events_by_audience ON events (audience, seq);
CREATE UNIQUE INDEX IF NOT EXISTS inbox_by_message ON events (audience, message_id) WHERE message_id IS NOT NULL;
DROP INDEX IF EXISTS inbox_unread;
CREATE INDEX IF NOT EXISTS inbox_unread_by_expiry ON events (audience, expires_at) WHERE message_id IS NOT NULL AND read_at IS NULL;
CREATE INDEX IF NOT EXISTS events_by_message ON events (message_id) WHERE message_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS memory (key TEXT PRIMARY KEY, revision INTEGER NOT NULL, expires_at INTEGER, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS memory_by_expiry ON memory (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY,
  ordinal INTEGER NOT NULL,
  assigner TEXT NOT NULL,
  assignee TEXT NOT NULL,
  status INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_ordinal ON tasks (ordinal);
`;

/** Most transactions that share one COMMIT. */
const MAX_GROUP = 128;
/** WAL pages between automatic checkpoints (SQLite's default is 1000). */
const WAL_AUTOCHECKPOINT_PAGES = 4000;

interface PendingTransaction<T> {
  fn: (tx: StoreTx) => Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Path of the database file (created with its folder if missing). */
  path: string;
  /** `synchronous` pragma: NORMAL survives process crashes in WAL mode, FULL also power loss. */
  synchronous?: "NORMAL" | "FULL";
}

interface EventRow {
  seq: number | bigint;
  type: number;
  at: number;
  message_id: string | null;
  delivered_at: number | null;
  read_at: number | null;
  data: Buffer | null;
  mdata: Buffer | null;
}

interface InboxRow {
  seq: number | bigint;
  delivered_at: number | null;
  read_at: number | null;
  data: Buffer;
}

/** Fills a stored message's inbox fields from its inbox row. */
function inboxMessage(row: InboxRow): Message {
  const message = fromBinary(MessageSchema, row.data);
  message.seq = BigInt(row.seq);
  if (row.delivered_at !== null) message.deliveredAt = timestampFromMs(row.delivered_at);
  if (row.read_at !== null) message.readAt = timestampFromMs(row.read_at);
  return message;
}

/**
 * The embedded default store: one SQLite file in WAL mode. A transaction's
 * COMMIT has reached the WAL before its promise resolves, so an acknowledged
 * write survives a killed process; several processes may open the same file
 * one after another (hub takeover). Transactions queued at the same time share
 * one COMMIT (group commit), each isolated by a savepoint.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly tx: StoreTx;
  private readonly callbacks: Array<() => void> = [];
  private readonly pending: Array<PendingTransaction<unknown>> = [];
  private draining = false;
  private readonly statements: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Database.Statement>;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = OFF");
    this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    this.db.exec(SCHEMA);
    this.statements = {
      begin: this.db.prepare("BEGIN IMMEDIATE"),
      commit: this.db.prepare("COMMIT"),
      rollback: this.db.prepare("ROLLBACK"),
      savepoint: this.db.prepare("SAVEPOINT job"),
      release: this.db.prepare("RELEASE job"),
      rollbackTo: this.db.prepare("ROLLBACK TO job"),
    };
    this.tx = this.createTx();
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve, reject } as PendingTransaction<unknown>);
      if (!this.draining) void this.drain();
    });
  }

  /**
   * Runs queued transactions in groups: one SQLite transaction holds up to
   * MAX_GROUP of them, each inside its own SAVEPOINT so a failure rolls back
   * only its own writes. Every caller is answered after the group's COMMIT, so
   * a resolved transaction is durable; the commit cost is shared by the group.
   */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        if (!this.db.open) {
          for (const job of this.pending.splice(0)) job.reject(new Error("the store is closed"));
          break;
        }
        const done: Array<{ job: PendingTransaction<unknown>; ok: boolean; value: unknown; callbacks: Array<() => void> }> = [];
        this.statements.begin.run();
        try {
          while (this.pending.length > 0 && done.length < MAX_GROUP) {
            const job = this.pending.shift()!;
            this.statements.savepoint.run();
            try {
              const value = await job.fn(this.tx);
              this.statements.release.run();
              done.push({ job, ok: true, value, callbacks: this.callbacks.splice(0) });
            } catch (err) {
              this.callbacks.length = 0;
              this.statements.rollbackTo.run();
              this.statements.release.run();
              done.push({ job, ok: false, value: err, callbacks: [] });
            }
          }
          this.statements.commit.run();
        } catch (err) {
          if (this.db.inTransaction) this.statements.rollback.run();
          for (const { job } of done) job.reject(err);
          continue;
        }
        for (const { job, ok, value, callbacks } of done) {
          if (!ok) {
            job.reject(value);
            continue;
          }
          for (const callback of callbacks) callback();
          job.resolve(value);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  close(): Promise<void> {
    return this.transaction(async () => undefined).then(() => {
      if (this.db.open) {
        this.db.pragma("wal_checkpoint(TRUNCATE)");
        this.db.close();
      }
    });
  }

  private createTx(): StoreTx {
    const db = this.db;
    const s = {
      getInstance: db.prepare<[string], { data: Buffer }>("SELECT data FROM instances WHERE name = ?"),
      listInstances: db.prepare<[], { data: Buffer }>("SELECT data FROM instances ORDER BY name"),
      putInstance: db.prepare("INSERT INTO instances (name, data) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data"),
      deleteInstance: db.prepare("DELETE FROM instances WHERE name = ?"),
      deleteSessionsOf: db.prepare("DELETE FROM sessions WHERE name = ?"),
      deleteInbox: db.prepare("DELETE FROM events WHERE audience = ?"),
      getSession: db.prepare<[string], { name: string }>("SELECT name FROM sessions WHERE token_hash = ?"),
      putSession: db.prepare("INSERT INTO sessions (token_hash, name, created_at) VALUES (?, ?, ?)"),
      deleteSession: db.prepare("DELETE FROM sessions WHERE token_hash = ?"),
      appendEvent: db.prepare<[string, number, number, string | null, number | null, Buffer | null]>(
        "INSERT INTO events (audience, type, at, message_id, expires_at, data) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      headSeq: db.prepare<[], { seq: number | null }>("SELECT MAX(seq) AS seq FROM events"),
      headSeqSequence: db.prepare<[], { seq: number | null }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
      nextCounter: db.prepare<[string], { value: number | bigint }>("UPDATE meta SET value = value + 1 WHERE key = ? RETURNING value"),
      insertMessage: db.prepare(
        "INSERT INTO messages (id, ordinal, sender, recipient, thread_id, idempotency_key, sent_at, expires_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      getMessage: db.prepare<[string], { data: Buffer }>("SELECT data FROM messages WHERE id = ?"),
      findByKey: db.prepare<[string, string], { data: Buffer }>("SELECT data FROM messages WHERE sender = ? AND idempotency_key = ?"),
      recipientsOf: db.prepare<[string], { audience: string }>("SELECT audience FROM events WHERE message_id = ? ORDER BY seq"),
      getInboxMessage: db.prepare<[string, string], InboxRow>(
        "SELECT e.seq, e.delivered_at, e.read_at, m.data FROM events e JOIN messages m ON m.id = e.message_id WHERE e.audience = ? AND e.message_id = ?",
      ),
      countUnread: db.prepare<[string, number], { n: number }>(
        "SELECT COUNT(*) AS n FROM events INDEXED BY inbox_unread_by_expiry WHERE audience = ? AND message_id IS NOT NULL AND read_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
      ),
      markRead: db.prepare<[{ at: number; audience: string; ids: string }], { message_id: string }>(
        "UPDATE events SET read_at = @at, delivered_at = COALESCE(delivered_at, @at) WHERE audience = @audience AND message_id IN (SELECT value FROM json_each(@ids)) AND read_at IS NULL RETURNING message_id",
      ),
      markDelivered: db.prepare<[number, string, string], { message_id: string }>(
        "UPDATE events SET delivered_at = ? WHERE audience = ? AND message_id IN (SELECT value FROM json_each(?)) AND delivered_at IS NULL RETURNING message_id",
      ),
      getMemory: db.prepare<[string], { data: Buffer }>("SELECT data FROM memory WHERE key = ?"),
      putMemory: db.prepare(
        "INSERT INTO memory (key, revision, expires_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET revision = excluded.revision, expires_at = excluded.expires_at, data = excluded.data",
      ),
      deleteMemory: db.prepare("DELETE FROM memory WHERE key = ?"),
      listMemory: db.prepare<[{ after: string; prefix: string; limit: number }], { data: Buffer }>(
        "SELECT data FROM memory WHERE key > @after AND substr(key, 1, length(@prefix)) = @prefix ORDER BY key LIMIT @limit",
      ),
      expiredMemory: db.prepare<[number, number], { data: Buffer }>(
        "SELECT data FROM memory WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
      ),
      getTask: db.prepare<[string], { data: Buffer }>("SELECT data FROM tasks WHERE id = ?"),
      getTaskOrdinal: db.prepare<[string], { ordinal: number | bigint }>("SELECT ordinal FROM tasks WHERE id = ?"),
      putTask: db.prepare(
        "INSERT INTO tasks (id, ordinal, assigner, assignee, status, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET assigner = excluded.assigner, assignee = excluded.assignee, status = excluded.status, data = excluded.data",
      ),
      pruneExpired: db.prepare("DELETE FROM events WHERE message_id IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ? AND read_at IS NULL"),
      pruneRead: db.prepare("DELETE FROM events WHERE message_id IS NOT NULL AND read_at IS NOT NULL AND read_at < ?"),
      pruneEvents: db.prepare("DELETE FROM events WHERE message_id IS NULL AND at < ?"),
      pruneMessages: db.prepare(
        "DELETE FROM messages WHERE sent_at < ? AND NOT EXISTS (SELECT 1 FROM events e WHERE e.message_id = messages.id)",
      ),
    };
    // Queries whose SQL depends on the request (filters, list lengths) are
    // prepared once per distinct SQL text and reused.
    const prepared = new Map<string, Database.Statement<unknown[], unknown>>();
    const prepare = <Row>(sql: string): Database.Statement<unknown[], Row> => {
      let statement = prepared.get(sql);
      if (!statement) prepared.set(sql, (statement = db.prepare<unknown[], unknown>(sql)));
      return statement as Database.Statement<unknown[], Row>;
    };
    const readEventsStatement = (audiences: number, types: number) => {
      const audienceClause = Array.from({ length: audiences }, () => "e.audience = ?").join(" OR ");
      const typeClause = types > 0 ? ` AND e.type IN (${Array.from({ length: types }, () => "?").join(", ")})` : "";
      return prepare<EventRow>(
        `SELECT e.seq, e.type, e.at, e.message_id, e.delivered_at, e.read_at, e.data, m.data AS mdata
         FROM events e LEFT JOIN messages m ON m.id = e.message_id
         WHERE (${audienceClause}) AND e.seq > ?${typeClause} AND (e.expires_at IS NULL OR e.expires_at > ? OR e.read_at IS NOT NULL)
         ORDER BY e.seq LIMIT ?`,
      );
    };
    const counter = (key: string) => BigInt(s.nextCounter.get(key)!.value);
    const decodeInstance = (row: { data: Buffer }) => fromBinary(InstanceSchema, row.data);
    const decodeMessage = (row: { data: Buffer }) => fromBinary(MessageSchema, row.data);
    const decodeMemory = (row: { data: Buffer }) => fromBinary(MemoryEntrySchema, row.data);
    const decodeTask = (row: { data: Buffer }) => fromBinary(TaskSchema, row.data);
    const inboxMessages = (recipient: string, ids: string[]) =>
      ids.map((id) => inboxMessage(s.getInboxMessage.get(recipient, id)!));

    return {
      afterCommit: (callback) => {
        this.callbacks.push(callback);
      },
      getInstance: async (name) => {
        const row = s.getInstance.get(name);
        return row && decodeInstance(row);
      },
      listInstances: async () => s.listInstances.all().map(decodeInstance),
      putInstance: async (instance) => {
        s.putInstance.run(instance.name, Buffer.from(toBinary(InstanceSchema, instance)));
      },
      deleteInstance: async (name) => {
        s.deleteInstance.run(name);
        s.deleteSessionsOf.run(name);
        s.deleteInbox.run(name);
      },
      getSession: async (tokenHash) => s.getSession.get(tokenHash)?.name,
      putSession: async (tokenHash, name, at) => {
        s.putSession.run(tokenHash, name, at);
      },
      deleteSession: async (tokenHash) => {
        s.deleteSession.run(tokenHash);
      },
      appendEvents: async (events: NewEvent[]) =>
        events.map((event) => {
          const type = eventTypeOf(event.payload);
          if (event.payload.case === "message") {
            const message = event.payload.value;
            const expiresAt = message.expiresAt ? timestampMs(message.expiresAt) : null;
            const info = s.appendEvent.run(event.audience, type, event.at, message.id, expiresAt, null);
            return BigInt(info.lastInsertRowid);
          }
          const data = toBinary(EventSchema, create(EventSchema, { at: timestampFromMs(event.at), payload: event.payload }));
          const info = s.appendEvent.run(event.audience, type, event.at, null, null, Buffer.from(data));
          return BigInt(info.lastInsertRowid);
        }),
      readEvents: async (audiences, afterSeq, limit, types: EventType[], now) => {
        const rows = readEventsStatement(audiences.length, types.length).all(...audiences, afterSeq, ...types, now, limit);
        return rows.map((row): Event => {
          if (row.message_id !== null) {
            const message = inboxMessage({ seq: row.seq, delivered_at: row.delivered_at, read_at: row.read_at, data: row.mdata! });
            return create(EventSchema, { seq: message.seq, at: timestampFromMs(row.at), payload: { case: "message", value: message } });
          }
          const event = fromBinary(EventSchema, row.data!);
          event.seq = BigInt(row.seq);
          return event;
        });
      },
      headSeq: async () => BigInt(s.headSeqSequence.get()?.seq ?? s.headSeq.get()?.seq ?? 0),
      insertMessage: async (message) => {
        const expiresAt = message.expiresAt ? timestampMs(message.expiresAt) : null;
        const sentAt = message.sentAt ? timestampMs(message.sentAt) : 0;
        s.insertMessage.run(
          message.id,
          counter("message_ordinal"),
          message.sender,
          message.recipient,
          message.threadId,
          message.idempotencyKey === "" ? null : message.idempotencyKey,
          sentAt,
          expiresAt,
          Buffer.from(toBinary(MessageSchema, message)),
        );
      },
      getMessage: async (id) => {
        const row = s.getMessage.get(id);
        return row && decodeMessage(row);
      },
      findMessageByIdempotencyKey: async (sender, key) => {
        const row = s.findByKey.get(sender, key);
        return row && decodeMessage(row);
      },
      recipientsOf: async (messageId) => s.recipientsOf.all(messageId).map((row) => row.audience),
      listInbox: async (recipient: string, query: InboxQuery) => {
        const where = ["e.audience = ?", "e.message_id IS NOT NULL", "e.seq > ?"];
        const params: unknown[] = [recipient, query.afterSeq];
        if (query.unreadOnly) where.push("e.read_at IS NULL", "(e.expires_at IS NULL OR e.expires_at > ?)");
        if (query.unreadOnly) params.push(Date.now());
        if (query.sender !== "") {
          where.push("m.sender = ?");
          params.push(query.sender);
        }
        params.push(query.limit);
        const rows = prepare<InboxRow>(
          `SELECT e.seq, e.delivered_at, e.read_at, m.data FROM events e JOIN messages m ON m.id = e.message_id WHERE ${where.join(" AND ")} ORDER BY e.seq LIMIT ?`,
        ).all(...params);
        return rows.map(inboxMessage);
      },
      getInboxMessage: async (recipient, messageId) => {
        const row = s.getInboxMessage.get(recipient, messageId);
        return row && inboxMessage(row);
      },
      countUnread: async (recipient, now) => s.countUnread.get(recipient, now)!.n,
      markRead: async (recipient, ids, at) => {
        const changed = s.markRead.all({ at, audience: recipient, ids: JSON.stringify(ids) }).map((row) => row.message_id);
        return inboxMessages(recipient, changed);
      },
      markDelivered: async (recipient, ids, at) => {
        const changed = s.markDelivered.all(at, recipient, JSON.stringify(ids)).map((row) => row.message_id);
        return inboxMessages(recipient, changed);
      },
      conversation: async (query: ConversationQuery): Promise<ConversationPage> => {
        const selector =
          "threadId" in query
            ? { where: "m.thread_id = @selector AND (m.sender = @viewer OR i.seq IS NOT NULL)", selector: query.threadId }
            : {
                where: "((m.sender = @viewer AND m.recipient = @selector) OR (m.sender = @selector AND m.recipient = @viewer))",
                selector: query.peer,
              };
        const rows = prepare<InboxRow & { ordinal: number | bigint; sender: string }>(
          `SELECT m.ordinal, m.sender, m.data, i.seq, i.delivered_at, i.read_at
           FROM messages m LEFT JOIN events i ON i.message_id = m.id AND i.audience = @viewer
           WHERE ${selector.where} AND m.ordinal > @after ORDER BY m.ordinal LIMIT @limit`,
        ).all({ selector: selector.selector, viewer: query.viewer, after: query.afterSeq, limit: query.limit + 1 });
        const hasMore = rows.length > query.limit;
        rows.length = Math.min(rows.length, query.limit);
        const messages = rows.map((row) =>
          row.seq === null ? decodeMessage(row) : inboxMessage(row),
        );
        const cursor = rows.length > 0 ? BigInt(rows[rows.length - 1].ordinal) : query.afterSeq;
        return { messages, cursor, hasMore };
      },
      getMemory: async (key) => {
        const row = s.getMemory.get(key);
        return row && decodeMemory(row);
      },
      putMemory: async (entry: MemoryEntry) => {
        const expiresAt = entry.expiresAt ? timestampMs(entry.expiresAt) : null;
        s.putMemory.run(entry.key, entry.revision, expiresAt, Buffer.from(toBinary(MemoryEntrySchema, entry)));
      },
      deleteMemory: async (key) => {
        s.deleteMemory.run(key);
      },
      listMemory: async (prefix, afterKey, limit) => s.listMemory.all({ after: afterKey, prefix, limit }).map(decodeMemory),
      expiredMemory: async (now, limit) => s.expiredMemory.all(now, limit).map(decodeMemory),
      nextMemoryRevision: async () => counter("memory_revision"),
      getTask: async (id) => {
        const row = s.getTask.get(id);
        return row && decodeTask(row);
      },
      putTask: async (task: Task) => {
        const existing = s.getTaskOrdinal.get(task.id);
        const ordinal = existing ? existing.ordinal : counter("task_ordinal");
        s.putTask.run(task.id, ordinal, task.assigner, task.assignee, task.status, Buffer.from(toBinary(TaskSchema, task)));
      },
      listTasks: async (query: TaskQuery): Promise<TaskRecord[]> => {
        const where: string[] = ["1 = 1"];
        const params: unknown[] = [];
        if (query.assignee !== undefined) {
          where.push("assignee = ?");
          params.push(query.assignee);
        }
        if (query.assigner !== undefined) {
          where.push("assigner = ?");
          params.push(query.assigner);
        }
        if (query.openOnly) where.push(`assignee = '' AND status = ${TaskStatus.PENDING}`);
        if (query.statuses.length > 0) {
          where.push(`status IN (${query.statuses.map(() => "?").join(", ")})`);
          params.push(...query.statuses);
        }
        if (query.beforeOrdinal !== undefined) {
          where.push("ordinal < ?");
          params.push(query.beforeOrdinal);
        }
        params.push(query.limit);
        return prepare<{ data: Buffer; ordinal: number | bigint }>(
          `SELECT data, ordinal FROM tasks WHERE ${where.join(" AND ")} ORDER BY ordinal DESC LIMIT ?`,
        ).all(...params)
        .map((row) => ({ task: decodeTask(row), ordinal: BigInt(row.ordinal) }));
      },
      prune: async (now, before) =>
        s.pruneExpired.run(now).changes +
        s.pruneRead.run(before).changes +
        s.pruneEvents.run(before).changes +
        s.pruneMessages.run(before).changes,
    };
  }
}
