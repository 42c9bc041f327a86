import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { type Event, EventSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { eventTypeOf } from "../../event-type.js";
import { compactionSubject, type EventQuery, type EventRepository, type NewEvent } from "../event-repository.js";
import type { CommittedEvent } from "../store.js";
import { inboxMessage } from "./inbox-row.js";
import type { Sql } from "./sql.js";

/** An event row joined with its message (for message events). */
export interface EventRow {
  seq: string;
  audience: string;
  at: string;
  message_id: string | null;
  delivered_at: string | null;
  read_at: string | null;
  data: Buffer | null;
  mdata: Buffer | null;
  recipients?: string[] | null;
}

/** The columns of an EventRow from `events e LEFT JOIN messages m`. */
export const EVENT_COLUMNS = "e.seq, e.audience, e.at, e.message_id, e.delivered_at, e.read_at, e.data, m.data AS mdata";

/** EVENT_COLUMNS and, for a broadcast, its recipients (what the commit feed hands on). */
export const COMMITTED_EVENT_COLUMNS = `${EVENT_COLUMNS},
  CASE WHEN e.audience = '*' AND e.message_id IS NOT NULL THEN ARRAY(SELECT b.recipient FROM broadcast_inbox b WHERE b.seq = e.seq) END AS recipients`;

/** An event as subscribers see it. */
export function decodeEvent(row: EventRow): Event {
  if (row.message_id !== null) {
    const message = inboxMessage({ seq: row.seq, delivered_at: row.delivered_at, read_at: row.read_at, data: row.mdata! });
    return create(EventSchema, { seq: message.seq, at: timestampFromMs(Number(row.at)), payload: { case: "message", value: message } });
  }
  const event = fromBinary(EventSchema, row.data!);
  event.seq = BigInt(row.seq);
  return event;
}

/** A committed event read back from its row. */
export function committedEventOf(row: EventRow): CommittedEvent {
  const committed: CommittedEvent = { audience: row.audience, event: decodeEvent(row) };
  if (row.recipients) committed.recipients = row.recipients;
  return committed;
}

/**
 * The event log in PostgreSQL. Sequence numbers come from a counter row that
 * every appending transaction updates while it holds the database's write
 * lock, which it keeps until it commits (see PostgresStore): sequence order is
 * commit order across every hub on the database, so a subscriber that has
 * seen seq N never sees an event below N commit later, and a transaction
 * that rolls back gives its numbers back.
 */
export function postgresEvents(sql: Sql, appended: (seqs: bigint[]) => void): EventRepository {
  return {
    append: async (events: NewEvent[]) => {
      if (events.length === 0) return [];
      const audiences: string[] = [];
      const types: number[] = [];
      const ats: number[] = [];
      const messageIds: (string | null)[] = [];
      const expiries: (number | null)[] = [];
      const payloads: (Buffer | null)[] = [];
      const subjects: (string | null)[] = [];
      for (const event of events) {
        subjects.push(compactionSubject(event));
        audiences.push(event.audience);
        types.push(eventTypeOf(event.payload));
        ats.push(event.at);
        if (event.payload.case === "message") {
          const message = event.payload.value;
          messageIds.push(message.id);
          expiries.push(message.expiresAt ? timestampMs(message.expiresAt) : null);
          payloads.push(null);
        } else {
          messageIds.push(null);
          expiries.push(null);
          payloads.push(Buffer.from(toBinary(EventSchema, create(EventSchema, { at: timestampFromMs(event.at), payload: event.payload }))));
        }
      }
      // The latest presence of an instance replaces its earlier ones (the log keeps one per instance).
      const compacted = subjects.filter((subject) => subject !== null);
      if (compacted.length > 0) await sql("DELETE FROM events WHERE subject = ANY($1)", [compacted]);
      // The counter row is updated under the write lock and rolls back with its transaction, so numbers are gapless and in
      // commit order; one statement takes the numbers and inserts the rows.
      const rows = await sql<{ seq: string }>(
        `WITH counter AS (UPDATE meta SET value = value + $8 WHERE key = 'event_seq' RETURNING value)
         INSERT INTO events (seq, audience, type, at, message_id, expires_at, data, subject)
         SELECT counter.value - $8 + u.n, u.audience, u.type, u.at, u.message_id, u.expires_at, u.data, u.subject
         FROM counter, unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::bigint[], $6::bytea[], $7::text[])
           WITH ORDINALITY AS u(audience, type, at, message_id, expires_at, data, subject, n)
         RETURNING seq`,
        [audiences, types, ats, messageIds, expiries, payloads, subjects, events.length],
      );
      // seq = first + position, so ascending order is input order.
      const seqs = rows.map((row) => BigInt(row.seq)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [i, event] of events.entries()) {
        if (!event.recipients || event.recipients.length === 0) continue;
        await sql("INSERT INTO broadcast_inbox (seq, recipient, expires_at) SELECT $2, unnest($1::text[]), $3", [event.recipients, seqs[i], expiries[i]]);
      }
      appended(seqs);
      return seqs;
    },
    read: async (query: EventQuery) => {
      // A viewer sees a broadcast through its own inbox entry (and its state); an observer sees the event itself.
      const viewer = query.viewer !== undefined;
      const rows = await sql<EventRow>(
        viewer
          ? `SELECT e.seq, e.audience, e.at, e.message_id, COALESCE(b.delivered_at, e.delivered_at) AS delivered_at,
                    COALESCE(b.read_at, e.read_at) AS read_at, e.data, m.data AS mdata
             FROM events e LEFT JOIN messages m ON m.id = e.message_id
               LEFT JOIN broadcast_inbox b ON e.audience = '*' AND e.message_id IS NOT NULL AND b.seq = e.seq AND b.recipient = $6
             WHERE e.audience = ANY($1) AND e.seq > $2 AND (cardinality($3::int[]) = 0 OR e.type = ANY($3))
               AND (e.audience <> '*' OR e.message_id IS NULL OR b.seq IS NOT NULL)
               AND (e.expires_at IS NULL OR e.expires_at > $4 OR COALESCE(b.read_at, e.read_at) IS NOT NULL)
             ORDER BY e.seq LIMIT $5`
          : `SELECT ${EVENT_COLUMNS} FROM events e LEFT JOIN messages m ON m.id = e.message_id
             WHERE e.audience = ANY($1) AND e.seq > $2 AND (cardinality($3::int[]) = 0 OR e.type = ANY($3))
               AND (e.expires_at IS NULL OR e.expires_at > $4 OR e.read_at IS NOT NULL)
             ORDER BY e.seq LIMIT $5`,
        viewer ? [query.audiences, query.afterSeq, query.types, query.now, query.limit, query.viewer] : [query.audiences, query.afterSeq, query.types, query.now, query.limit],
      );
      return rows.map(decodeEvent);
    },
    head: async () => BigInt((await sql<{ value: string }>("SELECT value FROM meta WHERE key = 'event_seq'"))[0].value),
    deleteAudience: async (audience) => {
      await sql("DELETE FROM events WHERE audience = $1", [audience]);
      await sql("DELETE FROM broadcast_inbox WHERE recipient = $1", [audience]);
    },
    prune: async (before) => (await sql("DELETE FROM events WHERE message_id IS NULL AND at < $1 RETURNING seq", [before])).length,
  };
}
