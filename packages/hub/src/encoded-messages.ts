import { toBinary } from "@bufbuild/protobuf";
import { type Message, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";

/** Encodings of messages the hub has encoded once, kept while the message object lives. */
const encodings = new WeakMap<Message, Uint8Array>();

/**
 * The protobuf bytes of `message`, encoded once: the store writes them and
 * the answer to Send carries them again without a second encoding. Messages
 * never change after they are stored, so the bytes stay right.
 */
export function encodedMessage(message: Message): Uint8Array {
  let bytes = encodings.get(message);
  if (!bytes) encodings.set(message, (bytes = toBinary(MessageSchema, message)));
  return bytes;
}
