import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type Event, EventSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type SubscribeResponse, SubscribeResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";

/** Turns a response message into its wire bytes. */
export type MessageEncoder = (message: MessageShape<DescMessage>) => Uint8Array;

/** Encoded events, kept while the event object lives: one event pushed to many streams is encoded once. */
const encodedEvents = new WeakMap<Event, Uint8Array>();

/** Tag of SubscribeResponse.event: field 1, length-delimited. */
const EVENT_TAG = (1 << 3) | 2;

/** The bytes of a varint. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return bytes;
}

/** A SubscribeResponse carrying an event, from the event's cached encoding. */
function encodeSubscribeResponse(response: SubscribeResponse): Uint8Array {
  if (response.item.case !== "event" || Object.keys(response.$unknown ?? {}).length > 0) return toBinary(SubscribeResponseSchema, response);
  const event = response.item.value;
  let bytes = encodedEvents.get(event);
  if (!bytes) encodedEvents.set(event, (bytes = toBinary(EventSchema, event)));
  const prefix = [EVENT_TAG, ...varint(bytes.length)];
  const out = new Uint8Array(prefix.length + bytes.length);
  out.set(prefix, 0);
  out.set(bytes, prefix.length);
  return out;
}

/**
 * The encoder of a response type. Subscribe responses encode each event once
 * however many streams carry it (a broadcast, a presence change); every other
 * message is encoded as usual.
 */
export function messageEncoder(schema: DescMessage): MessageEncoder {
  if (schema.typeName === SubscribeResponseSchema.typeName) return encodeSubscribeResponse as MessageEncoder;
  return (message) => toBinary(schema, message);
}
