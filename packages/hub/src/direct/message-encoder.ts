import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type Event, EventSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import {
  type SendResponse,
  SendResponseSchema,
  type SubscribeResponse,
  SubscribeResponseSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { encodedMessage } from "../encoded-messages.js";

/** Turns a response message into its wire bytes. */
export type MessageEncoder = (message: MessageShape<DescMessage>) => Uint8Array;

/** Encoded events, kept while the event object lives: one event pushed to many streams is encoded once. */
const encodedEvents = new WeakMap<Event, Uint8Array>();

/** Tag of field 1, length-delimited (SubscribeResponse.event, SendResponse.message). */
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

/** Field 1 (length-delimited) holding `bytes`, then the varint fields that are true. */
function withMessageField(bytes: Uint8Array, flags: readonly [number, boolean][]): Uint8Array {
  const prefix = [EVENT_TAG, ...varint(bytes.length)];
  const suffix = flags.flatMap(([field, set]) => (set ? [field << 3, 1] : []));
  const out = new Uint8Array(prefix.length + bytes.length + suffix.length);
  out.set(prefix, 0);
  out.set(bytes, prefix.length);
  out.set(suffix, prefix.length + bytes.length);
  return out;
}

/** A SendResponse, with the stored message's encoding reused. */
function encodeSendResponse(response: SendResponse): Uint8Array {
  if (!response.message || Object.keys(response.$unknown ?? {}).length > 0) return toBinary(SendResponseSchema, response);
  return withMessageField(encodedMessage(response.message), [
    [2, response.duplicate],
    [3, response.recipientOnline],
  ]);
}

/** A SubscribeResponse carrying an event, from the event's cached encoding. */
function encodeSubscribeResponse(response: SubscribeResponse): Uint8Array {
  if (response.item.case !== "event" || Object.keys(response.$unknown ?? {}).length > 0) return toBinary(SubscribeResponseSchema, response);
  const event = response.item.value;
  let bytes = encodedEvents.get(event);
  if (!bytes) encodedEvents.set(event, (bytes = toBinary(EventSchema, event)));
  return withMessageField(bytes, []);
}

/**
 * The encoder of a response type. Subscribe responses encode each event once
 * however many streams carry it (a broadcast, a presence change); a Send
 * response reuses the bytes its message was stored with; every other message
 * is encoded as usual.
 */
export function messageEncoder(schema: DescMessage): MessageEncoder {
  if (schema.typeName === SubscribeResponseSchema.typeName) return encodeSubscribeResponse as MessageEncoder;
  if (schema.typeName === SendResponseSchema.typeName) return encodeSendResponse as MessageEncoder;
  return (message) => toBinary(schema, message);
}
