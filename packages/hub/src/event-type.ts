import { type Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";

/** The EventType that selects an event payload in Subscribe filters. */
export function eventTypeOf(payload: Event["payload"]): EventType {
  switch (payload.case) {
    case "message":
      return EventType.MESSAGE;
    case "presence":
      return EventType.PRESENCE;
    case "memory":
      return EventType.MEMORY;
    case "task":
      return EventType.TASK;
    case "receipt":
      return EventType.RECEIPT;
    default:
      return EventType.UNSPECIFIED;
  }
}
