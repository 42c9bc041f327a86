import { create, type DescField, type DescMessage, type JsonValue, type Message } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { ScalarType } from "@bufbuild/protobuf";
import type { Random } from "./random.js";

/** Names and values the hub treats specially, so generated requests reach deep code paths. */
const INTERESTING_STRINGS = [
  "",
  "alice",
  "bob",
  "fuzz-peer",
  "Alice",
  "ALICE",
  "*",
  "a".repeat(64),
  "a".repeat(65),
  "x".repeat(70_000),
  "0",
  "9223372036854775807",
  "9223372036854775808",
  "99999999999999999999",
  "-1",
  "n:alice",
  "n:",
  "lk_" + "A".repeat(43),
  "lkk_0123456789ab_" + "A".repeat(43),
  "key/with/slashes",
  "../../etc/passwd",
  "\u0000",
  "\u001b[31mred",
  "\ud800",
  "😀",
  "é",
  "%s%n",
  "null",
];

const INTERESTING_INTS = [0, 1, -1, 2, 255, 256, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1];
const INTERESTING_BIGINTS = [0n, 1n, -1n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, -(1n << 63n), 1000n];

/** A random JSON value nesting up to `depth` levels: a small tree, or past 6 levels a single deep chain. */
export function randomJson(random: Random, depth: number): JsonValue {
  if (depth > 6) {
    let value: JsonValue = "leaf";
    for (let i = 0; i < depth; i++) value = random.chance(0.5) ? { a: value } : [value];
    return value;
  }
  if (depth <= 0 || random.chance(0.3)) {
    switch (random.int(5)) {
      case 0:
        return random.pick(INTERESTING_STRINGS.filter((s) => s.length < 100));
      case 1:
        return random.pick([0, 1, -1, 1e308, -1e-308, 123.5]);
      case 2:
        return random.chance(0.5);
      case 3:
        return null;
      default:
        return "v";
    }
  }
  if (random.chance(0.5)) return Array.from({ length: random.int(3) }, () => randomJson(random, depth - 1));
  const out: { [key: string]: JsonValue } = {};
  for (let i = random.int(3); i >= 0; i--) out[random.pick(["a", "b", "", "key", "\u0000"])] = randomJson(random, depth - 1);
  return out;
}

function scalar(random: Random, type: ScalarType): unknown {
  switch (type) {
    case ScalarType.STRING: {
      const text = random.chance(0.7) ? random.pick(INTERESTING_STRINGS) : Buffer.from(random.bytes(random.int(20))).toString("latin1");
      // Long strings cost a lot of the budget.
      if (text.length > 1000) budget -= 100;
      return text;
    }
    case ScalarType.BYTES:
      return random.bytes(random.pick([0, 1, 16, 300, 70_000]));
    case ScalarType.BOOL:
      return random.chance(0.5);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return random.pick([0, 1.5, -1, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY]);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return random.pick(INTERESTING_BIGINTS.filter((v) => v >= -(1n << 63n) && v < 1n << 63n));
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return random.pick(INTERESTING_BIGINTS.filter((v) => v >= 0n));
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return random.pick(INTERESTING_INTS.filter((v) => v >= 0));
    default:
      return random.pick(INTERESTING_INTS.filter((v) => v >= -(2 ** 31) && v < 2 ** 31));
  }
}

/** Values one generated message may hold in all (lists of nested messages would otherwise multiply). */
const VALUE_BUDGET = 300;
let budget = VALUE_BUDGET;

/** Fills `message` with random values: some fields set, nested messages down to `depth`, within the budget. */
function fill(random: Random, message: ReflectMessage, depth: number): void {
  for (const field of message.fields) {
    if (random.chance(0.45) || budget <= 0) continue;
    budget -= 1;
    set(random, message, field, depth);
  }
}

function set(random: Random, message: ReflectMessage, field: DescField, depth: number): void {
  try {
    if (field.fieldKind === "scalar") message.set(field, scalar(random, field.scalar) as never);
    else if (field.fieldKind === "enum") {
      const values = field.enum.values.map((v) => v.number);
      message.set(field, (random.chance(0.85) ? random.pick(values) : random.pick([99, -1, 2 ** 31 - 1])) as never);
    } else if (field.fieldKind === "message") {
      if (depth <= 0) return;
      if (field.message.typeName === "google.protobuf.Struct") {
        // The runtime holds a Struct as a plain JSON object.
        const json = randomJson(random, random.chance(0.2) ? 60 : 6);
        const object = json !== null && typeof json === "object" && !Array.isArray(json) ? json : { v: json };
        const target = message.message as unknown as { [k: string]: unknown };
        if (field.oneof) target[field.oneof.localName] = { case: field.localName, value: object };
        else target[field.localName] = object;
        return;
      }
      const child = reflect(field.message, create(field.message));
      fill(random, child, depth - 1);
      message.set(field, child as never);
    } else if (field.fieldKind === "list") {
      const list = message.get(field);
      for (let i = random.pick([0, 1, 2, 5, 40]); i > 0 && budget > 0; i--) {
        budget -= 1;
        if (field.listKind === "scalar") list.add(scalar(random, field.scalar) as never);
        else if (field.listKind === "enum") list.add(random.pick([...field.enum.values.map((v) => v.number), 0, 77]) as never);
        else if (depth > 0) {
          const child = reflect(field.message, create(field.message));
          fill(random, child, depth - 1);
          list.add(child as never);
        }
      }
    } else if (field.fieldKind === "map") {
      const map = message.get(field);
      for (let i = random.pick([0, 1, 3, 40]); i > 0 && budget > 0; i--) {
        budget -= 1;
        const key = field.mapKey === ScalarType.STRING ? random.pick(INTERESTING_STRINGS.filter((s) => s.length < 70)) : scalar(random, field.mapKey);
        if (field.mapKind === "scalar") map.set(key as never, scalar(random, field.scalar) as never);
        else if (field.mapKind === "enum") map.set(key as never, random.pick(field.enum.values).number as never);
      }
    }
  } catch {
    // A value the runtime refuses (out of its type's range): leave the field unset.
  }
}

/** A random message of `schema`: a mix of valid-looking and hostile values. */
export function randomMessage<S extends DescMessage>(random: Random, schema: S): Message {
  const message = reflect(schema, create(schema));
  budget = VALUE_BUDGET;
  fill(random, message, 4);
  return message.message as Message;
}
