import http2 from "node:http2";
import { type DescMessage, type DescMethodServerStreaming, type DescMethodUnary, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { create, type MessageInitShape } from "@bufbuild/protobuf";

/** Length of a gRPC message prefix: one flag byte and a 4-byte big-endian length. */
const PREFIX_BYTES = 5;

/** A gRPC call that ended with a non-zero grpc-status. */
export class GrpcStatusError extends Error {
  constructor(
    /** The grpc-status code. */
    readonly code: number,
    message: string,
  ) {
    super(`grpc-status ${code}: ${message}`);
  }
}

/** Frames one serialized message with the gRPC length prefix. */
export function frameMessage(bytes: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + bytes.length);
  frame[0] = 0;
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, PREFIX_BYTES);
  return frame;
}

/**
 * Splits a byte stream into gRPC length-prefixed messages; feed it chunks in
 * order and it calls `onMessage` with each complete message body.
 */
export class GrpcFrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onMessage: (body: Buffer) => void) {}

  /** Takes the next chunk of the stream. */
  push(chunk: Buffer): void {
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buffer.length >= PREFIX_BYTES) {
      const length = buffer.readUInt32BE(1);
      if (buffer.length < PREFIX_BYTES + length) break;
      this.onMessage(buffer.subarray(PREFIX_BYTES, PREFIX_BYTES + length));
      buffer = buffer.subarray(PREFIX_BYTES + length);
    }
    this.pending = buffer;
  }
}

/** An open server stream of a lean client. */
export interface WireStream {
  /** Settles when the stream ends: resolves on grpc-status 0 or cancel, rejects otherwise. */
  readonly ended: Promise<void>;
  /** Cancels the stream (RST_STREAM CANCEL). */
  cancel(): void;
}

function statusOf(headers: http2.IncomingHttpHeaders): number | undefined {
  const value = headers["grpc-status"];
  return value === undefined ? undefined : Number(value);
}

function messageOf(headers: http2.IncomingHttpHeaders): string {
  const value = headers["grpc-message"];
  return typeof value === "string" ? decodeURIComponent(value) : "";
}

/**
 * A minimal gRPC client on one HTTP/2 connection: the request is one framed
 * protobuf message, responses are decoded with the generated schemas, and no
 * interceptor, abort signal or deadline machinery runs per call. It measures
 * what a server costs when the client does only what the wire requires.
 */
export class GrpcWireConnection {
  private readonly session: http2.ClientHttp2Session;

  constructor(baseUrl: string) {
    this.session = http2.connect(baseUrl);
    this.session.on("error", () => {});
  }

  /** Calls a unary method and resolves with its decoded response. */
  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    token?: string,
  ): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) => {
      const stream = this.session.request(this.headers(method.parent.typeName, method.name, token));
      let response: MessageShape<O> | undefined;
      let status: number | undefined;
      let detail = "";
      const reader = new GrpcFrameReader((body) => {
        response = fromBinary(method.output, body);
      });
      stream.on("response", (headers) => {
        status = statusOf(headers);
        detail = messageOf(headers);
      });
      stream.on("trailers", (trailers) => {
        status = statusOf(trailers);
        detail = messageOf(trailers);
      });
      stream.on("data", (chunk: Buffer) => reader.push(chunk));
      stream.on("error", reject);
      stream.on("close", () => {
        if (status === 0 && response !== undefined) resolve(response);
        else if (status !== undefined && status !== 0) reject(new GrpcStatusError(status, detail));
        else reject(new Error(`${method.name}: stream closed without a gRPC status (rst code ${stream.rstCode})`));
      });
      stream.end(frameMessage(toBinary(method.input, create(method.input, input))));
    });
  }

  /** Opens a server stream; `onMessage` gets each decoded response as it arrives. */
  serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    input: MessageInitShape<I>,
    token: string | undefined,
    onMessage: (message: MessageShape<O>) => void,
  ): WireStream {
    const stream = this.session.request(this.headers(method.parent.typeName, method.name, token));
    let status: number | undefined;
    let detail = "";
    let canceled = false;
    const reader = new GrpcFrameReader((body) => onMessage(fromBinary(method.output, body)));
    const ended = new Promise<void>((resolve, reject) => {
      stream.on("response", (headers) => {
        status = statusOf(headers);
        detail = messageOf(headers);
      });
      stream.on("trailers", (trailers) => {
        status = statusOf(trailers);
        detail = messageOf(trailers);
      });
      stream.on("data", (chunk: Buffer) => reader.push(chunk));
      stream.on("error", (err) => (canceled ? resolve() : reject(err)));
      stream.on("close", () => {
        if (canceled || status === 0) resolve();
        else if (status !== undefined) reject(new GrpcStatusError(status, detail));
        else reject(new Error(`${method.name}: stream closed without a gRPC status (rst code ${stream.rstCode})`));
      });
    });
    ended.catch(() => {});
    stream.end(frameMessage(toBinary(method.input, create(method.input, input))));
    return {
      ended,
      cancel() {
        canceled = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
      },
    };
  }

  /** Closes the connection. */
  close(): void {
    this.session.destroy();
  }

  private headers(service: string, method: string, token: string | undefined): http2.OutgoingHttpHeaders {
    const headers: http2.OutgoingHttpHeaders = {
      ":method": "POST",
      ":path": `/${service}/${method}`,
      "content-type": "application/grpc+proto",
      te: "trailers",
    };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    return headers;
  }
}
