import { clone, create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Event, EventSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { Fanout } from "./fanout.js";
import type { NewEvent, StoreTx } from "./store/store.js";

/**
 * Appends events inside a transaction and publishes them to live subscribers
 * once it commits (never before, so nobody sees an event that could still be
 * rolled back). Returns the events with their sequence numbers.
 */
export async function appendEvents(tx: StoreTx, fanout: Fanout, events: NewEvent[]): Promise<Event[]> {
  if (events.length === 0) return [];
  const seqs = await tx.events.append(events);
  const committed = events.map((event, i) => {
    const at = timestampFromMs(event.at);
    if (event.payload.case === "message") {
      // Messages are never changed after they are stored: a shallow copy per
      // recipient carries its own seq without copying the body again.
      const message = { ...event.payload.value, seq: seqs[i] };
      return create(EventSchema, { seq: seqs[i], at, payload: { case: "message", value: message } });
    }
    // Other payloads are private copies: callers keep using their objects.
    return clone(EventSchema, create(EventSchema, { seq: seqs[i], at, payload: event.payload }));
  });
  tx.afterCommit(() => fanout.publish(committed.map((event, i) => ({ audience: events[i].audience, event }))));
  return committed;
}
