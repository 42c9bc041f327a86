import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Message, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { encodedMessage } from "../../encoded-messages.js";
import type { ConversationPage, ConversationQuery, InboxQuery, MessageRepository } from "../message-repository.js";
import { INBOX_COLUMNS, type InboxRow, inboxMessage } from "./inbox-row.js";
import type { Sql } from "./sql.js";

/**
 * Messages in PostgreSQL. An inbox is the `inbox` view: a direct message's
 * inbox entry is its event row; a broadcast's are rows of `broadcast_inbox`
 * beside its one event.
 */
export function postgresMessages(sql: Sql): MessageRepository {
  const decode = (row: { data: Buffer }) => fromBinary(MessageSchema, row.data);
  const entries = async (recipient: string, ids: string[]) => {
    if (ids.length === 0) return [];
    const rows = await sql<InboxRow>(
      `SELECT ${INBOX_COLUMNS} FROM inbox i JOIN messages m ON m.id = i.message_id WHERE i.recipient = $1 AND i.message_id = ANY($2) ORDER BY i.seq`,
      [recipient, ids],
    );
    return rows.map(inboxMessage);
  };
  // The recipient's broadcast entries of these messages, joined with their events ($2 recipient, $3 ids).
  const BROADCAST_ENTRIES = "b.recipient = $2 AND e.seq = b.seq AND e.audience = '*' AND e.message_id = ANY($3)";
  return {
    insert: async (message: Message) => {
      // The ordinal is a counter row, taken in the same statement under the write lock.
      await sql(
        `WITH counter AS (UPDATE meta SET value = value + 1 WHERE key = 'message_ordinal' RETURNING value)
         INSERT INTO messages (id, ordinal, sender, recipient, thread_id, idempotency_key, sent_at, expires_at, data)
         SELECT $1::text, counter.value, $2::text, $3::text, $4::text, $5::text, $6::bigint, $7::bigint, $8::bytea FROM counter`,
        [
          message.id,
          message.sender,
          message.recipient,
          message.threadId,
          message.idempotencyKey === "" ? null : message.idempotencyKey,
          message.sentAt ? timestampMs(message.sentAt) : 0,
          message.expiresAt ? timestampMs(message.expiresAt) : null,
          Buffer.from(encodedMessage(message)),
        ],
      );
    },
    get: async (id) => {
      const [row] = await sql<{ data: Buffer }>("SELECT data FROM messages WHERE id = $1", [id]);
      return row && decode(row);
    },
    findByIdempotencyKey: async (sender, key) => {
      const [row] = await sql<{ data: Buffer }>("SELECT data FROM messages WHERE sender = $1 AND idempotency_key = $2", [sender, key]);
      return row && decode(row);
    },
    recipientsOf: async (messageId) => {
      const [broadcast] = await sql<{ seq: string }>("SELECT seq FROM events WHERE audience = '*' AND message_id = $1", [messageId]);
      if (broadcast) return (await sql<{ recipient: string }>("SELECT recipient FROM broadcast_inbox WHERE seq = $1", [broadcast.seq])).map((row) => row.recipient);
      // Broadcasts stored before they were stored once: a scan, and only a retried broadcast asks.
      const rows = await sql<{ audience: string }>("SELECT audience FROM events WHERE message_id = $1 AND audience <> '*' ORDER BY seq", [messageId]);
      return rows.map((row) => row.audience);
    },
    listInbox: async (query: InboxQuery) => {
      const rows = await sql<InboxRow>(
        `SELECT ${INBOX_COLUMNS} FROM inbox i JOIN messages m ON m.id = i.message_id
         WHERE i.recipient = $1 AND i.seq > $2
           AND (NOT $3 OR (i.read_at IS NULL AND (i.expires_at IS NULL OR i.expires_at > $4)))
           AND ($5 = '' OR m.sender = $5)
         ORDER BY i.seq LIMIT $6`,
        [query.recipient, query.afterSeq, query.unreadOnly, query.now, query.sender, query.limit],
      );
      return rows.map(inboxMessage);
    },
    getInboxEntry: async (recipient, messageId) => (await entries(recipient, [messageId]))[0],
    countUnread: async (recipient, now) =>
      Number(
        (
          await sql<{ n: string }>(
            "SELECT count(*) AS n FROM inbox WHERE recipient = $1 AND read_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
            [recipient, now],
          )
        )[0].n,
      ),
    markRead: async (recipient, ids, at) => {
      const marks = [at, recipient, ids];
      const direct = await sql<{ message_id: string }>(
        "UPDATE events SET read_at = $1, delivered_at = COALESCE(delivered_at, $1) WHERE audience = $2 AND message_id = ANY($3) AND read_at IS NULL RETURNING message_id",
        marks,
      );
      const broadcast = await sql<{ message_id: string }>(
        `UPDATE broadcast_inbox b SET read_at = $1, delivered_at = COALESCE(b.delivered_at, $1) FROM events e
         WHERE ${BROADCAST_ENTRIES} AND b.read_at IS NULL RETURNING e.message_id`,
        marks,
      );
      return entries(recipient, [...direct, ...broadcast].map((row) => row.message_id));
    },
    markDelivered: async (recipient, ids, at) => {
      const marks = [at, recipient, ids];
      const direct = await sql<{ message_id: string }>(
        "UPDATE events SET delivered_at = $1 WHERE audience = $2 AND message_id = ANY($3) AND delivered_at IS NULL RETURNING message_id",
        marks,
      );
      const broadcast = await sql<{ message_id: string }>(
        `UPDATE broadcast_inbox b SET delivered_at = $1 FROM events e
         WHERE ${BROADCAST_ENTRIES} AND b.delivered_at IS NULL RETURNING e.message_id`,
        marks,
      );
      return entries(recipient, [...direct, ...broadcast].map((row) => row.message_id));
    },
    conversation: async (query: ConversationQuery): Promise<ConversationPage> => {
      const where =
        "threadId" in query
          ? "m.thread_id = $1 AND (m.sender = $2 OR i.seq IS NOT NULL)"
          : "((m.sender = $2 AND m.recipient = $1) OR (m.sender = $1 AND m.recipient = $2))";
      const selector = "threadId" in query ? query.threadId : query.peer;
      const rows = await sql<{ ordinal: string; data: Buffer; seq: string | null; delivered_at: string | null; read_at: string | null }>(
        `SELECT m.ordinal, m.data, i.seq, i.delivered_at, i.read_at
         FROM messages m LEFT JOIN inbox i ON i.message_id = m.id AND i.recipient = $2
         WHERE ${where} AND m.ordinal > $3 ORDER BY m.ordinal LIMIT $4`,
        [selector, query.viewer, query.afterCursor, query.limit + 1],
      );
      const hasMore = rows.length > query.limit;
      rows.length = Math.min(rows.length, query.limit);
      const messages = rows.map((row) => (row.seq === null ? decode(row) : inboxMessage({ ...row, seq: row.seq })));
      const cursor = rows.length > 0 ? BigInt(rows[rows.length - 1].ordinal) : query.afterCursor;
      return { messages, cursor, hasMore };
    },
    prune: async (now, before) => {
      const expired = await sql(
        "DELETE FROM events WHERE message_id IS NOT NULL AND audience <> '*' AND expires_at IS NOT NULL AND expires_at <= $1 AND read_at IS NULL RETURNING seq",
        [now],
      );
      const expiredBroadcasts = await sql("DELETE FROM broadcast_inbox WHERE expires_at IS NOT NULL AND expires_at <= $1 AND read_at IS NULL RETURNING seq", [now]);
      const read = await sql("DELETE FROM events WHERE message_id IS NOT NULL AND audience <> '*' AND read_at IS NOT NULL AND read_at < $1 RETURNING seq", [before]);
      const readBroadcasts = await sql("DELETE FROM broadcast_inbox WHERE read_at IS NOT NULL AND read_at < $1 RETURNING seq", [before]);
      // A broadcast's event goes once no inbox holds it any more.
      const broadcasts = await sql(
        "DELETE FROM events e WHERE audience = '*' AND message_id IS NOT NULL AND at < $1 AND NOT EXISTS (SELECT 1 FROM broadcast_inbox b WHERE b.seq = e.seq) RETURNING seq",
        [before],
      );
      // A direct message is held by its recipient's inbox entry; a broadcast by its event (or, stored earlier, by any entry: one scan).
      const orphans = await sql(
        `DELETE FROM messages WHERE sent_at < $1 AND CASE WHEN recipient = '*'
           THEN id NOT IN (SELECT message_id FROM events WHERE message_id IS NOT NULL)
           ELSE NOT EXISTS (SELECT 1 FROM events e WHERE e.audience = messages.recipient AND e.message_id = messages.id) END
         RETURNING id`,
        [before],
      );
      return expired.length + expiredBroadcasts.length + read.length + readBroadcasts.length + broadcasts.length + orphans.length;
    },
  };
}
