import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { terminalSafe } from "@linker/protocol";

/** Columns of a text table; the last column is not padded. */
export type Row = string[];

/** A hub message as JSON in the API's canonical JSON mapping, every field present. */
export function protoJson<S extends DescMessage>(schema: S, message: MessageShape<S>): unknown {
  return toJson(schema, message, { alwaysEmitImplicit: true });
}

/** Lines aligned in columns separated by two spaces. */
export function table(rows: Row[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ").trimEnd());
}

/** Cuts `text` to one line of at most `max` characters. */
export function oneLine(text: string, max = 60): string {
  const flat = text.replace(/\s*\n\s*/g, " ⏎ ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Indents every line of `text`. */
export function indent(text: string, by = "    "): string {
  return text
    .split("\n")
    .map((line) => (line === "" ? line : `${by}${line}`))
    .join("\n");
}

/**
 * Where a command writes its results: human text by default, or with
 * `--json` exactly one JSON object per result (one per line for streams).
 * Human text passes through terminalSafe: text from peers (message bodies,
 * names, statuses, task notes) can never put an escape sequence, a carriage
 * return or a bidirectional override on the user's terminal.
 */
export class Output {
  constructor(readonly json: boolean) {}

  /** Writes lines of human text (ignored with --json). */
  text(...lines: string[]): void {
    if (!this.json && lines.length > 0) process.stdout.write(`${terminalSafe(lines.join("\n"))}\n`);
  }

  /** Writes one JSON value on one line (ignored without --json). */
  data(value: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}\n`);
  }

  /** Writes a note for people on stderr (kept out of results). */
  note(line: string): void {
    process.stderr.write(`${terminalSafe(line)}\n`);
  }
}
