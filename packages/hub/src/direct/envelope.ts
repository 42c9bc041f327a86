/** Bytes before each message of a gRPC or Connect stream: one flag byte and a big-endian length. */
export const ENVELOPE_HEADER = 5;

/** Flag of a compressed envelope. */
export const COMPRESSED_FLAG = 0b01;

/** Flag of the Connect end-of-stream envelope. */
export const END_STREAM_FLAG = 0b10;

/** One message of a gRPC or Connect stream. */
export interface Envelope {
  /** Flag bits. */
  flags: number;
  /** The payload. */
  data: Uint8Array;
}

/** Frames `data` as one envelope. */
export function encodeEnvelope(flags: number, data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(ENVELOPE_HEADER + data.length);
  frame[0] = flags;
  frame.writeUInt32BE(data.length, 1);
  frame.set(data, ENVELOPE_HEADER);
  return frame;
}

/**
 * The envelopes of a complete request body, or a description of what is
 * wrong with it (a truncated frame, trailing bytes).
 */
export function decodeEnvelopes(body: Buffer): Envelope[] | string {
  const envelopes: Envelope[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset < ENVELOPE_HEADER) return "the request ends inside a message header";
    const length = body.readUInt32BE(offset + 1);
    const end = offset + ENVELOPE_HEADER + length;
    if (end > body.length) return "the request ends inside a message";
    envelopes.push({ flags: body[offset], data: body.subarray(offset + ENVELOPE_HEADER, end) });
    offset = end;
  }
  return envelopes;
}
