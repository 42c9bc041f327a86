import type { Random } from "./random.js";

/** Writes a varint. */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v > 0) byte |= 0x80;
    out.push(byte);
  } while (v > 0);
  return out;
}

/**
 * A mutation of protobuf bytes: flipped bits, inserted, deleted or duplicated
 * runs, truncation, garbage fields (unknown tags, groups nested deep, a
 * length that promises more than follows, broken UTF-8). Valid input stays
 * in the mix (a third of the time nothing is changed).
 */
export function mutateBytes(random: Random, input: Uint8Array): Uint8Array {
  if (random.chance(0.3)) return input;
  const bytes = [...input];
  const times = 1 + random.int(4);
  for (let i = 0; i < times; i++) {
    const at = random.int(bytes.length + 1);
    switch (random.int(10)) {
      case 0:
        if (bytes.length > 0) bytes[random.int(bytes.length)] ^= 1 << random.int(8);
        break;
      case 1:
        bytes.splice(at, 0, ...random.bytes(1 + random.int(8)));
        break;
      case 2:
        bytes.splice(at, 1 + random.int(8));
        break;
      case 3:
        bytes.length = random.int(bytes.length + 1);
        break;
      case 4: {
        // An unknown field with a random wire type, including groups.
        const field = 1 + random.int(2000);
        bytes.splice(at, 0, ...varint((field << 3) | random.int(8)), ...random.bytes(random.int(6)));
        break;
      }
      case 5: {
        // Groups nested far past any recursion limit.
        const depth = random.pick([50, 101, 200, 5000]);
        const start = varint((9 << 3) | 3);
        const end = varint((9 << 3) | 4);
        const nested: number[] = [];
        for (let d = 0; d < depth; d++) nested.push(...start);
        if (random.chance(0.5)) for (let d = 0; d < depth; d++) nested.push(...end);
        bytes.splice(at, 0, ...nested);
        break;
      }
      case 6:
        // A length-delimited field that promises more bytes than follow.
        bytes.splice(at, 0, ...varint((1 << 3) | 2), ...varint(random.pick([5, 1000, 2 ** 31])), 0x41);
        break;
      case 7:
        // Broken UTF-8 in a string field.
        bytes.splice(at, 0, ...varint((1 << 3) | 2), 2, 0xc3, 0x28);
        break;
      case 8:
        // A varint of ten 0xff bytes (beyond 64 bits).
        bytes.splice(at, 0, ...varint((4 << 3) | 0), ...new Array(10).fill(0xff), 0x01);
        break;
      default: {
        if (bytes.length > 0) {
          const from = random.int(bytes.length);
          bytes.splice(at, 0, ...bytes.slice(from, from + 1 + random.int(32)));
        }
      }
    }
  }
  return Uint8Array.from(bytes);
}

/** A mutation of JSON text: changed types, huge numbers, deep nesting, truncation, stray characters. */
export function mutateJson(random: Random, text: string): string {
  if (random.chance(0.3)) return text;
  switch (random.int(9)) {
    case 0:
      return text.slice(0, random.int(text.length + 1));
    case 1:
      return text.replace(/"[^"]*"/, random.pick(['123', 'null', '[]', '{}', '"\\ud800"', '"\\u0000"', "true", '"' + "x".repeat(10000) + '"']));
    case 2:
      return text.replace(/\d+/, random.pick(["1e400", "-0", "18446744073709551616", "9223372036854775808", "1.5", "NaN"]));
    case 3:
      return `${"[".repeat(random.pick([99, 101, 500]))}${"]".repeat(random.pick([0, 99, 101]))}`;
    case 4:
      return text.replace("{", `{"${random.pick(["unknownField", "__proto__", "constructor", "$typeName"])}": ${random.pick(["1", "{}", "null", '"x"'])},`);
    case 5: {
      const at = random.int(text.length + 1);
      return text.slice(0, at) + random.pick(["\u0000", "}", "{", ",", '"', "\\", "\ud800", "😀"]) + text.slice(at);
    }
    case 6:
      return random.pick(["", "null", "[]", "1", '"str"', "{", "}}", "\u00ff\u00fe"]);
    case 7:
      return text.replace(/:\s*"[^"]*"/, `: ${"{\"a\":".repeat(120)}1${"}".repeat(120)}`);
    default:
      return text.replace(/\[/, "[" + Array.from({ length: 2000 }, () => '"x"').join(",") + ",");
  }
}
