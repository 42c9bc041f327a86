import { toBinary, toJsonString } from "@bufbuild/protobuf";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { authHeader, envelopes, type FuzzContext } from "../fuzz-context.js";
import type { FuzzRequest } from "../http-exchange.js";
import { randomMessage } from "../message-generator.js";
import { mutateBytes, mutateJson } from "../mutate.js";
import type { Random } from "../random.js";

const METHODS = LinkerService.methods;

/** A method of LinkerService; a few requests name one that does not exist. */
function method(random: Random) {
  return random.chance(0.98) ? random.pick(METHODS) : undefined;
}

function pathOf(m: ReturnType<typeof method>, random: Random): string {
  if (!m) return random.pick(["/linker.v1.LinkerService/NoSuch", "/linker.v1.LinkerService/", "/linker.v1.Nope/Send", "/linker.v1.LinkerService/send"]);
  return `/${LinkerService.typeName}/${m.name}`;
}

function payload(random: Random, m: ReturnType<typeof method>): Uint8Array {
  if (!m) return random.bytes(random.int(40));
  return mutateBytes(random, toBinary(m.input, randomMessage(random, m.input) as never));
}

/** gRPC over HTTP/2: framed binary requests for every LinkerService method. */
export function grpcRequest(random: Random, ctx: FuzzContext): FuzzRequest {
  const m = method(random);
  const count = m && m.methodKind !== "unary" && m.methodKind !== "server_streaming" ? random.int(4) : random.chance(0.97) ? 1 : random.pick([0, 2]);
  const headers: Record<string, string> = { "content-type": random.chance(0.9) ? "application/grpc" : random.pick(["application/grpc+proto", "application/grpc+json", "application/grpc+xml"]), te: "trailers", ...authHeader(random, ctx) };
  if (random.chance(0.05)) headers["grpc-encoding"] = random.pick(["gzip", "br", "snappy", "identity"]);
  const streaming = m !== undefined && m.methodKind !== "unary";
  // Streams get a deadline, so the hub ends them (a client that resets thousands of streams is a flood of its own).
  // Every call gets a deadline (streams a short one), so the hub ends it itself; a client that resets
  // thousands of open streams would be a flood of its own.
  if (random.chance(0.95)) headers["grpc-timeout"] = streaming ? "300m" : "5S";
  else if (random.chance(0.5)) headers["grpc-timeout"] = random.pick(["1m", "100n", "99999999H", "x", "0S"]);
  const body = envelopes(random, Array.from({ length: count }, () => payload(random, m)));
  return { surface: "grpc", method: "POST", path: pathOf(m, random), headers, body, http: "2", openEnded: headers["grpc-timeout"] !== "300m" && headers["grpc-timeout"] !== "5S" };
}

/** The Connect protocol, binary: unary POSTs and enveloped streams, over HTTP/2 and HTTP/1.1. */
export function connectBinaryRequest(random: Random, ctx: FuzzContext): FuzzRequest {
  const m = method(random);
  const unary = !m || m.methodKind === "unary";
  const headers: Record<string, string> = {
    "content-type": unary ? "application/proto" : "application/connect+proto",
    ...authHeader(random, ctx),
  };
  if (random.chance(0.5)) headers["connect-protocol-version"] = random.chance(0.9) ? "1" : "2";
  if (random.chance(0.95)) headers["connect-timeout-ms"] = unary ? "5000" : "300";
  else if (random.chance(0.5)) headers["connect-timeout-ms"] = random.pick(["1", "-5", "99999999999", "x"]);
  if (random.chance(0.05)) headers[unary ? "content-encoding" : "connect-content-encoding"] = random.pick(["gzip", "br", "zstd"]);
  const body = unary ? payload(random, m) : envelopes(random, [payload(random, m)]);
  return { surface: "connect-binary", method: "POST", path: pathOf(m, random), headers, body, http: random.chance(0.7) ? "2" : "1.1", openEnded: headers["connect-timeout-ms"] !== "300" && headers["connect-timeout-ms"] !== "5000" };
}

/** The Connect protocol, JSON: mutated JSON bodies (and GET requests for side-effect-free methods). */
export function connectJsonRequest(random: Random, ctx: FuzzContext): FuzzRequest {
  const m = method(random);
  const text = m ? mutateJson(random, toJsonString(m.input, randomMessage(random, m.input) as never)) : "{}";
  const auth = authHeader(random, ctx);
  if (m && m.idempotency === 1 && random.chance(0.2)) {
    // Lone surrogates cannot be percent-encoded as UTF-8: the bytes are encoded instead.
    const encoded = [...Buffer.from(text, "utf8")].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");
    const query = `?encoding=json&message=${encoded}${random.chance(0.5) ? "&connect=v1" : ""}`;
    return { surface: "connect-json", method: "GET", path: pathOf(m, random) + query, headers: { ...auth, "connect-timeout-ms": "5000" }, body: new Uint8Array(), http: random.chance(0.5) ? "2" : "1.1" };
  }
  const unary = !m || m.methodKind === "unary";
  const headers: Record<string, string> = { "content-type": unary ? random.pick(["application/json", "application/json; charset=utf-8", "application/json; charset=latin1"]) : "application/connect+json", ...auth };
  headers["connect-timeout-ms"] = unary ? "5000" : "300";
  const bytes = Buffer.from(text, "utf8");
  const body = unary ? bytes : envelopes(random, [bytes]);
  return { surface: "connect-json", method: "POST", path: pathOf(m, random), headers, body, http: random.chance(0.6) ? "2" : "1.1" };
}
