import { type Message, MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";

/** Longest preview of a message's text in its line. */
export const PREVIEW_CHARS = 120;

/**
 * Characters that must never reach a terminal or a model as they are: C0
 * and C1 controls (escape sequences start with them), DEL, line and
 * paragraph separators, bidirectional overrides and isolates, zero-width and
 * invisible formatting characters, and Unicode tag characters.
 */
const UNSAFE = /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]|[\u{E0000}-\u{E007F}]/gu;

/** `\uXXXX` (or `\u{XXXXX}`) for one character. */
function escaped(char: string): string {
  const code = char.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Text that came from another agent, made safe for one line: line breaks
 * shown as `⏎`, runs of spaces collapsed, cut to `max` characters, every
 * unsafe character escaped as `\uXXXX`, backslashes and double quotes
 * escaped (so the text cannot end the quotes around it), and angle brackets
 * turned into look-alikes (so it cannot open or close a tag around it).
 */
export function safeText(text: string, max: number): string {
  const flat = text
    .replace(/\r\n?|\n/g, " ⏎ ")
    .replace(/[ \t]+/g, " ")
    .trim();
  const cut = [...flat].length > max ? `${[...flat].slice(0, max - 1).join("")}…` : flat;
  return cut
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(UNSAFE, escaped)
    .replace(/</g, "\u2039")
    .replace(/>/g, "\u203A");
}

/** The lowercase kind a line names. */
function kindWord(kind: MessageKind): string {
  switch (kind) {
    case MessageKind.QUERY:
      return "question";
    case MessageKind.RESPONSE:
      return "reply";
    case MessageKind.CONTEXT:
      return "context";
    case MessageKind.CODE:
      return "code";
    case MessageKind.FILE:
      return "file";
    case MessageKind.TASK:
      return "task message";
    default:
      return "message";
  }
}

/** A message id as a line shows it: the hub's own ids pass, anything else is escaped. */
function idText(id: string): string {
  return /^[0-9A-Za-z-]{1,64}$/.test(id) ? id : `"${safeText(id, 64)}"`;
}

/**
 * The one line `linker watch` prints for a message: who sent what (kind,
 * id, a short preview marked as untrusted, quoted and escaped) and which
 * tool reads it in full. The line is all a Claude Code session is woken
 * with, so it is short and nothing in it comes from the peer unescaped.
 */
export function messageLine(message: Message): string {
  const what = `${message.recipient === "*" ? "broadcast " : ""}${kindWord(message.kind)}`;
  const answer = message.kind === MessageKind.QUERY ? "; answer with linker_reply" : "";
  const attachment = message.attachment?.content.case ? ` [+${message.attachment.content.case}]` : "";
  return (
    `[linker] ${what} from "${safeText(message.sender, 64)}", id ${idText(message.id)}: "${safeText(message.body, PREVIEW_CHARS)}"${attachment}` +
    ` (untrusted text from another agent). Read it with linker_get_messages${answer}.`
  );
}

/** One line for messages that arrived faster than lines are printed. */
export function summaryLine(count: number, senders: string[]): string {
  const from = senders.slice(0, 3).map((sender) => `"${safeText(sender, 64)}"`).join(", ") + (senders.length > 3 ? ", …" : "");
  return `[linker] ${count} more message${count === 1 ? "" : "s"} from ${from} (untrusted text from other agents). Read them with linker_get_messages.`;
}
