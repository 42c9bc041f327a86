import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { StreamItems } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import type { StreamExpectation } from "@linker/protocol/gen/linker/conformance/v1/suite_pb.js";
import { type Event, EventSchema, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { jsonOptions } from "./json-view.js";
import type { StreamRead, StreamState } from "./outcomes.js";
import { matches } from "./pattern-match.js";
import type { Scope } from "./placeholders.js";

/** The event payload each EventType stands for. */
const payloadOfType: Record<number, Event["payload"]["case"]> = {
  [EventType.MESSAGE]: "message",
  [EventType.PRESENCE]: "presence",
  [EventType.MEMORY]: "memory",
  [EventType.TASK]: "task",
  [EventType.RECEIPT]: "receipt",
};

/** Which events of a read an expectation looks at: by kind and by a `where` pattern. */
export function streamSelector(scope: Scope, expectation: StreamExpectation | undefined): (event: Event, view: JsonValue) => boolean {
  const kinds = new Set((expectation?.kinds ?? []).map((kind) => payloadOfType[kind]));
  const where = expectation?.where ? scope.substitute(toJson(ValueSchema, expectation.where)) : undefined;
  return (event, view) => (kinds.size === 0 || kinds.has(event.payload.case)) && (where === undefined || matches(where, view));
}

/** Adds what the client read from a stream to `into`. */
export function collectItems(into: StreamRead, items: StreamItems, select: (event: Event, view: JsonValue) => boolean): void {
  for (const { item } of items.items) {
    if (item.case === "caughtUp") {
      into.caughtUp = true;
      into.caughtUpSeq = item.value.seq;
    } else if (item.case === "event") {
      const view = toJson(EventSchema, item.value, jsonOptions);
      into.events.push(item.value);
      into.eventViews.push(view);
      if (select(item.value, view)) into.selected.push(view);
    }
  }
  if (items.ended) {
    into.ended = true;
    into.error = items.error;
  }
}

/** Every stream must deliver strictly increasing seqs and each message once: no duplicate, no reordering. */
export function checkStreamOrder(handle: string, state: StreamState, read: StreamRead): string[] {
  const failures: string[] = [];
  for (const event of read.events) {
    if (event.seq <= state.lastSeq) failures.push(`stream ${handle}: event seq ${event.seq} came after seq ${state.lastSeq} (duplicate or out of order)`);
    state.lastSeq = event.seq > state.lastSeq ? event.seq : state.lastSeq;
    if (event.payload.case === "message") {
      const id = event.payload.value.id;
      if (state.messageIds.has(id)) failures.push(`stream ${handle}: message ${id} delivered twice`);
      state.messageIds.add(id);
    }
  }
  if (read.caughtUpSeq !== undefined && read.caughtUpSeq > state.lastSeq) state.lastSeq = read.caughtUpSeq;
  return failures;
}
