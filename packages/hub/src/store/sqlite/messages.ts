import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type Database from "better-sqlite3";
import { type Message, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { encodedMessage } from "../../encoded-messages.js";
import type { ConversationPage, ConversationQuery, InboxQuery, MessageRepository } from "../message-repository.js";
import { INBOX_COLUMNS, type InboxRow, inboxMessage } from "./inbox-row.js";
import type { StatementCache } from "./statement-cache.js";

/** Messages in SQLite; inbox entries are the message rows of the events table. */
export function sqliteMessages(db: Database.Database, statements: StatementCache, nextOrdinal: () => bigint): MessageRepository {
  const s = {
    insert: db.prepare(
      "INSERT INTO messages (id, ordinal, sender, recipient, thread_id, idempotency_key, sent_at, expires_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    get: db.prepare<[string], { data: Buffer }>("SELECT data FROM messages WHERE id = ?"),
    findByKey: db.prepare<[string, string], { data: Buffer }>("SELECT data FROM messages WHERE sender = ? AND idempotency_key = ?"),
    // A scan: only a retried broadcast asks for this.
    recipientsOf: db.prepare<[string], { audience: string }>("SELECT audience FROM events WHERE message_id = ? ORDER BY seq"),
    getEntry: db.prepare<[string, string], InboxRow>(
      `SELECT ${INBOX_COLUMNS} FROM events e JOIN messages m ON m.id = e.message_id WHERE e.audience = ? AND e.message_id = ?`,
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
    pruneExpired: db.prepare("DELETE FROM events WHERE message_id IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ? AND read_at IS NULL"),
    pruneRead: db.prepare("DELETE FROM events WHERE message_id IS NOT NULL AND read_at IS NOT NULL AND read_at < ?"),
    // A direct message is held by its recipient's inbox entry; a broadcast by any (one scan of the inbox entries).
    pruneMessages: db.prepare(
      `DELETE FROM messages WHERE sent_at < @before AND CASE WHEN recipient = '*'
         THEN id NOT IN (SELECT message_id FROM events WHERE message_id IS NOT NULL)
         ELSE NOT EXISTS (SELECT 1 FROM events e WHERE e.audience = messages.recipient AND e.message_id = messages.id) END`,
    ),
  };
  const decode = (row: { data: Buffer }) => fromBinary(MessageSchema, row.data);
  const entries = (recipient: string, ids: string[]) =>
    ids.map((id) => inboxMessage(s.getEntry.get(recipient, id)!)).sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
  return {
    insert: async (message: Message) => {
      s.insert.run(
        message.id,
        nextOrdinal(),
        message.sender,
        message.recipient,
        message.threadId,
        message.idempotencyKey === "" ? null : message.idempotencyKey,
        message.sentAt ? timestampMs(message.sentAt) : 0,
        message.expiresAt ? timestampMs(message.expiresAt) : null,
        Buffer.from(encodedMessage(message)),
      );
    },
    get: async (id) => {
      const row = s.get.get(id);
      return row && decode(row);
    },
    findByIdempotencyKey: async (sender, key) => {
      const row = s.findByKey.get(sender, key);
      return row && decode(row);
    },
    recipientsOf: async (messageId) => s.recipientsOf.all(messageId).map((row) => row.audience),
    listInbox: async (query: InboxQuery) => {
      const where = ["e.audience = ?", "e.message_id IS NOT NULL", "e.seq > ?"];
      const params: unknown[] = [query.recipient, query.afterSeq];
      if (query.unreadOnly) {
        where.push("e.read_at IS NULL", "(e.expires_at IS NULL OR e.expires_at > ?)");
        params.push(query.now);
      }
      if (query.sender !== "") {
        where.push("m.sender = ?");
        params.push(query.sender);
      }
      params.push(query.limit);
      return statements
        .get<InboxRow>(`SELECT ${INBOX_COLUMNS} FROM events e JOIN messages m ON m.id = e.message_id WHERE ${where.join(" AND ")} ORDER BY e.seq LIMIT ?`)
        .all(...params)
        .map(inboxMessage);
    },
    getInboxEntry: async (recipient, messageId) => {
      const row = s.getEntry.get(recipient, messageId);
      return row && inboxMessage(row);
    },
    countUnread: async (recipient, now) => s.countUnread.get(recipient, now)!.n,
    markRead: async (recipient, ids, at) =>
      entries(recipient, s.markRead.all({ at, audience: recipient, ids: JSON.stringify(ids) }).map((row) => row.message_id)),
    markDelivered: async (recipient, ids, at) =>
      entries(recipient, s.markDelivered.all(at, recipient, JSON.stringify(ids)).map((row) => row.message_id)),
    conversation: async (query: ConversationQuery): Promise<ConversationPage> => {
      const selector =
        "threadId" in query
          ? { where: "m.thread_id = @selector AND (m.sender = @viewer OR e.seq IS NOT NULL)", value: query.threadId }
          : { where: "((m.sender = @viewer AND m.recipient = @selector) OR (m.sender = @selector AND m.recipient = @viewer))", value: query.peer };
      const rows = statements
        .get<InboxRow & { ordinal: number | bigint; seq: number | bigint | null }>(
          `SELECT m.ordinal, m.data, e.seq, e.delivered_at, e.read_at
           FROM messages m LEFT JOIN events e ON e.message_id = m.id AND e.audience = @viewer
           WHERE ${selector.where} AND m.ordinal > @after ORDER BY m.ordinal LIMIT @limit`,
        )
        .all({ selector: selector.value, viewer: query.viewer, after: query.afterCursor, limit: query.limit + 1 });
      const hasMore = rows.length > query.limit;
      rows.length = Math.min(rows.length, query.limit);
      const messages = rows.map((row) => (row.seq === null ? decode(row) : inboxMessage(row)));
      const cursor = rows.length > 0 ? BigInt(rows[rows.length - 1].ordinal) : query.afterCursor;
      return { messages, cursor, hasMore };
    },
    prune: async (now, before) => s.pruneExpired.run(now).changes + s.pruneRead.run(before).changes + s.pruneMessages.run({ before }).changes,
  };
}
