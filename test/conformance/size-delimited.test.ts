import { PassThrough } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameReader, writeFrame } from "../../conformance/protocol/size-delimited.js";

/** Cuts `bytes` at the given offsets (any order, repeats allowed) into the chunks a pipe might deliver. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) chunks.push(bytes.subarray(start, point));
    start = Math.max(start, point);
  }
  return chunks;
}

/** Everything `writeFrame` puts on the wire for `frames`. */
function wire(frames: Uint8Array[]): Buffer {
  const sink = new PassThrough();
  for (const frame of frames) writeFrame(sink, frame);
  sink.end();
  return sink.read() ?? Buffer.alloc(0);
}

async function readAll(chunks: Buffer[]): Promise<Uint8Array[]> {
  const input = new PassThrough();
  const reader = new FrameReader(input);
  for (const chunk of chunks) input.write(chunk);
  input.end();
  const frames: Uint8Array[] = [];
  for (let frame = await reader.next(); frame; frame = await reader.next()) frames.push(frame);
  return frames;
}

const framesArb = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 });

describe("size-delimited framing between the runner and client executors", () => {
  it("reads back exactly the frames written, however the bytes are chunked", async () => {
    await fc.assert(
      fc.asyncProperty(framesArb, fc.array(fc.nat(), { maxLength: 40 }), async (frames, cuts) => {
        const read = await readAll(chunked(wire(frames), cuts));
        expect(read.map((frame) => Buffer.from(frame))).toEqual(frames.map((frame) => Buffer.from(frame)));
      }),
      { numRuns: 300 },
    );
  });

  it("rejects a stream that ends inside a frame, after the whole frames before it", async () => {
    await fc.assert(
      fc.asyncProperty(framesArb, fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.array(fc.nat(), { maxLength: 10 }), async (frames, last, cut, cuts) => {
        const whole = wire(frames);
        const partial = wire([last]);
        const truncated = Buffer.concat([whole, partial.subarray(0, 1 + (cut % (partial.length - 1)))]);
        const input = new PassThrough();
        const reader = new FrameReader(input);
        for (const chunk of chunked(truncated, cuts)) input.write(chunk);
        input.end();
        for (const frame of frames) expect(Buffer.from((await reader.next())!)).toEqual(Buffer.from(frame));
        await expect(reader.next()).rejects.toThrow(/stream ended inside a frame/);
      }),
      { numRuns: 200 },
    );
  });
});
