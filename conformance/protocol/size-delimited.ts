import type { Readable, Writable } from "node:stream";

/** Largest frame either side accepts (a guard against reading garbage as a length). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Writes one size-delimited frame: a 4-byte big-endian length, then the bytes. */
export function writeFrame(output: Writable, bytes: Uint8Array): void {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(bytes.length, 0);
  output.write(Buffer.concat([header, bytes]));
}

/**
 * Reads size-delimited frames from a stream in order. `next` resolves to the
 * next frame, or to undefined once the stream ended between frames; a stream
 * that ends inside a frame rejects.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly frames: Uint8Array[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(input: Readable) {
    input.on("data", (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      this.split();
    });
    input.on("end", () => this.finish());
    input.on("close", () => this.finish());
    input.on("error", (err) => {
      this.failure ??= err;
      this.finish();
    });
  }

  /** The next frame, or undefined at a clean end of stream. */
  async next(): Promise<Uint8Array | undefined> {
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return frame;
      if (this.failure) throw this.failure;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private split(): void {
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        this.failure = new Error(`frame of ${length} bytes is over the ${MAX_FRAME_BYTES}-byte limit; is the peer writing size-delimited protobuf?`);
        break;
      }
      if (this.pending.length < 4 + length) break;
      this.frames.push(new Uint8Array(this.pending.subarray(4, 4 + length)));
      this.pending = this.pending.subarray(4 + length);
    }
    this.notify();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.pending.length > 0 && !this.failure) {
      this.failure = new Error(`stream ended inside a frame (${this.pending.length} bytes left over)`);
    }
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
