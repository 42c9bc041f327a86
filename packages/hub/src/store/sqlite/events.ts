import { clone, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type Database from "better-sqlite3";
import { type Event, EventSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { eventTypeOf } from "../../event-type.js";
import { compactionSubject, type EventQuery, type EventRepository, type NewEvent } from "../event-repository.js";
import type { CommittedEvent } from "../store.js";
import { inboxMessage } from "./inbox-row.js";
import type { StatementCache } from "./statement-cache.js";

interface EventRow {
  seq: number | bigint;
  at: number;
  message_id: string | null;
  delivered_at: number | null;
  read_at: number | null;
  data: Buffer | null;
  mdata: Buffer | null;
}

/**
 * The event log in SQLite. `seq` is an AUTOINCREMENT key and SQLite has one
 * writer at a time, so sequence order is commit order. A message event stores
 * only the message id (the message row holds the body once); other events
 * store their encoded payload; a broadcast is one event, its recipients'
 * inbox entries rows of `broadcast_inbox`. Appended events are handed to `committed`
 * once their transaction commits, built from what was appended (nothing is
 * read back).
 */
export function sqliteEvents(db: Database.Database, statements: StatementCache, committed: (events: CommittedEvent[]) => void): EventRepository {
  const s = {
    append: db.prepare<[string, number, number, string | null, number | null, Buffer | null, string | null]>(
      "INSERT INTO events (audience, type, at, message_id, expires_at, data, subject) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    compact: db.prepare("DELETE FROM events WHERE subject = ?"),
    addRecipients: db.prepare<[number | bigint, number | null, string]>("INSERT INTO broadcast_inbox (seq, recipient, expires_at) SELECT ?, value, ? FROM json_each(?)"),
    head: db.prepare<[], { seq: number | null }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
    maxSeq: db.prepare<[], { seq: number | null }>("SELECT MAX(seq) AS seq FROM events"),
    deleteAudience: db.prepare("DELETE FROM events WHERE audience = ?"),
    deleteBroadcastEntries: db.prepare("DELETE FROM broadcast_inbox WHERE recipient = ?"),
    prune: db.prepare("DELETE FROM events WHERE message_id IS NULL AND at < ?"),
  };
  // A viewer sees a broadcast through its own inbox entry (and its state); an observer sees the event itself.
  const readStatement = (audiences: number, types: number, viewer: boolean) => {
    const audienceClause = Array.from({ length: audiences }, () => "e.audience = ?").join(" OR ");
    const typeClause = types > 0 ? ` AND e.type IN (${Array.from({ length: types }, () => "?").join(", ")})` : "";
    const entry = viewer
      ? {
          join: "LEFT JOIN broadcast_inbox b ON e.audience = '*' AND e.message_id IS NOT NULL AND b.seq = e.seq AND b.recipient = ?",
          state: "COALESCE(b.delivered_at, e.delivered_at) AS delivered_at, COALESCE(b.read_at, e.read_at) AS read_at",
          held: " AND (e.audience <> '*' OR e.message_id IS NULL OR b.seq IS NOT NULL)",
          readAt: "COALESCE(b.read_at, e.read_at)",
        }
      : { join: "", state: "e.delivered_at, e.read_at", held: "", readAt: "e.read_at" };
    return statements.get<EventRow>(
      `SELECT e.seq, e.at, e.message_id, ${entry.state}, e.data, m.data AS mdata
       FROM events e LEFT JOIN messages m ON m.id = e.message_id ${entry.join}
       WHERE (${audienceClause}) AND e.seq > ?${typeClause}${entry.held} AND (e.expires_at IS NULL OR e.expires_at > ? OR ${entry.readAt} IS NOT NULL)
       ORDER BY e.seq LIMIT ?`,
    );
  };
  const decode = (row: EventRow): Event => {
    if (row.message_id !== null) {
      const message = inboxMessage({ seq: row.seq, delivered_at: row.delivered_at, read_at: row.read_at, data: row.mdata! });
      return create(EventSchema, { seq: message.seq, at: timestampFromMs(row.at), payload: { case: "message", value: message } });
    }
    const event = fromBinary(EventSchema, row.data!);
    event.seq = BigInt(row.seq);
    return event;
  };
  const appendOne = (event: NewEvent): bigint => {
    const type = eventTypeOf(event.payload);
    if (event.payload.case === "message") {
      const message = event.payload.value;
      const expiresAt = message.expiresAt ? timestampMs(message.expiresAt) : null;
      const seq = s.append.run(event.audience, type, event.at, message.id, expiresAt, null, null).lastInsertRowid;
      if (event.recipients && event.recipients.length > 0) s.addRecipients.run(seq, expiresAt, JSON.stringify(event.recipients));
      return BigInt(seq);
    }
    const data = toBinary(EventSchema, create(EventSchema, { at: timestampFromMs(event.at), payload: event.payload }));
    const subject = compactionSubject(event);
    if (subject !== null) s.compact.run(subject);
    return BigInt(s.append.run(event.audience, type, event.at, null, null, Buffer.from(data), subject).lastInsertRowid);
  };
  const committedEvent = (event: NewEvent, seq: bigint): CommittedEvent => {
    const at = timestampFromMs(event.at);
    if (event.payload.case === "message") {
      // Messages never change after they are stored: a shallow copy carries
      // the seq without copying the body again.
      const message = { ...event.payload.value, seq };
      const result: CommittedEvent = { audience: event.audience, event: create(EventSchema, { seq, at, payload: { case: "message", value: message } }) };
      if (event.recipients) result.recipients = event.recipients;
      return result;
    }
    // Other payloads are private copies: callers keep using their objects.
    return { audience: event.audience, event: clone(EventSchema, create(EventSchema, { seq, at, payload: event.payload })) };
  };
  return {
    append: async (events) => {
      const seqs = events.map(appendOne);
      if (events.length > 0) committed(events.map((event, i) => committedEvent(event, seqs[i])));
      return seqs;
    },
    read: async (query: EventQuery) => {
      const viewer = query.viewer === undefined ? [] : [query.viewer];
      return readStatement(query.audiences.length, query.types.length, viewer.length > 0)
        .all(...viewer, ...query.audiences, query.afterSeq, ...query.types, query.now, query.limit)
        .map(decode);
    },
    head: async () => BigInt(s.head.get()?.seq ?? s.maxSeq.get()?.seq ?? 0),
    deleteAudience: async (audience) => {
      s.deleteAudience.run(audience);
      s.deleteBroadcastEntries.run(audience);
    },
    prune: async (before) => s.prune.run(before).changes,
  };
}
