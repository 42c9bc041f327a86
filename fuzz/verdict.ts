import { type FuzzAnswer, type FuzzRequest, headerBytes, OWN_CONNECTION_HEADER_BYTES } from "./http-exchange.js";

/** gRPC codes no client input may produce: UNKNOWN, INTERNAL, DATA_LOSS. */
const SERVER_FAULT_GRPC = new Set(["2", "13", "15"]);
/** The same codes as Connect names them. */
const SERVER_FAULT_CONNECT = new Set(["unknown", "internal", "data_loss"]);

/** The Connect error code in a Connect end-stream or unary error body, if any. */
function connectCode(answer: FuzzAnswer): string | undefined {
  const type = answer.headers["content-type"] ?? "";
  const text = answer.body.toString("utf8");
  if (type.startsWith("application/json") && answer.status >= 400) {
    try {
      return (JSON.parse(text) as { code?: string }).code;
    } catch {
      return undefined;
    }
  }
  if (type.startsWith("application/connect+")) {
    const match = /"code":"([a-z_]+)"/.exec(text);
    return match?.[1];
  }
  return undefined;
}

/** The gRPC status of an answer: trailers, trailers-only headers, or a gRPC-Web trailer frame. */
function grpcStatus(answer: FuzzAnswer): string | undefined {
  const direct = answer.trailers["grpc-status"] ?? answer.headers["grpc-status"];
  if (direct !== undefined) return direct;
  if ((answer.headers["content-type"] ?? "").startsWith("application/grpc-web")) return /grpc-status: ?(\d+)/.exec(answer.body.toString("latin1"))?.[1];
  return undefined;
}

/** Whether an enveloped body carries at least one message (flag 0), before its end-of-stream frame. */
function carriesMessage(body: Buffer): boolean {
  for (let at = 0; at + 5 <= body.length; ) {
    if (body[at] === 0) return true;
    at += 5 + body.readUInt32BE(at + 1);
  }
  return false;
}

/**
 * Whether the answer is the request's own deadline: the hub may have
 * committed the change just after it, so the outcome is unknown.
 */
function timedOut(answer: FuzzAnswer): boolean {
  return grpcStatus(answer) === "4" || connectCode(answer) === "deadline_exceeded";
}

/**
 * Whether the request may have changed state (a timed-out one may have): it succeeded, or it is a
 * stream that answered with messages before it ended in an error (a Publish
 * stores what came before its deadline, a Subscribe marks what it delivered).
 */
export function succeeded(answer: FuzzAnswer): boolean {
  if (timedOut(answer)) return true;
  if (answer.failure || answer.status < 200 || answer.status >= 300) return false;
  const type = answer.headers["content-type"] ?? "";
  if ((type.startsWith("application/grpc") || type.startsWith("application/connect+")) && carriesMessage(answer.body)) return true;
  const status = grpcStatus(answer);
  if (status !== undefined) return status === "0";
  return connectCode(answer) === undefined;
}

/**
 * Why an answer breaks the rules for client input, or undefined: no
 * exchange may fail below HTTP (reset, hang), answer 5xx, or report UNKNOWN,
 * INTERNAL or DATA_LOSS.
 */
export function violation(answer: FuzzAnswer, request: FuzzRequest): string | undefined {
  // HTTP/2 allows a header block past the decoder's limits to end its connection (COMPRESSION_ERROR).
  if (answer.failure && /error code 9\b|NGHTTP2_COMPRESSION_ERROR/.test(answer.failure) && headerBytes(request) > OWN_CONNECTION_HEADER_BYTES) return undefined;
  if (answer.failure) return answer.failure;
  const code = connectCode(answer);
  // The Connect protocol's own mappings of client-caused codes: 501 for a method or compression the
  // client asked for that is not there, 504 for the client's own deadline.
  const clientCaused = (answer.status === 501 && code === "unimplemented") || (answer.status === 504 && code === "deadline_exceeded");
  if (answer.status >= 500 && !clientCaused) return `HTTP ${answer.status}: ${answer.body.toString("utf8").slice(0, 200)}`;
  const status = grpcStatus(answer);
  if (status !== undefined && SERVER_FAULT_GRPC.has(status)) {
    const message = answer.trailers["grpc-message"] ?? answer.headers["grpc-message"] ?? answer.body.toString("latin1").slice(-200);
    return `gRPC status ${status}: ${decodeURIComponent(message)}`;
  }
  if (code !== undefined && SERVER_FAULT_CONNECT.has(code)) return `Connect code ${code}: ${answer.body.toString("utf8").slice(0, 200)}`;
  return undefined;
}
