import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { type DescMessage, type DescMethod, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { codeToHttpStatus, endStreamToJson, errorToJsonBytes, parseTimeout as parseConnectTimeout } from "@connectrpc/connect/protocol-connect";
import { parseTimeout as parseGrpcTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { toConnectError } from "../errors.js";
import { decodeEnvelopes, encodeEnvelope, END_STREAM_FLAG } from "./envelope.js";
import { IncomingHeaders } from "./incoming-headers.js";
import { type MessageEncoder, type MessageFramer, messageEncoder, messageFramer } from "./message-encoder.js";
import { requestStream } from "./request-stream.js";

/** A protocol the direct path speaks: gRPC, or Connect with binary messages. */
type Wire = "grpc" | "connect";

/** Longest timeout a client may ask for (the hub's longest call, Ask, is bounded far below). */
const MAX_TIMEOUT_MS = 24 * 3600 * 1000;

/** A signal that never aborts, for unary calls without a deadline. */
const NEVER = new AbortController().signal;

/** One RPC the direct path serves. */
interface Route {
  method: DescMethod;
  call: (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;
  encode: MessageEncoder;
  /** Frames each message of a streamed response. */
  frame: MessageFramer;
}

/** What the direct path is built from. */
export interface DirectRpcOptions {
  /** The service implementation (the one connect-node also serves). */
  service: Partial<Record<string, (request: never, context: HandlerContext) => unknown>>;
  /** The interceptors of every RPC, outermost first (the router's own chain). */
  interceptors: readonly Interceptor[];
  /** Largest request body accepted, in bytes. */
  readMaxBytes: number;
  /** The context values of a request (what connect-node's adapter would set). */
  contextValues(req: Http2ServerRequest): ContextValues;
}

/** The RPCs served directly: the hottest ones, a message per call or per event. */
const DIRECT_METHODS = [LinkerService.method.send, LinkerService.method.broadcast, LinkerService.method.subscribe, LinkerService.method.publish];

/**
 * Serves the hottest RPCs (Send, Broadcast, Subscribe, Publish) on node:http2 itself, for gRPC
 * and Connect's binary protocol, without connect-node's per-call pipeline
 * (async iterables, abort controllers, Headers copies). Each call still runs
 * the router's interceptors (request log, errors, observer access,
 * authentication, validation, and any extra) around the same service
 * implementation, with the same wire format, error details and limits, so
 * nothing a client sees differs. Returns false for anything else (other RPCs,
 * JSON, gRPC-Web, compression, HTTP/1.1), which connect-node then serves.
 */
export function createDirectRpc(options: DirectRpcOptions): (req: Http2ServerRequest, res: Http2ServerResponse) => boolean {
  const routes = new Map<string, Route>();
  for (const method of DIRECT_METHODS) {
    const impl = options.service[method.localName];
    if (!impl) continue;
    const invoke = async (req: UnaryRequest | StreamRequest): Promise<UnaryResponse | StreamResponse> => {
      const context = handlerContext(req, method);
      const header = emptyHeaders();
      const trailer = emptyHeaders();
      if (method.methodKind === "unary") {
        const message = (await impl((req as UnaryRequest).message as never, context)) as MessageShape<DescMessage>;
        return { stream: false, service: method.parent, method, header, trailer, message } as UnaryResponse;
      }
      const input = (req as StreamRequest).message;
      const message = (method.methodKind === "server_streaming" ? impl((await firstMessage(input)) as never, context) : impl(input as never, context)) as AsyncIterable<
        MessageShape<DescMessage>
      >;
      return { stream: true, service: method.parent, method, header, trailer, message } as StreamResponse;
    };
    const call = [...options.interceptors].reverse().reduce<(req: never) => Promise<unknown>>((next, interceptor) => interceptor(next as never) as never, invoke as never);
    routes.set(`/${method.parent.typeName}/${method.name}`, { method, call: call as Route["call"], encode: messageEncoder(method.output), frame: messageFramer(method.output) });
  }

  return (req, res) => {
    if (req.httpVersionMajor !== 2 || req.method !== "POST") return false;
    const route = routes.get(req.url);
    if (!route) return false;
    const wire = wireOf(req, route.method);
    if (!wire) return false;
    void serve(req, res, route, wire, options).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.stream.close();
    });
    return true;
  };
}

/** The protocol of a request the direct path can serve, if it can. */
function wireOf(req: Http2ServerRequest, method: DescMethod): Wire | undefined {
  const type = req.headers["content-type"];
  if (type === "application/grpc" || type === "application/grpc+proto") {
    const encoding = req.headers["grpc-encoding"];
    return encoding === undefined || encoding === "identity" ? "grpc" : undefined;
  }
  if (method.methodKind === "unary" && type === "application/proto") {
    const encoding = req.headers["content-encoding"];
    return encoding === undefined || encoding === "identity" ? "connect" : undefined;
  }
  if (method.methodKind !== "unary" && type === "application/connect+proto") {
    const encoding = req.headers["connect-content-encoding"];
    return encoding === undefined || encoding === "identity" ? "connect" : undefined;
  }
  return undefined;
}

/** Headers for interceptors to fill. */
function emptyHeaders(): Headers {
  return new IncomingHeaders({}).asHeaders();
}

/** The context a service method sees, from the request the interceptors passed on. */
function handlerContext(req: UnaryRequest | StreamRequest, method: DescMethod): HandlerContext {
  // Response headers are made when a handler first looks (none does on the hot path): an open stream keeps less.
  let responseHeader: Headers | undefined;
  let responseTrailer: Headers | undefined;
  return {
    method: method as never,
    service: method.parent,
    protocolName: "direct",
    requestMethod: req.requestMethod,
    url: req.url,
    signal: req.signal,
    timeoutMs: () => undefined,
    requestHeader: req.header,
    get responseHeader() {
      return (responseHeader ??= emptyHeaders());
    },
    get responseTrailer() {
      return (responseTrailer ??= emptyHeaders());
    },
    values: req.contextValues,
    abort: () => undefined,
  } as unknown as HandlerContext;
}

async function firstMessage(messages: AsyncIterable<unknown>): Promise<unknown> {
  for await (const message of messages) return message;
  throw new ConnectError("protocol error: missing input message for server-streaming method", Code.InvalidArgument);
}

/** Reads the whole request body, refusing more than `max` bytes. */
function readBody(req: Http2ServerRequest, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Listeners go once the body is read (a server stream lives on long after it), but for the error
    // listener: a request stream must never emit an error nobody listens to.
    const settle = () => {
      req.off("data", onData).off("end", onEnd).off("aborted", onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        settle();
        reject(new ConnectError(`message size is larger than configured readMaxBytes ${max}`, Code.ResourceExhausted));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      settle();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      settle();
      reject(err);
    };
    req.once("error", onError);
    const onAborted = () => {
      settle();
      reject(new ConnectError("the client canceled the request", Code.Canceled));
    };
    req.on("data", onData).on("end", onEnd).on("aborted", onAborted);
  });
}

/** The request message of a body. */
function decodeRequest(body: Buffer, wire: Wire, method: DescMethod): MessageShape<DescMessage> {
  let bytes: Uint8Array = body;
  if (wire === "grpc" || method.methodKind !== "unary") {
    const envelopes = decodeEnvelopes(body);
    if (typeof envelopes === "string") throw new ConnectError(`protocol error: ${envelopes}`, Code.InvalidArgument);
    if (envelopes.length !== 1) throw new ConnectError(`protocol error: expected one request message, got ${envelopes.length}`, Code.InvalidArgument);
    if (envelopes[0].flags !== 0) throw new ConnectError("protocol error: compressed or control frame without an encoding", Code.InvalidArgument);
    bytes = envelopes[0].data;
  }
  try {
    return fromBinary(method.input, bytes);
  } catch (err) {
    throw new ConnectError(`the request is not a valid ${method.input.typeName}: ${(err as Error).message}`, Code.InvalidArgument);
  }
}

/** A deadline from the request's timeout header, if it has one. */
function timeoutOf(req: Http2ServerRequest, wire: Wire): number | undefined {
  const header = wire === "grpc" ? req.headers["grpc-timeout"] : req.headers["connect-timeout-ms"];
  if (typeof header !== "string") return undefined;
  const parsed = wire === "grpc" ? parseGrpcTimeout(header, MAX_TIMEOUT_MS) : parseConnectTimeout(header, MAX_TIMEOUT_MS);
  if (parsed.error) throw parsed.error;
  return parsed.timeoutMs;
}

async function serve(req: Http2ServerRequest, res: Http2ServerResponse, route: Route, wire: Wire, options: DirectRpcOptions): Promise<void> {
  const { method } = route;
  const streaming = method.methodKind !== "unary";
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeoutMs = timeoutOf(req, wire);
    if (streaming || timeoutMs !== undefined) {
      const abort = (controller = new AbortController());
      res.once("close", () => abort.abort(new ConnectError("the client closed the stream", Code.Canceled)));
      if (timeoutMs !== undefined) timer = setTimeout(() => abort.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeoutMs);
    }
    const common = {
      service: method.parent,
      method,
      requestMethod: "POST",
      url: req.url,
      signal: controller?.signal ?? NEVER,
      header: new IncomingHeaders(req.headers).asHeaders(),
      contextValues: options.contextValues(req),
    };
    if (method.methodKind === "bidi_streaming" || method.methodKind === "client_streaming") {
      const input = requestStream(req, method, options.readMaxBytes);
      const response = (await route.call({ ...common, stream: true, message: input } as StreamRequest)) as StreamResponse;
      await respondStream(res, wire, route, response.message);
      return;
    }
    const message = decodeRequest(await readBody(req, options.readMaxBytes + 5), wire, method);
    if (!streaming) {
      const call = route.call({ ...common, stream: false, message } as UnaryRequest) as Promise<UnaryResponse>;
      const response = await (controller ? raceAbort(call, controller.signal) : call);
      respondUnary(res, wire, route.encode(response.message));
      return;
    }
    const response = (await route.call({ ...common, stream: true, message: single(message) } as StreamRequest)) as StreamResponse;
    await respondStream(res, wire, route, response.message);
  } catch (err) {
    const error = toConnectError(controller?.signal.aborted && controller.signal.reason instanceof ConnectError ? controller.signal.reason : err);
    if (streaming && res.headersSent) endStream(res, wire, error);
    else respondError(res, wire, error, streaming);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves like `promise`, or rejects with the abort reason first. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function* single(message: unknown): AsyncIterable<unknown> {
  yield message;
}

function respondUnary(res: Http2ServerResponse, wire: Wire, bytes: Uint8Array): void {
  if (wire === "grpc") {
    res.writeHead(200, { "content-type": "application/grpc+proto" });
    res.addTrailers({ "grpc-status": "0" });
    res.end(encodeEnvelope(0, bytes));
  } else {
    res.writeHead(200, { "content-type": "application/proto" });
    res.end(bytes);
  }
}

function grpcStatus(error: ConnectError): Record<string, string> {
  const headers = new Headers();
  setTrailerStatus(headers, error);
  return Object.fromEntries(headers);
}

function respondError(res: Http2ServerResponse, wire: Wire, error: ConnectError, streaming: boolean): void {
  if (res.headersSent) return;
  if (wire === "grpc") {
    // A trailers-only response: the status rides on the only HEADERS frame, which ends the stream.
    res.stream.respond({ ":status": 200, "content-type": "application/grpc+proto", ...grpcStatus(error) }, { endStream: true });
  } else if (streaming) {
    res.writeHead(200, { "content-type": "application/connect+proto" });
    endStream(res, wire, error);
  } else {
    res.writeHead(codeToHttpStatus(error.code), { "content-type": "application/json" });
    res.end(errorToJsonBytes(error, {}));
  }
}

/** Ends a started stream with its status (gRPC trailers, or Connect's end-stream message). */
function endStream(res: Http2ServerResponse, wire: Wire, error: ConnectError | undefined): void {
  if (res.writableEnded) return;
  if (wire === "grpc") {
    res.addTrailers(error ? grpcStatus(error) : { "grpc-status": "0" });
    res.end();
  } else {
    const json = JSON.stringify(endStreamToJson(new Headers(), error, {}));
    res.end(encodeEnvelope(END_STREAM_FLAG, Buffer.from(json)));
  }
}

/**
 * Writes every response message as it comes, waiting for the client to read
 * (HTTP/2 flow control) before taking the next, then ends the stream with
 * its status.
 */
async function respondStream(res: Http2ServerResponse, wire: Wire, route: Route, messages: AsyncIterable<MessageShape<DescMessage>>): Promise<void> {
  res.writeHead(200, { "content-type": wire === "grpc" ? "application/grpc+proto" : "application/connect+proto" });
  let failure: ConnectError | undefined;
  try {
    for await (const message of messages) {
      if (res.writableEnded || res.destroyed) return;
      if (!res.write(route.frame(message))) await drained(res);
    }
  } catch (err) {
    failure = toConnectError(err);
  }
  endStream(res, wire, failure);
}

function drained(res: Http2ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

