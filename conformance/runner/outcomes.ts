import type { JsonValue } from "@bufbuild/protobuf";
import type { RpcError } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import type { Event } from "@linker/protocol/gen/linker/v1/event_pb.js";

/** A mistake in the case or the harness (not in the implementation); fails the step with its message. */
export class HarnessFault extends Error {}

/** What one action produced, with the JSON view that expectations and captures look at. */
export type Outcome =
  | { kind: "none"; view: JsonValue }
  | { kind: "call"; ok: boolean; error?: RpcError; view: JsonValue }
  | { kind: "calls"; calls: { ok: boolean; error?: RpcError; view: JsonValue }[]; view: JsonValue }
  | { kind: "stream"; read: StreamRead; view: JsonValue }
  | { kind: "streamCall"; ok: boolean; error?: RpcError; view: JsonValue };

/** What one read of a Subscribe stream collected. */
export interface StreamRead {
  events: Event[];
  eventViews: JsonValue[];
  selected: JsonValue[];
  caughtUp: boolean;
  caughtUpSeq: bigint | undefined;
  ended: boolean;
  error: RpcError | undefined;
  orderFailures: string[];
}

/** What the runner remembers of an open stream across reads, to check order. */
export interface StreamState {
  lastSeq: bigint;
  messageIds: Set<string>;
}

