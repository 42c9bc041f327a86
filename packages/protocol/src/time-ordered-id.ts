import { randomBytes } from "node:crypto";

let lastMs = 0;
let counter = 0;

/** Random bytes drawn in bulk: one call to the system's generator serves 256 ids. */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = POOL_SIZE;

function random16(): Buffer {
  if (offset + 16 > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + 16));
  offset += 16;
  return bytes;
}

/**
 * A new UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter
 * that keeps ids of one process increasing within a millisecond, and 62
 * random bits. Ids created one after another sort in creation order, so
 * storing them appends to the end of an index instead of landing at random
 * places in it (message ids, task ids, idempotency keys).
 */
export function timeOrderedId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    lastMs += 1;
    counter = 0;
  }
  const bytes = random16();
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
