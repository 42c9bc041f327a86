import { create, createFileRegistry, type DescMethodUnary, fromBinary, fromJson, type JsonValue, type Message, toJsonString } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from "@linker/protocol/gen/grpc/reflection/v1/reflection_pb.js";
import { type ReflectInstruction, type ReflectOutcome, ReflectOutcomeSchema } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import { rpcErrorOf } from "./rpc-error.js";

/** Deadline of the whole instruction when it gives none. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** The reflection API this client uses. */
const REFLECTION_SERVICE = "grpc.reflection.v1.ServerReflection";

type UnaryFn = (request: Message, options: { headers: Headers; signal: AbortSignal }) => Promise<Message>;

/** Thrown when the client cannot prepare the call from what reflection gave it. */
class ReflectionFailure extends Error {}

/**
 * A ServerReflectionInfo stream used one request at a time: `ask` sends a
 * request and waits for its answer; an error_response rejects with its code.
 */
function openReflection(transport: Transport, signal: AbortSignal) {
  const pending: ServerReflectionRequest[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  async function* requests(): AsyncGenerator<ServerReflectionRequest> {
    for (;;) {
      const next = pending.shift();
      if (next) yield next;
      else if (closed) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  const responses = createClient(ServerReflection, transport).serverReflectionInfo(requests(), { signal })[Symbol.asyncIterator]();
  const push = (request?: ServerReflectionRequest) => {
    if (request) pending.push(request);
    else closed = true;
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    async ask(query: ServerReflectionRequest["messageRequest"]): Promise<ServerReflectionResponse["messageResponse"]> {
      push(create(ServerReflectionRequestSchema, { messageRequest: query }));
      const next = await responses.next();
      if (next.done) throw new ConnectError("the reflection stream ended early", Code.Unknown);
      const answer = next.value.messageResponse;
      if (answer.case === "errorResponse") throw new ConnectError(answer.value.errorMessage, answer.value.errorCode as Code);
      return answer;
    },
    close: () => push(undefined),
  };
}

/** The file defining `symbol` and everything it imports (what the hub sends with it, then missing imports by name), imports first. */
async function filesDefining(reflection: ReturnType<typeof openReflection>, symbol: string): Promise<FileDescriptorProto[]> {
  const files = new Map<string, FileDescriptorProto>();
  const add = (answer: ServerReflectionResponse["messageResponse"]) => {
    if (answer.case !== "fileDescriptorResponse") throw new ReflectionFailure(`the hub answered ${answer.case ?? "nothing"}, not file descriptors`);
    for (const bytes of answer.value.fileDescriptorProto) {
      const file = fromBinary(FileDescriptorProtoSchema, bytes);
      if (!files.has(file.name)) files.set(file.name, file);
    }
  };
  add(await reflection.ask({ case: "fileContainingSymbol", value: symbol }));
  for (;;) {
    const missing = [...files.values()].flatMap((file) => file.dependency).find((name) => !files.has(name));
    if (missing === undefined) return importsFirst(files);
    add(await reflection.ask({ case: "fileByFilename", value: missing }));
    if (!files.has(missing)) throw new ReflectionFailure(`asked for ${missing}, the hub sent other files`);
  }
}

/** The files ordered so that each comes after the files it imports, as createFileRegistry needs. */
function importsFirst(files: Map<string, FileDescriptorProto>): FileDescriptorProto[] {
  const ordered: FileDescriptorProto[] = [];
  const seen = new Set<string>();
  const visit = (file: FileDescriptorProto) => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    for (const name of file.dependency) visit(files.get(name)!);
    ordered.push(file);
  };
  for (const file of files.values()) visit(file);
  return ordered;
}

/**
 * Does what grpcurl does, with no compiled linker.v1 types: lists the hub's
 * services by gRPC server reflection (v1), builds a registry from the
 * reflected descriptors of the method's service, makes the request from JSON,
 * calls the method with a Connect client built on the reflected service
 * descriptor, and prints the response as JSON. `transport` must speak gRPC;
 * `headers` (the credential) go on the call, not on reflection.
 */
export async function reflectAndCall(transport: Transport, instruction: ReflectInstruction, headers: Headers): Promise<ReflectOutcome> {
  const outcome = create(ReflectOutcomeSchema, { reflectionService: REFLECTION_SERVICE });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new ConnectError("the reflect instruction ran out of time", Code.DeadlineExceeded)), instruction.timeoutMs || DEFAULT_TIMEOUT_MS);
  const reflection = openReflection(transport, abort.signal);
  let stage = "reflection: ";
  try {
    const [serviceName, methodName, extra] = instruction.method.replace(/^\//, "").split("/");
    if (!serviceName || !methodName || extra !== undefined) throw new ReflectionFailure(`method "${instruction.method}" is not package.Service/Method`);
    const listed = await reflection.ask({ case: "listServices", value: "*" });
    if (listed.case !== "listServicesResponse") throw new ReflectionFailure(`the hub answered ${listed.case ?? "nothing"} to list_services`);
    outcome.services = listed.value.service.map((service) => service.name);
    if (!outcome.services.includes(serviceName)) throw new ReflectionFailure(`the hub does not list ${serviceName} (it lists ${outcome.services.join(", ")})`);
    const files = await filesDefining(reflection, serviceName);
    let registry;
    try {
      registry = createFileRegistry(create(FileDescriptorSetSchema, { file: files }));
    } catch (err) {
      throw new ReflectionFailure(`the reflected descriptors do not load: ${(err as Error).message}`);
    }
    const service = registry.getService(serviceName);
    if (!service) throw new ReflectionFailure(`the reflected files do not define ${serviceName}`);
    const method = service.methods.find((m) => m.name === methodName);
    if (!method) throw new ReflectionFailure(`${serviceName} has no method ${methodName}`);
    if (method.methodKind !== "unary") throw new ReflectionFailure(`${instruction.method} is a streaming method`);
    const unary = method as DescMethodUnary;
    outcome.inputType = unary.input.typeName;
    outcome.outputType = unary.output.typeName;
    let request;
    try {
      request = fromJson(unary.input, JSON.parse(instruction.requestJson) as JsonValue, { registry });
    } catch (err) {
      throw new ReflectionFailure(`the JSON is not a ${unary.input.typeName}: ${(err as Error).message}`);
    }
    stage = "";
    const client = createClient(service, transport) as unknown as Record<string, UnaryFn>;
    const response = await client[method.localName](request, { headers, signal: abort.signal });
    outcome.result = { case: "responseJson", value: toJsonString(unary.output, response, { registry }) };
  } catch (err) {
    if (err instanceof ReflectionFailure) {
      outcome.result = { case: "failure", value: err.message };
    } else {
      const error = rpcErrorOf(err);
      error.message = stage + error.message;
      outcome.result = { case: "error", value: error };
    }
  } finally {
    clearTimeout(timer);
    reflection.close();
    abort.abort();
  }
  return outcome;
}
