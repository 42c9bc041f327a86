import type { Event, PresenceChange } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { MemoryChange } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import type { Message, Receipt } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { TaskChange } from "@linker/protocol/gen/linker/v1/task_pb.js";
import type { LinkerError } from "./linker-error.js";

/** A message addressed to this instance (direct or broadcast), delivered once. */
export interface MessageEvent {
  type: "message";
  message: Message;
  event: Event;
}

/** An instance joined, left, registered or changed status. */
export interface PresenceEvent {
  type: "presence";
  change: PresenceChange;
  event: Event;
}

/** A shared memory key changed. */
export interface MemoryEvent {
  type: "memory";
  change: MemoryChange;
  event: Event;
}

/** A task this instance assigned, was assigned, or may claim changed. */
export interface TaskEvent {
  type: "task";
  change: TaskChange;
  event: Event;
}

/** A message this instance sent was delivered or read. */
export interface ReceiptEvent {
  type: "receipt";
  receipt: Receipt;
  event: Event;
}

/** The event stream is open (replay of everything after `afterSeq` follows). */
export interface ConnectedEvent {
  type: "connected";
  url: string;
  afterSeq: bigint;
}

/** Replay finished: everything after this is live. */
export interface CaughtUpEvent {
  type: "caught-up";
  url: string;
  seq: bigint;
  /** Events replayed since `connected`. */
  replayed: number;
}

/** The event stream broke; it reconnects by itself after `retryInMs`. */
export interface DisconnectedEvent {
  type: "disconnected";
  url: string;
  error: LinkerError;
  retryInMs: number;
}

/** The client moved to another hub URL, or the hub behind its URL was taken over. */
export interface HubChangedEvent {
  type: "hub-changed";
  from: string;
  to: string;
  /** "failover": another URL of the list; "takeover": another process's new hub; "hosting": this process now serves the hub. */
  reason: "failover" | "takeover" | "hosting";
}

/**
 * The stream is caught up again after a disconnection. `durationMs` runs from
 * the moment the stream broke (the hub died) to caught-up on the next hub: the
 * takeover time when a hub was replaced.
 */
export interface RecoveredEvent {
  type: "recovered";
  url: string;
  durationMs: number;
  /** True when the hub process changed meanwhile (failover or takeover). */
  hubChanged: boolean;
  /** True when this process started the new hub. */
  hosting: boolean;
}

/** Register succeeded (at connect, or again after the hub forgot the session). */
export interface RegisteredEvent {
  type: "registered";
  name: string;
  url: string;
  reclaimed: boolean;
  unreadCount: number;
  headSeq: bigint;
  /** True when this was an automatic re-registration. */
  renewed: boolean;
}

/** Something the client cannot fix by itself; the stream stops until `connect()` is called again. */
export interface ErrorEvent {
  type: "error";
  error: LinkerError;
}

/** Every event a LinkerClient emits, by type. */
export interface LinkerEventMap {
  message: MessageEvent;
  presence: PresenceEvent;
  memory: MemoryEvent;
  task: TaskEvent;
  receipt: ReceiptEvent;
  connected: ConnectedEvent;
  "caught-up": CaughtUpEvent;
  disconnected: DisconnectedEvent;
  "hub-changed": HubChangedEvent;
  recovered: RecoveredEvent;
  registered: RegisteredEvent;
  error: ErrorEvent;
}

/** Any event a LinkerClient emits. */
export type LinkerEvent = LinkerEventMap[keyof LinkerEventMap];

/** Kinds of events that carry hub data (as opposed to connection state). */
export const DATA_EVENT_TYPES = ["message", "presence", "memory", "task", "receipt"] as const;

/** An event carrying hub data. */
export type DataEvent = LinkerEventMap[(typeof DATA_EVENT_TYPES)[number]];

/** The client event for a stream event. */
export function dataEventOf(event: Event): DataEvent | undefined {
  const { payload } = event;
  switch (payload.case) {
    case "message":
      return { type: "message", message: payload.value, event };
    case "presence":
      return { type: "presence", change: payload.value, event };
    case "memory":
      return { type: "memory", change: payload.value, event };
    case "task":
      return { type: "task", change: payload.value, event };
    case "receipt":
      return { type: "receipt", receipt: payload.value, event };
    default:
      return undefined;
  }
}
