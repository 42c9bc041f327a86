import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type Database from "better-sqlite3";
import { type Message, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { encodedMessage } from "../../encoded-messages.js";
import type { ConversationPage, ConversationQuery, InboxQuery, MessageRepository } from "../message-repository.js";
import { INBOX_COLUMNS, type InboxRow, inboxMessage } from "./inbox-row.js";
import type { StatementCache } from "./statement-cache.js";

/**
 * Messages in SQLite. An inbox is the `inbox` view: a direct message's
 * inbox entry is its event row; a broadcast's are rows of `broadcast_inbox`
 * beside its one event.
 */
export function sqliteMessages(db: Database.Database, statements: StatementCache, nextOrdinal: () => bigint): MessageRepository {
  const s = {
    insert: db.prepare(
      "INSERT INTO messages (id, ordinal, sender, recipient, thread_id, idempotency_key, sent_at, expires_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    get: db.prepare<[string], { data: Buffer }>("SELECT data FROM messages WHERE id = ?"),
    findByKey: db.prepare<[string, string], { data: Buffer }>("SELECT data FROM messages WHERE sender = ? AND idempotency_key = ?"),
    broadcastSeq: db.prepare<[string], { seq: number | bigint }>("SELECT seq FROM events WHERE audience = '*' AND message_id = ?"),
    broadcastRecipients: db.prepare<[number | bigint], { recipient: string }>("SELECT recipient FROM broadcast_inbox WHERE seq = ?"),
    // Broadcasts stored before they were stored once: a scan, and only a retried broadcast asks.
    legacyRecipients: db.prepare<[string], { audience: string }>("SELECT audience FROM events WHERE message_id = ? AND audience <> '*' ORDER BY seq"),
    getEntry: db.prepare<[string, string], InboxRow>(
      `SELECT ${INBOX_COLUMNS} FROM inbox i JOIN messages m ON m.id = i.message_id WHERE i.recipient = ? AND i.message_id = ?`,
    ),
    getEntryAt: db.prepare<[string, number | bigint], InboxRow>(
      `SELECT ${INBOX_COLUMNS} FROM inbox i JOIN messages m ON m.id = i.message_id WHERE i.recipient = ? AND i.seq = ?`,
    ),
    countUnread: db.prepare<[{ recipient: string; now: number }], { n: number }>(
      `SELECT (SELECT COUNT(*) FROM events INDEXED BY inbox_unread_by_expiry
                WHERE audience = @recipient AND message_id IS NOT NULL AND read_at IS NULL AND (expires_at IS NULL OR expires_at > @now))
            + (SELECT COUNT(*) FROM events e JOIN broadcast_inbox b ON b.seq = e.seq AND b.recipient = @recipient
                WHERE e.audience = '*' AND e.message_id IS NOT NULL AND b.read_at IS NULL AND (b.expires_at IS NULL OR b.expires_at > @now)) AS n`,
    ),
    markRead: db.prepare<[{ at: number; recipient: string; ids: string }], { seq: number | bigint }>(
      "UPDATE events SET read_at = @at, delivered_at = COALESCE(delivered_at, @at) WHERE audience = @recipient AND message_id IN (SELECT value FROM json_each(@ids)) AND read_at IS NULL RETURNING seq",
    ),
    markBroadcastsRead: db.prepare<[{ at: number; recipient: string; ids: string }], { seq: number | bigint }>(
      `UPDATE broadcast_inbox SET read_at = @at, delivered_at = COALESCE(delivered_at, @at)
       WHERE recipient = @recipient AND seq IN (SELECT seq FROM events WHERE audience = '*' AND message_id IN (SELECT value FROM json_each(@ids))) AND read_at IS NULL
       RETURNING seq`,
    ),
    markDelivered: db.prepare<[{ at: number; recipient: string; ids: string }], { seq: number | bigint }>(
      "UPDATE events SET delivered_at = @at WHERE audience = @recipient AND message_id IN (SELECT value FROM json_each(@ids)) AND delivered_at IS NULL RETURNING seq",
    ),
    markBroadcastsDelivered: db.prepare<[{ at: number; recipient: string; ids: string }], { seq: number | bigint }>(
      `UPDATE broadcast_inbox SET delivered_at = @at
       WHERE recipient = @recipient AND seq IN (SELECT seq FROM events WHERE audience = '*' AND message_id IN (SELECT value FROM json_each(@ids))) AND delivered_at IS NULL
       RETURNING seq`,
    ),
    pruneExpired: db.prepare("DELETE FROM events WHERE message_id IS NOT NULL AND audience <> '*' AND expires_at IS NOT NULL AND expires_at <= ? AND read_at IS NULL"),
    pruneExpiredBroadcasts: db.prepare("DELETE FROM broadcast_inbox WHERE expires_at IS NOT NULL AND expires_at <= ? AND read_at IS NULL"),
    pruneRead: db.prepare("DELETE FROM events WHERE message_id IS NOT NULL AND audience <> '*' AND read_at IS NOT NULL AND read_at < ?"),
    pruneReadBroadcasts: db.prepare("DELETE FROM broadcast_inbox WHERE read_at IS NOT NULL AND read_at < ?"),
    // A broadcast's event goes once no inbox holds it any more.
    pruneBroadcastEvents: db.prepare(
      "DELETE FROM events WHERE audience = '*' AND message_id IS NOT NULL AND at < ? AND NOT EXISTS (SELECT 1 FROM broadcast_inbox b WHERE b.seq = events.seq)",
    ),
    // A direct message is held by its recipient's inbox entry; a broadcast by its event (or, stored earlier, by any entry: one scan).
    pruneMessages: db.prepare(
      `DELETE FROM messages WHERE sent_at < @before AND CASE WHEN recipient = '*'
         THEN id NOT IN (SELECT message_id FROM events WHERE message_id IS NOT NULL)
         ELSE NOT EXISTS (SELECT 1 FROM events e WHERE e.audience = messages.recipient AND e.message_id = messages.id) END`,
    ),
  };
  const decode = (row: { data: Buffer }) => fromBinary(MessageSchema, row.data);
  const entries = (recipient: string, rows: { seq: number | bigint }[]) =>
    rows
      .map((row) => BigInt(row.seq))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((seq) => inboxMessage(s.getEntryAt.get(recipient, seq)!));
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
    recipientsOf: async (messageId) => {
      const broadcast = s.broadcastSeq.get(messageId);
      if (broadcast) return s.broadcastRecipients.all(broadcast.seq).map((entry) => entry.recipient);
      return s.legacyRecipients.all(messageId).map((entry) => entry.audience);
    },
    listInbox: async (query: InboxQuery) => {
      const where = ["i.recipient = ?", "i.seq > ?"];
      const params: unknown[] = [query.recipient, query.afterSeq];
      if (query.unreadOnly) {
        where.push("i.read_at IS NULL", "(i.expires_at IS NULL OR i.expires_at > ?)");
        params.push(query.now);
      }
      if (query.sender !== "") {
        where.push("m.sender = ?");
        params.push(query.sender);
      }
      params.push(query.limit);
      return statements
        .get<InboxRow>(`SELECT ${INBOX_COLUMNS} FROM inbox i JOIN messages m ON m.id = i.message_id WHERE ${where.join(" AND ")} ORDER BY i.seq LIMIT ?`)
        .all(...params)
        .map(inboxMessage);
    },
    getInboxEntry: async (recipient, messageId) => {
      const row = s.getEntry.get(recipient, messageId);
      return row && inboxMessage(row);
    },
    countUnread: async (recipient, now) => s.countUnread.get({ recipient, now })!.n,
    markRead: async (recipient, ids, at) => {
      const marks = { at, recipient, ids: JSON.stringify(ids) };
      return entries(recipient, [...s.markRead.all(marks), ...s.markBroadcastsRead.all(marks)]);
    },
    markDelivered: async (recipient, ids, at) => {
      const marks = { at, recipient, ids: JSON.stringify(ids) };
      return entries(recipient, [...s.markDelivered.all(marks), ...s.markBroadcastsDelivered.all(marks)]);
    },
    conversation: async (query: ConversationQuery): Promise<ConversationPage> => {
      const selector =
        "threadId" in query
          ? { where: "m.thread_id = @selector AND (m.sender = @viewer OR d.seq IS NOT NULL OR b.seq IS NOT NULL)", value: query.threadId }
          : { where: "((m.sender = @viewer AND m.recipient = @selector) OR (m.sender = @selector AND m.recipient = @viewer))", value: query.peer };
      // The viewer's entry: a direct one (or a broadcast stored per recipient), or a broadcast's.
      const rows = statements
        .get<InboxRow & { ordinal: number | bigint; seq: number | bigint | null }>(
          `SELECT m.ordinal, m.data, COALESCE(d.seq, b.seq) AS seq, COALESCE(d.delivered_at, b.delivered_at) AS delivered_at, COALESCE(d.read_at, b.read_at) AS read_at
           FROM messages m
             LEFT JOIN events d ON d.message_id = m.id AND d.audience = @viewer
             LEFT JOIN events e ON m.recipient = '*' AND e.message_id = m.id AND e.audience = '*'
             LEFT JOIN broadcast_inbox b ON b.seq = e.seq AND b.recipient = @viewer
           WHERE ${selector.where} AND m.ordinal > @after ORDER BY m.ordinal LIMIT @limit`,
        )
        .all({ selector: selector.value, viewer: query.viewer, after: query.afterCursor, limit: query.limit + 1 });
      const hasMore = rows.length > query.limit;
      rows.length = Math.min(rows.length, query.limit);
      const messages = rows.map((row) => (row.seq === null ? decode(row) : inboxMessage(row)));
      const cursor = rows.length > 0 ? BigInt(rows[rows.length - 1].ordinal) : query.afterCursor;
      return { messages, cursor, hasMore };
    },
    prune: async (now, before) =>
      s.pruneExpired.run(now).changes +
      s.pruneExpiredBroadcasts.run(now).changes +
      s.pruneRead.run(before).changes +
      s.pruneReadBroadcasts.run(before).changes +
      s.pruneBroadcastEvents.run(before).changes +
      s.pruneMessages.run({ before }).changes,
  };
}
