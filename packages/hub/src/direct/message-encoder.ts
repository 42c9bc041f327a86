import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type Event, EventSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import {
  type SendResponse,
  SendResponseSchema,
  type SubscribeResponse,
  SubscribeResponseSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { encodedMessage } from "../encoded-messages.js";
import { encodeEnvelope } from "./envelope.js";

/** Turns a response message into its wire bytes. */
export type MessageEncoder = (message: MessageShape<DescMessage>) => Uint8Array;

/** Stream frames of events, kept while the event object lives: one event pushed to many streams is encoded and framed once. */
const eventFrames = new WeakMap<Event, Buffer>();

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

/** A SubscribeResponse as one stream frame; a frame carrying an event is built once per event object. */
function frameSubscribeResponse(response: SubscribeResponse): Buffer {
  if (response.item.case !== "event" || Object.keys(response.$unknown ?? {}).length > 0) return encodeEnvelope(0, toBinary(SubscribeResponseSchema, response));
  const event = response.item.value;
  let frame = eventFrames.get(event);
  if (!frame) eventFrames.set(event, (frame = encodeEnvelope(0, withMessageField(toBinary(EventSchema, event), []))));
  return frame;
}

/** The encoder of a unary response type: a Send response reuses the bytes its message was stored with. */
export function messageEncoder(schema: DescMessage): MessageEncoder {
  if (schema.typeName === SendResponseSchema.typeName) return encodeSendResponse as MessageEncoder;
  return (message) => toBinary(schema, message);
}

/** Turns a response message into one stream frame (an envelope holding its bytes). */
export type MessageFramer = (message: MessageShape<DescMessage>) => Buffer;

/**
 * The framer of a streamed response type. Subscribe responses frame each
 * event once however many streams carry it (a broadcast, a presence change);
 * every other message is encoded and framed as usual.
 */
export function messageFramer(schema: DescMessage): MessageFramer {
  if (schema.typeName === SubscribeResponseSchema.typeName) return frameSubscribeResponse as MessageFramer;
  const encode = messageEncoder(schema);
  return (message) => encodeEnvelope(0, encode(message));
}
