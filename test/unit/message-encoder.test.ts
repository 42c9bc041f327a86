import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventSchema } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { SendResponseSchema, SubscribeResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MessageKind, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { encodeEnvelope } from "../../packages/hub/src/direct/envelope.js";
import { messageEncoder, messageFramer } from "../../packages/hub/src/direct/message-encoder.js";

const messageArb = fc.record({
  id: fc.uuid(),
  sender: fc.string({ maxLength: 20 }),
  recipient: fc.string({ maxLength: 20 }),
  body: fc.string({ maxLength: 3000 }),
  kind: fc.constantFrom(MessageKind.TEXT, MessageKind.QUERY, MessageKind.RESPONSE),
  seq: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
  sent: fc.integer({ min: 0, max: 2 ** 41 }),
  metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
});

describe("the direct path's response encoders", () => {
  it("encode Send responses byte for byte as toBinary does", () => {
    const encode = messageEncoder(SendResponseSchema);
    fc.assert(
      fc.property(messageArb, fc.boolean(), fc.boolean(), (m, duplicate, recipientOnline) => {
        const message = create(MessageSchema, { ...m, sentAt: timestampFromMs(m.sent) });
        const response = create(SendResponseSchema, { message, duplicate, recipientOnline });
        expect(Buffer.from(encode(response))).toEqual(Buffer.from(toBinary(SendResponseSchema, response)));
      }),
      { numRuns: 300 },
    );
  });

  it("frame Subscribe responses byte for byte as toBinary does, the same event again as the same frame", () => {
    const frame = messageFramer(SubscribeResponseSchema);
    const framed = (response: Parameters<typeof frame>[0]) => encodeEnvelope(0, toBinary(SubscribeResponseSchema, response as never));
    fc.assert(
      fc.property(messageArb, fc.bigInt({ min: 0n, max: 1n << 40n }), (m, seq) => {
        const event = create(EventSchema, { seq, at: timestampFromMs(m.sent), payload: { case: "message", value: create(MessageSchema, m) } });
        const response = create(SubscribeResponseSchema, { item: { case: "event", value: event } });
        const first = frame(response);
        expect(first).toEqual(framed(response));
        const again = frame(create(SubscribeResponseSchema, { item: { case: "event", value: event } }));
        expect(again).toBe(first);
        const caughtUp = create(SubscribeResponseSchema, { item: { case: "caughtUp", value: { seq } } });
        expect(frame(caughtUp)).toEqual(framed(caughtUp));
      }),
      { numRuns: 300 },
    );
  });
});
