/** Minimal DER (ASN.1) encoding: what an X.509 certificate needs, nothing more. */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV: tag, length, contents. */
export function tlv(tag: number, contents: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(contents.length), contents]);
}

/** SEQUENCE of the encoded parts. */
export const sequence = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
/** SET of the encoded parts. */
export const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
/** A context-specific constructed tag [n]. */
export const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
/** A context-specific primitive tag [n] (implicit). */
export const implicit = (n: number, contents: Buffer) => tlv(0x80 + n, contents);
/** INTEGER from unsigned big-endian bytes. */
export const integer = (bytes: Buffer) => tlv(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
/** BOOLEAN. */
export const boolean = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0]));
/** OCTET STRING. */
export const octets = (bytes: Buffer) => tlv(0x04, bytes);
/** BIT STRING with no unused bits. */
export const bits = (bytes: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
/** UTF8String. */
export const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, "utf8"));
/** NULL. */
export const nothing = () => Buffer.from([0x05, 0x00]);

/** OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [a * 40 + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** GeneralizedTime (always used here, valid for any year). */
export function time(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z");
  return tlv(0x18, Buffer.from(text, "ascii"));
}
