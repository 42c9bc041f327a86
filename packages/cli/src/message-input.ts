import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";
import { readStdin } from "./read-stdin.js";

/** How `textArg` treats missing text. */
export interface TextArgOptions {
  /** Read stdin when no words are given (not only for "-"). */
  stdinWhenEmpty?: boolean;
  /** Accept empty text. */
  allowEmpty?: boolean;
}

/** The text of variadic words, or all of stdin when the only word is "-". */
export async function textArg(words: string[] | undefined, what: string, options: TextArgOptions = {}): Promise<string> {
  const list = words ?? [];
  const fromStdin = (list.length === 1 && list[0] === "-") || (list.length === 0 && options.stdinWhenEmpty === true);
  const text = fromStdin ? ((await readStdin()) ?? "").replace(/\r?\n$/, "") : list.join(" ");
  if (text.trim() === "" && !options.allowEmpty) {
    throw new CliError(`the ${what} is empty`, ExitCode.usage, fromStdin ? "pipe some text into stdin" : `give the ${what} as arguments, or "-" to read it from stdin`);
  }
  return text;
}
