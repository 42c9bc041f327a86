import type { Http2ServerRequest } from "node:http2";
import { type DescMethod, fromBinary, type MessageShape, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ENVELOPE_HEADER } from "./envelope.js";

/** Decoded messages waiting for the handler before the request is paused (HTTP/2 flow control takes over). */
const HIGH_WATER = 64;

/**
 * The messages of a streaming request as they arrive: envelopes are cut out
 * of the body bytes and decoded one by one; while the handler lags behind,
 * reading pauses, so the client is held back by flow control rather than
 * buffered without bound. A frame over `maxBytes`, a compressed frame or an
 * undecodable message ends the stream with INVALID_ARGUMENT (or
 * RESOURCE_EXHAUSTED for the size).
 */
export function requestStream(req: Http2ServerRequest, method: DescMethod, maxBytes: number): AsyncIterable<MessageShape<DescMessage>> {
  const queue: MessageShape<DescMessage>[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let ended = false;
  let failure: ConnectError | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const fail = (error: ConnectError) => {
    failure ??= error;
    req.removeAllListeners("data");
    notify();
  };
  req.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= ENVELOPE_HEADER) {
      const flags = pending[0];
      const length = pending.readUInt32BE(1);
      if (length > maxBytes) return fail(new ConnectError(`message size ${length} is larger than configured readMaxBytes ${maxBytes}`, Code.ResourceExhausted));
      if (pending.length < ENVELOPE_HEADER + length) break;
      const data = pending.subarray(ENVELOPE_HEADER, ENVELOPE_HEADER + length);
      pending = pending.subarray(ENVELOPE_HEADER + length);
      if (flags !== 0) return fail(new ConnectError("protocol error: compressed or control frame without an encoding", Code.InvalidArgument));
      try {
        queue.push(fromBinary(method.input, data));
      } catch (err) {
        return fail(new ConnectError(`a request is not a valid ${method.input.typeName}: ${(err as Error).message}`, Code.InvalidArgument));
      }
    }
    if (queue.length >= HIGH_WATER) req.pause();
    notify();
  });
  req.once("end", () => {
    if (pending.length > 0) fail(new ConnectError("protocol error: the request ends inside a message", Code.InvalidArgument));
    ended = true;
    notify();
  });
  req.once("aborted", () => fail(new ConnectError("the client canceled the request", Code.Canceled)));
  req.once("error", (err) => fail(ConnectError.from(err, Code.Canceled)));
  return {
    [Symbol.asyncIterator]() {
      return {
        async next(): Promise<IteratorResult<MessageShape<DescMessage>>> {
          for (;;) {
            const message = queue.shift();
            if (message !== undefined) {
              if (queue.length < HIGH_WATER / 2 && req.isPaused()) req.resume();
              return { done: false, value: message };
            }
            if (failure) throw failure;
            if (ended) return { done: true, value: undefined };
            await new Promise<void>((resolve) => (wake = resolve));
          }
        },
        async return(): Promise<IteratorResult<MessageShape<DescMessage>>> {
          ended = true;
          req.removeAllListeners("data");
          req.resume();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
