/**
 * The raw baseline: a plain `node:http2` server (core stream API, no
 * framework, no persistence, no auth check) that answers the LinkerService
 * paths the bench uses with the gRPC wire shape (length-prefixed protobuf,
 * grpc-status trailers), so the bench's clients can talk to it unchanged.
 *
 * - Register replies with the name as session token.
 * - Send replies with a fixed, representative SendResponse and pushes one
 *   event to the recipient's open streams.
 * - Broadcast encodes one event and writes the same bytes to every other
 *   caller's open streams.
 * - Subscribe answers `caught_up` and then holds the stream open.
 * - Publish answers each request as it arrives with a fixed "stored" answer.
 *
 * Run as a child process: `node --import tsx bench/raw-baseline-server.ts`;
 * it prints `raw baseline listening on http://127.0.0.1:PORT`.
 */
import { randomUUID } from "node:crypto";
import http2 from "node:http2";
import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import {
  BroadcastRequestSchema,
  BroadcastResponseSchema,
  PublishRequestSchema,
  PublishResponseSchema,
  RegisterRequestSchema,
  RegisterResponseSchema,
  SendRequestSchema,
  SendResponseSchema,
  SubscribeResponseSchema,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MessageKind, MessageSchema, Priority } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { frameMessage } from "./grpc-wire-client.js";

const SERVICE_PATH = "/linker.v1.LinkerService/";
const GRPC_HEADERS = { ":status": 200, "content-type": "application/grpc+proto" };

/** Open Subscribe streams by caller name. */
const streamsByName = new Map<string, Set<http2.ServerHttp2Stream>>();
let seq = 0n;

function message(sender: string, recipient: string, body: string): MessageInitShape<typeof MessageSchema> {
  const id = randomUUID();
  return { id, seq, sender, recipient, kind: MessageKind.TEXT, body, threadId: id, priority: Priority.NORMAL, sentAt: timestampNow() };
}

/** One event frame, encoded once, whoever receives it. */
function eventFrame(sender: string, recipient: string, body: string): Buffer {
  seq += 1n;
  const value = message(sender, recipient, body);
  return frameMessage(
    toBinary(SubscribeResponseSchema, create(SubscribeResponseSchema, { item: { case: "event", value: { seq, at: value.sentAt, payload: { case: "message", value } } } })),
  );
}

/** A SendResponse like the hub's, built once: replies reuse its bytes. */
const sendResponseFrame = frameMessage(
  toBinary(SendResponseSchema, create(SendResponseSchema, { message: message("sender-agent", "recipient-agent", "x".repeat(16)), recipientOnline: true })),
);

function bearerName(header: string | string[] | undefined): string {
  return typeof header === "string" && header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
}

function replyUnary(stream: http2.ServerHttp2Stream, frame: Buffer): void {
  if (stream.destroyed) return;
  stream.respond(GRPC_HEADERS, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(frame);
}

function replyStatus(stream: http2.ServerHttp2Stream, code: number, detail: string): void {
  if (stream.destroyed) return;
  stream.respond({ ...GRPC_HEADERS, "grpc-status": String(code), "grpc-message": encodeURIComponent(detail) }, { endStream: true });
}

function openSubscription(stream: http2.ServerHttp2Stream, caller: string): void {
  let set = streamsByName.get(caller);
  if (!set) streamsByName.set(caller, (set = new Set()));
  set.add(stream);
  stream.on("close", () => {
    set.delete(stream);
    if (set.size === 0 && streamsByName.get(caller) === set) streamsByName.delete(caller);
  });
  stream.respond(GRPC_HEADERS);
  stream.write(frameMessage(toBinary(SubscribeResponseSchema, create(SubscribeResponseSchema, { item: { case: "caughtUp", value: { seq } } }))));
}

function handle(stream: http2.ServerHttp2Stream, method: string, caller: string, body: Buffer): void {
  switch (method) {
    case "Register": {
      const { name } = fromBinary(RegisterRequestSchema, body);
      replyUnary(stream, frameMessage(toBinary(RegisterResponseSchema, create(RegisterResponseSchema, { instance: { name }, sessionToken: name, headSeq: seq }))));
      return;
    }
    case "Send": {
      const request = fromBinary(SendRequestSchema, body);
      const targets = streamsByName.get(request.recipient);
      if (targets) {
        const frame = eventFrame(caller, request.recipient, request.body);
        for (const target of targets) target.write(frame);
      }
      replyUnary(stream, sendResponseFrame);
      return;
    }
    case "Broadcast": {
      const request = fromBinary(BroadcastRequestSchema, body);
      const frame = eventFrame(caller, "*", request.body);
      const recipients: string[] = [];
      for (const [name, targets] of streamsByName) {
        if (name === caller) continue;
        recipients.push(name);
        for (const target of targets) target.write(frame);
      }
      const value = message(caller, "*", request.body);
      replyUnary(stream, frameMessage(toBinary(BroadcastResponseSchema, create(BroadcastResponseSchema, { message: value, recipients }))));
      return;
    }
    case "Subscribe":
      openSubscription(stream, caller);
      return;
    default:
      replyStatus(stream, 12, `${method} is not part of the raw baseline`);
  }
}

const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
/**
 * Publish, raw: answers every request envelope as it arrives with the same
 * pre-encoded "stored" answer carrying its sequence, stores nothing.
 */
function servePublish(stream: http2.ServerHttp2Stream): void {
  stream.respond(GRPC_HEADERS, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  let pending: Buffer = Buffer.alloc(0);
  stream.on("error", () => {});
  stream.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const out: Buffer[] = [];
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
      const length = pending.readUInt32BE(1);
      const request = fromBinary(PublishRequestSchema, pending.subarray(5, 5 + length));
      pending = pending.subarray(5 + length);
      out.push(frameMessage(toBinary(PublishResponseSchema, create(PublishResponseSchema, { sequence: request.sequence, outcome: { case: "sent", value: publishedAnswer } }))));
    }
    if (out.length > 0) stream.write(Buffer.concat(out));
  });
  stream.on("end", () => stream.end());
}

/** The answer of every raw Publish request. */
const publishedAnswer = create(SendResponseSchema, { message: message("sender-agent", "recipient-agent", "x".repeat(16)), recipientOnline: true });

server.on("stream", (stream, headers) => {
  const path = String(headers[":path"] ?? "");
  const method = path.startsWith(SERVICE_PATH) ? path.slice(SERVICE_PATH.length) : "";
  const caller = bearerName(headers.authorization);
  if (method === "Publish") {
    servePublish(stream);
    return;
  }
  const chunks: Buffer[] = [];
  stream.on("error", () => {});
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => {
    const framed = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    handle(stream, method, caller, framed.subarray(5, 5 + framed.readUInt32BE(1)));
  });
});
server.on("sessionError", () => {});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`raw baseline listening on http://127.0.0.1:${port}\n`);
});
process.once("SIGTERM", () => process.exit(0));
process.once("SIGINT", () => process.exit(0));
