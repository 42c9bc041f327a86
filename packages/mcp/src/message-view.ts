import { timestampDate } from "@bufbuild/protobuf/wkt";
import { enumValueName } from "@linker/protocol";
import { type Message, type MessageKind, MessageKindSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { formatPeerFields, formatPeerList, type PeerMessageFields } from "./peer-text.js";

/** Short lowercase name of a message kind (text, query, response…). */
export function kindName(kind: MessageKind): string {
  return kind === 0 ? "text" : enumValueName(MessageKindSchema, kind);
}

/** The attachment of a message as text, if it has one. */
function attachmentText(message: Message): string | undefined {
  const content = message.attachment?.content;
  if (content?.case === "code") return `\`\`\`${content.value.language}${content.value.path ? ` ${content.value.path}` : ""}\n${content.value.code}\n\`\`\``;
  if (content?.case === "file") return `[file ${content.value.name}, ${content.value.content.length} bytes]`;
  if (content?.case === "context") return `[context: ${JSON.stringify({ ...content.value, $typeName: undefined })}]`;
  return undefined;
}

/** What the envelope shows of a message. */
export function peerFieldsOf(message: Message): PeerMessageFields {
  return {
    id: message.id,
    sender: message.sender,
    recipient: message.recipient,
    kind: kindName(message.kind),
    body: message.body,
    replyTo: message.replyTo,
    threadId: message.threadId,
    sentAt: message.sentAt ? timestampDate(message.sentAt).toISOString() : undefined,
    attachment: attachmentText(message),
  };
}

/** A message from another agent in its envelope. */
export function formatPeerMessage(message: Message): string {
  return formatPeerFields(peerFieldsOf(message));
}

/** Messages from other agents, after the untrusted note. */
export function formatPeerMessages(messages: Message[]): string {
  return formatPeerList(messages.map(peerFieldsOf));
}
