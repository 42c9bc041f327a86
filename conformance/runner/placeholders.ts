import type { JsonValue } from "@bufbuild/protobuf";

/** A placeholder that names no known value; the case is wrong, not the implementation. */
export class PlaceholderError extends Error {}

const WHOLE = /^\{\{\s*([^{}]+?)\s*\}\}$/;
const ANY = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** Values placeholders resolve to: agent names and tokens, {{ns}}, {{i}} and captures. */
export class Scope {
  private readonly values = new Map<string, JsonValue>();

  /** Sets a value. */
  set(name: string, value: JsonValue): void {
    this.values.set(name, value);
  }

  /** The value of one placeholder expression, for example "A.token" or "fill:100". */
  resolve(expression: string): JsonValue {
    const fill = /^fill:(\d+)$/.exec(expression);
    if (fill) return "x".repeat(Number(fill[1]));
    const value = this.values.get(expression);
    if (value === undefined) throw new PlaceholderError(`unknown placeholder {{${expression}}}`);
    return value;
  }

  /**
   * Replaces placeholders everywhere in `value` (object keys too). A string
   * that is one placeholder becomes the value itself, so captured numbers and
   * objects keep their type; otherwise values are spliced in as text.
   */
  substitute(value: JsonValue): JsonValue {
    if (typeof value === "string") return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.substitute(item));
    if (value !== null && typeof value === "object") {
      const out: { [key: string]: JsonValue } = {};
      for (const [key, item] of Object.entries(value)) out[this.string(key)] = this.substitute(item);
      return out;
    }
    return value;
  }

  /** Replaces placeholders in a string and always returns a string. */
  string(text: string): string {
    return text.replace(ANY, (_, expression: string) => {
      const value = this.resolve(expression.trim());
      return typeof value === "string" ? value : JSON.stringify(value);
    });
  }

  private text(text: string): JsonValue {
    const whole = WHOLE.exec(text);
    return whole ? this.resolve(whole[1]) : this.string(text);
  }
}

/**
 * Looks up a path such as `message.id`, `messages[-1].seq` or
 * `instances[0].labels.role` in a JSON value; negative indexes count from the end.
 */
export function lookup(root: JsonValue | undefined, path: string): JsonValue | undefined {
  const parts = path.match(/[^.[\]]+|\[-?\d+\]/g) ?? [];
  let current: JsonValue | undefined = root;
  for (const part of parts) {
    if (current === undefined || current === null) return undefined;
    const index = /^\[(-?\d+)\]$/.exec(part);
    if (index) {
      if (!Array.isArray(current)) return undefined;
      const n = Number(index[1]);
      current = current[n < 0 ? current.length + n : n];
    } else {
      if (typeof current !== "object" || Array.isArray(current)) return undefined;
      current = (current as { [key: string]: JsonValue })[part];
    }
  }
  return current;
}
