/** C0 and C1 control characters other than newline and tab, DEL, and the bidirectional overrides. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a peer made safe to print on a terminal or show in an editor:
 * every control character except newline and tab (escape sequences, carriage
 * returns, bells, bidirectional overrides) becomes a visible `\xNN` or
 * `\u{NNNN}` escape, so no peer can recolour, retitle or rewrite the screen.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}

/** Like terminalSafe, and newlines and tabs escaped too: for text that must stay on one line. */
export function singleLineSafe(text: string): string {
  return terminalSafe(text).replace(/\n/g, "\\n").replace(/\t/g, "\\t");
}
