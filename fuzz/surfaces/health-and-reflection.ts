import { create, type DescMessage, type DescService, toBinary, toJsonString } from "@bufbuild/protobuf";
import { Health } from "@linker/protocol/gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "@linker/protocol/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "@linker/protocol/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { authHeader, envelopes, type FuzzContext } from "../fuzz-context.js";
import type { FuzzRequest } from "../http-exchange.js";
import { randomMessage } from "../message-generator.js";
import { mutateBytes, mutateJson } from "../mutate.js";
import type { Random } from "../random.js";

/** Service names and symbols a reflection client asks for, real and made up. */
const SYMBOLS = ["linker.v1.LinkerService", "grpc.health.v1.Health", "linker.v1.SendRequest", "linker/v1/linker_service.proto", "google/protobuf/struct.proto", "", "no.Such", "x".repeat(5000)];

function grpcCall(random: Random, ctx: FuzzContext, service: DescService, surface: string, payloads: Uint8Array[]): FuzzRequest {
  const m = random.pick(service.methods);
  return {
    surface,
    method: "POST",
    path: `/${service.typeName}/${m.name}`,
    headers: { "content-type": "application/grpc", te: "trailers", "grpc-timeout": "300m", ...(random.chance(0.3) ? authHeader(random, ctx) : {}) },
    body: envelopes(random, payloads),
    http: "2",
  };
}

/** grpc.health.v1 over gRPC and Connect JSON, and /healthz, /readyz and /metrics over HTTP. */
export function healthRequest(random: Random, ctx: FuzzContext): FuzzRequest {
  const roll = random.next();
  if (roll < 0.4) {
    const bytes = mutateBytes(random, toBinary(Health.method.check.input, randomMessage(random, Health.method.check.input) as never));
    return grpcCall(random, ctx, Health, "health", [bytes]);
  }
  if (roll < 0.6) {
    const m = random.pick(Health.methods);
    const text = mutateJson(random, toJsonString(m.input, randomMessage(random, m.input) as never));
    const unary = m.methodKind === "unary";
    return {
      surface: "health",
      method: "POST",
      path: `/${Health.typeName}/${m.name}`,
      headers: { "content-type": unary ? "application/json" : "application/connect+json", "connect-timeout-ms": "300" },
      body: unary ? Buffer.from(text) : envelopes(random, [Buffer.from(text)]),
      http: random.chance(0.5) ? "2" : "1.1",
    };
  }
  const path = random.pick(["/healthz", "/readyz", "/metrics", "/healthz?x=1", "//healthz", "/readyz/", "/metrics%00", "/HEALTHZ", "/", "/index.html", "/assets/../index.html", "/%2e%2e/etc/passwd"]);
  const method = random.chance(0.8) ? "GET" : "POST";
  return { surface: "health", method, path, headers: random.chance(0.3) ? authHeader(random, ctx) : {}, body: method === "POST" ? random.bytes(random.int(64)) : new Uint8Array(), http: random.chance(0.5) ? "2" : "1.1" };
}

/** The ExtensionRequest message of a reflection request type (v1 and v1alpha each have their own). */
function extensionRequest(input: DescMessage): DescMessage {
  const field = input.fields.find((f) => f.localName === "fileContainingExtension");
  if (field?.message === undefined) throw new Error(`${input.typeName} has no fileContainingExtension message field`);
  return field.message;
}

/** gRPC server reflection v1 and v1alpha: a bidirectional stream of one to three mutated requests. */
export function reflectionRequest(random: Random, ctx: FuzzContext): FuzzRequest {
  const service = random.chance(0.5) ? ReflectionV1 : ReflectionV1alpha;
  const input = service.methods[0].input;
  const payloads = Array.from({ length: 1 + random.int(3) }, () => {
    const message = randomMessage(random, input) as unknown as { messageRequest: { case: string | undefined; value: unknown } };
    if (random.chance(0.7)) {
      const kind = random.pick(["listServices", "fileContainingSymbol", "fileByFilename", "fileContainingExtension", "allExtensionNumbersOfType"]);
      message.messageRequest =
        kind === "fileContainingExtension"
          ? { case: kind, value: create(extensionRequest(input), { containingType: random.pick(SYMBOLS), extensionNumber: random.int(1000) }) }
          : { case: kind, value: random.pick(SYMBOLS) };
    }
    return mutateBytes(random, toBinary(input, message as never));
  });
  return grpcCall(random, ctx, service, "reflection", payloads);
}
