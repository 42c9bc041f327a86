import { type Message, Priority, PrioritySchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { enumName, kindName } from "./enum-names.js";
import { indent, table } from "./output.js";
import { age } from "./time-text.js";

/** A message's body with a one-line summary of its attachment, if any. */
export function messageBody(message: Message): string {
  const content = message.attachment?.content;
  let body = message.body;
  if (content?.case === "code") body += `\n[code${content.value.language ? ` ${content.value.language}` : ""}${content.value.path ? ` ${content.value.path}` : ""}]\n${content.value.code}`;
  if (content?.case === "file") body += `\n[file ${content.value.name}, ${content.value.content.length} bytes]`;
  if (content?.case === "context") body += `\n[context ${content.value.projectName}${content.value.gitBranch ? `@${content.value.gitBranch}` : ""}]`;
  if (content?.case === "data") body += "\n[data attachment: see --json]";
  return body;
}

/** Kind of a message, with its priority when it is above normal. */
function kindLabel(message: Message): string {
  const urgent = message.priority >= Priority.HIGH ? ` !${enumName(PrioritySchema, message.priority)}` : "";
  return `${kindName(message.kind)}${urgent}`;
}

/** Who a message is from (and to, when `direction`). */
function parties(message: Message, direction: boolean): string {
  const to = message.recipient === "*" ? "all" : message.recipient;
  if (direction) return `${message.sender} → ${to}`;
  return message.recipient === "*" ? `${message.sender} → all` : message.sender;
}

/**
 * Messages for people: an aligned header per message (age, who, kind, id;
 * `*` marks unread ones when `unreadMark`) with its body indented below.
 */
export function messageLines(messages: Message[], options: { direction?: boolean; unreadMark?: boolean } = {}): string[] {
  const now = Date.now();
  const headers = table(
    messages.map((message) => [
      ...(options.unreadMark ? [message.readAt ? " " : "*"] : []),
      age(message.sentAt, now),
      parties(message, options.direction ?? false),
      kindLabel(message),
      message.id,
    ]),
  );
  return messages.flatMap((message, i) => [headers[i], indent(messageBody(message))]);
}
