import type { Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";

/** Audience of events every instance sees (presence, memory, open tasks). */
export const EVERYONE = "*";

/** Audiences that start with this are hub-internal: no stream ever carries their events (no name can start with it). */
export const INTERNAL_AUDIENCE_PREFIX = "!";

/**
 * The key under which the log keeps only the latest event: an instance's
 * presence events replace each other (a new subscriber replays each
 * instance's current state, not its history). Null for events kept as they are.
 */
export function compactionSubject(event: NewEvent): string | null {
  return event.payload.case === "presence" && event.audience === EVERYONE && event.payload.value.instance
    ? `presence:${event.payload.value.instance.name}`
    : null;
}

/** An event to append; the store assigns its sequence number in commit order. */
export interface NewEvent {
  /** Instance name the event is for, or EVERYONE. */
  audience: string;
  /** Commit time in milliseconds since the epoch. */
  at: number;
  /** What happened. A message payload is stored by id: insert the message first. */
  payload: Event["payload"];
  /**
   * For a message to EVERYONE (a broadcast): the instances whose inboxes
   * receive it. The event is stored once; each recipient gets an inbox entry
   * at the event's sequence number with its own delivered and read state.
   */
  recipients?: readonly string[];
}

/** Selects events for a subscriber, oldest first. */
export interface EventQuery {
  /** Instance names (and EVERYONE) whose events are wanted. */
  audiences: string[];
  /** Only events with a sequence number greater than this. */
  afterSeq: bigint;
  /** Only these types (empty = all). */
  types: EventType[];
  /** At most this many. */
  limit: number;
  /** The hub clock: unread messages whose TTL ran out by now are skipped. */
  now: number;
  /**
   * Whose inbox fields message events carry: broadcasts appear only when the
   * viewer received them. Absent for observers, who see each broadcast once,
   * without inbox fields.
   */
  viewer?: string;
}

/**
 * The event log: every change anyone may see, numbered in commit order, so a
 * subscriber's cursor (the last sequence number it saw) resumes with no gap
 * and no duplicate. A direct message event is also its recipient's inbox
 * entry; a broadcast is one event with one inbox entry per recipient.
 */
export interface EventRepository {
  /** Appends events; returns their sequence numbers in order. */
  append(events: NewEvent[]): Promise<bigint[]>;
  /** Events matching `query`, oldest first (message events carry the recipient's inbox fields). */
  read(query: EventQuery): Promise<Event[]>;
  /** The highest sequence number assigned so far. */
  head(): Promise<bigint>;
  /** Deletes every event addressed to `audience`, and its inbox. */
  deleteAudience(audience: string): Promise<void>;
  /** Deletes events other than inbox entries that are older than `before`; returns how many. */
  prune(before: number): Promise<number>;
}
