import type { Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";

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
}

/**
 * The event log: every change anyone may see, numbered in commit order, so a
 * subscriber's cursor (the last sequence number it saw) resumes with no gap
 * and no duplicate. Message events are also the recipients' inbox entries.
 */
export interface EventRepository {
  /** Appends events; returns their sequence numbers in order. */
  append(events: NewEvent[]): Promise<bigint[]>;
  /** Events matching `query`, oldest first (message events carry the recipient's inbox fields). */
  read(query: EventQuery): Promise<Event[]>;
  /** The highest sequence number assigned so far. */
  head(): Promise<bigint>;
  /** Deletes every event addressed to `audience` (its inbox included). */
  deleteAudience(audience: string): Promise<void>;
  /** Deletes events other than inbox entries that are older than `before`; returns how many. */
  prune(before: number): Promise<number>;
}
