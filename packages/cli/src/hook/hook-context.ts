import { formatPeerList, type PeerMessageFields } from "@linker/mcp/peer-text";

/** A message as the hub's JSON answer spells it (protobuf JSON: camelCase, enum names). */
export interface JsonMessage {
  id?: string;
  sender?: string;
  recipient?: string;
  kind?: string;
  body?: string;
  replyTo?: string;
  threadId?: string;
  sentAt?: string;
  attachment?: { code?: { language?: string; code?: string; path?: string }; file?: { name?: string; content?: string }; context?: object };
}

/** The envelope fields of a message in its JSON form. */
export function peerFieldsOfJson(message: JsonMessage): PeerMessageFields {
  const kind = (message.kind ?? "MESSAGE_KIND_TEXT").replace(/^MESSAGE_KIND_/, "").toLowerCase();
  const { code, file, context } = message.attachment ?? {};
  let attachment: string | undefined;
  if (code) attachment = `\`\`\`${code.language ?? ""}${code.path ? ` ${code.path}` : ""}\n${code.code ?? ""}\n\`\`\``;
  else if (file) attachment = `[file ${file.name ?? ""}, ${Math.floor(((file.content ?? "").length * 3) / 4)} bytes]`;
  else if (context) attachment = `[context: ${JSON.stringify(context)}]`;
  return {
    id: message.id ?? "",
    sender: message.sender ?? "",
    recipient: message.recipient ?? "",
    kind: kind === "unspecified" ? "text" : kind,
    body: message.body ?? "",
    replyTo: message.replyTo ?? "",
    threadId: message.threadId ?? "",
    sentAt: message.sentAt,
    attachment,
  };
}

/** The context a hook adds: the peer messages, marked as untrusted, what is left, and how to answer. */
export function hookContext(name: string, messages: JsonMessage[], unreadLeft: number, markedRead: boolean): string {
  const lines = [
    `Linker: ${messages.length} new message${messages.length === 1 ? "" : "s"} for "${name}" from other agents${markedRead ? " (now marked read)" : ""}.`,
    formatPeerList(messages.map(peerFieldsOfJson)),
  ];
  if (unreadLeft > 0) lines.push(`${unreadLeft} more unread: call linker_get_messages.`);
  lines.push("Answer a question with the linker_reply tool (or `linker reply <id> <text>`).");
  return lines.join("\n");
}
