import type { DescMethodBiDiStreaming, DescMethodClientStreaming, DescMethodUnary } from "@bufbuild/protobuf";
import type { Step } from "@linker/protocol/gen/linker/conformance/v1/suite_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { HarnessFault } from "./outcomes.js";

/** The unary LinkerService method a step names. */
export function methodByName(name: string): DescMethodUnary {
  const method = LinkerService.methods.find((m) => m.name === name);
  if (!method || method.methodKind !== "unary") throw new HarnessFault(`"${name}" is not a unary LinkerService method`);
  return method as DescMethodUnary;
}

/** A LinkerService method that takes a stream of requests. */
export type StreamingMethod = DescMethodClientStreaming | DescMethodBiDiStreaming;

/** The request-streaming LinkerService method a step names. */
export function streamingMethodByName(name: string): StreamingMethod {
  const method = LinkerService.methods.find((m) => m.name === name);
  if (!method || (method.methodKind !== "client_streaming" && method.methodKind !== "bidi_streaming")) {
    throw new HarnessFault(`"${name}" is not a LinkerService method that takes a stream of requests`);
  }
  return method as StreamingMethod;
}

/** A step as its report line names it. */
export function describe(step: Step): string {
  const { action } = step;
  switch (action.case) {
    case "call":
      return action.value.handle ? `${action.value.method} (start ${action.value.handle})` : action.value.method;
    case "openStream":
      return `open_stream ${action.value.handle}`;
    case "readStream":
      return `read_stream ${action.value.handle}`;
    case "closeStream":
      return `close_stream ${action.value.handle}`;
    case "awaitCall":
      return `await ${action.value.handles.join(", ")}`;
    case "sleep":
      return `sleep ${action.value.ms} ms`;
    case "restartServer":
      return action.value.abrupt ? "restart_server (kill)" : "restart_server";
    case "reflect":
      return `reflect ${action.value.method}`;
    case "streamCall":
      return `${action.value.method} (${action.value.requests.length} requests)`;
    default:
      return "nothing";
  }
}
