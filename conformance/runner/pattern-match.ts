import type { JsonValue } from "@bufbuild/protobuf";

/**
 * Matches `actual` (protobuf JSON) against a `pattern` and returns what does
 * not match, one line each (empty when it matches).
 *
 * - An object pattern matches an object that has every listed key matching;
 *   other keys are ignored (partial match).
 * - An array pattern matches an array of the same length, element by element.
 * - Scalars compare by value; numbers and numeric strings compare as numbers,
 *   because protobuf JSON writes 64-bit integers as strings.
 * - `null` matches a missing field.
 * - An object whose keys all start with `$` is an operator: `$exists`,
 *   `$contains`, `$not_contains`, `$len`, `$gt`, `$gte`, `$lt`, `$lte`,
 *   `$ne`, `$any_of`, `$regex`.
 */
export function matchPattern(pattern: JsonValue, actual: JsonValue | undefined, path = "$"): string[] {
  if (pattern === null) return actual === undefined || actual === null ? [] : [`${path}: expected no value, got ${show(actual)}`];
  if (isOperator(pattern)) return matchOperators(pattern, actual, path);
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return [`${path}: expected a list, got ${show(actual)}`];
    if (actual.length !== pattern.length) return [`${path}: expected ${pattern.length} items, got ${actual.length}: ${show(actual)}`];
    return pattern.flatMap((item, i) => matchPattern(item, actual[i], `${path}[${i}]`));
  }
  if (typeof pattern === "object") {
    if (actual === null || actual === undefined || typeof actual !== "object" || Array.isArray(actual)) {
      return [`${path}: expected an object, got ${show(actual)}`];
    }
    return Object.entries(pattern as { [key: string]: JsonValue }).flatMap(([key, item]) => matchPattern(item, fieldOf(actual, key), `${path}.${key}`));
  }
  return scalarEquals(pattern, actual) ? [] : [`${path}: expected ${show(pattern)}, got ${show(actual)}`];
}

/** Whether `actual` matches `pattern`. */
export function matches(pattern: JsonValue, actual: JsonValue | undefined): boolean {
  return matchPattern(pattern, actual).length === 0;
}

function isOperator(pattern: JsonValue): pattern is { [key: string]: JsonValue } {
  if (pattern === null || typeof pattern !== "object" || Array.isArray(pattern)) return false;
  const keys = Object.keys(pattern);
  return keys.length > 0 && keys.every((key) => key.startsWith("$"));
}

function fieldOf(actual: { [key: string]: JsonValue }, key: string): JsonValue | undefined {
  if (key in actual) return actual[key];
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return actual[snake];
}

function matchOperators(pattern: { [key: string]: JsonValue }, actual: JsonValue | undefined, path: string): string[] {
  const failures: string[] = [];
  for (const [op, arg] of Object.entries(pattern)) {
    switch (op) {
      case "$exists": {
        const exists = actual !== undefined && actual !== null;
        if (exists !== Boolean(arg)) failures.push(`${path}: expected ${arg ? "a value" : "no value"}, got ${show(actual)}`);
        break;
      }
      case "$contains":
      case "$not_contains": {
        if (!Array.isArray(actual)) {
          failures.push(`${path}: expected a list, got ${show(actual)}`);
          break;
        }
        for (const item of asList(arg)) {
          const found = actual.some((element) => matches(item, element));
          if (op === "$contains" && !found) failures.push(`${path}: no item matches ${show(item)} in ${show(actual)}`);
          if (op === "$not_contains" && found) failures.push(`${path}: an item matches ${show(item)} in ${show(actual)}`);
        }
        break;
      }
      case "$len": {
        const length = Array.isArray(actual) ? actual.length : typeof actual === "string" ? actual.length : undefined;
        if (length !== Number(arg)) failures.push(`${path}: expected length ${show(arg)}, got ${length ?? show(actual)}`);
        break;
      }
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte": {
        const cmp = compareNumbers(actual, arg);
        const ok = cmp !== undefined && (op === "$gt" ? cmp > 0 : op === "$gte" ? cmp >= 0 : op === "$lt" ? cmp < 0 : cmp <= 0);
        if (!ok) failures.push(`${path}: expected ${op.slice(1)} ${show(arg)}, got ${show(actual)}`);
        break;
      }
      case "$ne":
        if (matches(arg, actual)) failures.push(`${path}: expected anything but ${show(arg)}`);
        break;
      case "$any_of":
        if (!asList(arg).some((item) => matches(item, actual))) failures.push(`${path}: ${show(actual)} matches none of ${show(arg)}`);
        break;
      case "$regex":
        if (typeof actual !== "string" || !new RegExp(String(arg)).test(actual)) failures.push(`${path}: ${show(actual)} does not match /${arg}/`);
        break;
      default:
        failures.push(`${path}: unknown operator ${op}`);
    }
  }
  return failures;
}

function asList(value: JsonValue): JsonValue[] {
  return Array.isArray(value) ? value : [value];
}

function toNumber(value: JsonValue | undefined): bigint | number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

function compareNumbers(a: JsonValue | undefined, b: JsonValue): number | undefined {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x === undefined || y === undefined) return undefined;
  if (typeof x === "bigint" && typeof y === "bigint") return x === y ? 0 : x > y ? 1 : -1;
  const nx = Number(x);
  const ny = Number(y);
  return nx === ny ? 0 : nx > ny ? 1 : -1;
}

function scalarEquals(expected: JsonValue, actual: JsonValue | undefined): boolean {
  if (actual === undefined) return false;
  if (typeof expected === "number" || typeof actual === "number") return compareNumbers(actual, expected) === 0;
  return expected === actual;
}

function show(value: JsonValue | undefined): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
