/**
 * gRPC server reflection (`grpc.reflection.v1` and `grpc.reflection.v1alpha`),
 * so grpcurl, `buf curl` and similar tools can discover the hub's services
 * and message types without local .proto files. Both versions share one
 * implementation written against v1; v1alpha messages are wire-identical and
 * are converted through their binary form.
 */
import {
  type DescFile,
  type Registry,
  create,
  createRegistry,
  fromBinary,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import {
  ErrorResponseSchema,
  ExtensionNumberResponseSchema,
  FileDescriptorResponseSchema,
  ListServiceResponseSchema,
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
  file_grpc_reflection_v1_reflection,
} from "@linker/protocol/gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1alpha,
  ServerReflectionRequestSchema as ServerReflectionRequestSchemaV1alpha,
  ServerReflectionResponseSchema as ServerReflectionResponseSchemaV1alpha,
  file_grpc_reflection_v1alpha_reflection,
} from "@linker/protocol/gen/grpc/reflection/v1alpha/reflection_pb.js";

/** Registers gRPC server reflection v1 and v1alpha for the given files (and their imports). */
export function registerReflection(router: ConnectRouter, files: readonly DescFile[]): void {
  const reflect = createReflector(files);
  router.service(ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield reflect(request);
      }
    },
  });
  router.service(ServerReflectionV1alpha, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        const asV1 = fromBinary(ServerReflectionRequestSchema, toBinary(ServerReflectionRequestSchemaV1alpha, request));
        const reply = reflect(asV1);
        yield fromBinary(ServerReflectionResponseSchemaV1alpha, toBinary(ServerReflectionResponseSchema, reply));
      }
    },
  });
}

type Reply = NonNullable<ServerReflectionResponse["messageResponse"]>;

/** Builds the lookup tables once and returns the per-request handler. */
function createReflector(files: readonly DescFile[]): (request: ServerReflectionRequest) => ServerReflectionResponse {
  const roots = [...files, file_grpc_reflection_v1_reflection, file_grpc_reflection_v1alpha_reflection];
  const filesByName = collectFiles(roots);
  const registry = createRegistry(...filesByName.values());
  const symbols = indexSymbols(registry);
  const extensionNumbers = indexExtensionNumbers(registry);
  const services = [...new Set(roots.flatMap((file) => file.services.map((service) => service.typeName)))];
  const encoded = new Map<string, Uint8Array>();

  /** The file and everything it imports, transitively, each once, the file itself first. */
  function fileSet(root: DescFile): Reply {
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    const visit = (file: DescFile): void => {
      const name = file.proto.name;
      if (seen.has(name)) return;
      seen.add(name);
      let bytes = encoded.get(name);
      if (!bytes) {
        bytes = toBinary(FileDescriptorProtoSchema, file.proto);
        encoded.set(name, bytes);
      }
      out.push(bytes);
      for (const dependency of file.dependencies) visit(dependency);
    };
    visit(root);
    return { case: "fileDescriptorResponse", value: create(FileDescriptorResponseSchema, { fileDescriptorProto: out }) };
  }

  function answer(request: ServerReflectionRequest): Reply {
    const query = request.messageRequest;
    switch (query.case) {
      case "listServices":
        return {
          case: "listServicesResponse",
          value: create(ListServiceResponseSchema, { service: services.map((name) => ({ name })) }),
        };
      case "fileByFilename": {
        const file = filesByName.get(query.value);
        return file ? fileSet(file) : errorReply(Code.NotFound, `file not found: ${query.value}`);
      }
      case "fileContainingSymbol": {
        const name = query.value.startsWith(".") ? query.value.slice(1) : query.value;
        const file = symbols.get(name);
        return file ? fileSet(file) : errorReply(Code.NotFound, `symbol not found: ${query.value}`);
      }
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = query.value;
        const extendee = registry.getMessage(containingType);
        if (!extendee) return errorReply(Code.NotFound, `message type not found: ${containingType}`);
        const extension = registry.getExtensionFor(extendee, extensionNumber);
        return extension
          ? fileSet(extension.file)
          : errorReply(Code.NotFound, `extension not found: ${containingType} has no extension number ${extensionNumber}`);
      }
      case "allExtensionNumbersOfType": {
        const typeName = query.value;
        if (!registry.getMessage(typeName)) return errorReply(Code.NotFound, `message type not found: ${typeName}`);
        return {
          case: "allExtensionNumbersResponse",
          value: create(ExtensionNumberResponseSchema, {
            baseTypeName: typeName,
            extensionNumber: extensionNumbers.get(typeName) ?? [],
          }),
        };
      }
      default:
        return errorReply(Code.InvalidArgument, "empty reflection request: set one of the message_request fields");
    }
  }

  return (request) =>
    create(ServerReflectionResponseSchema, {
      validHost: request.host,
      originalRequest: request,
      messageResponse: answer(request),
    });
}

/** Every file reachable from the roots through imports, keyed by `proto.name`, imports first. */
function collectFiles(roots: readonly DescFile[]): Map<string, DescFile> {
  const byName = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (byName.has(file.proto.name)) return;
    for (const dependency of file.dependencies) visit(dependency);
    byName.set(file.proto.name, file);
  };
  for (const root of roots) visit(root);
  return byName;
}

/**
 * Maps every fully qualified name a client may ask about to its file: types,
 * services, methods, fields, oneofs and enum values (which, as in C++, are
 * scoped beside their enum rather than inside it).
 */
function indexSymbols(registry: Registry): Map<string, DescFile> {
  const symbols = new Map<string, DescFile>();
  const add = (name: string, file: DescFile): void => {
    if (!symbols.has(name)) symbols.set(name, file);
  };
  for (const type of registry) {
    add(type.typeName, type.file);
    switch (type.kind) {
      case "service":
        for (const method of type.methods) add(`${type.typeName}.${method.name}`, type.file);
        break;
      case "message":
        for (const field of type.fields) add(`${type.typeName}.${field.name}`, type.file);
        for (const oneof of type.proto.oneofDecl) add(`${type.typeName}.${oneof.name}`, type.file);
        break;
      case "enum": {
        const scope = type.parent ? type.parent.typeName : type.file.proto.package;
        for (const value of type.values) add(scope ? `${scope}.${value.name}` : value.name, type.file);
        break;
      }
      case "extension":
        break;
    }
  }
  return symbols;
}

/** Extension field numbers by the fully qualified name of the message they extend, ascending. */
function indexExtensionNumbers(registry: Registry): Map<string, number[]> {
  const numbers = new Map<string, number[]>();
  for (const type of registry) {
    if (type.kind !== "extension") continue;
    const list = numbers.get(type.extendee.typeName) ?? [];
    list.push(type.number);
    numbers.set(type.extendee.typeName, list);
  }
  for (const list of numbers.values()) list.sort((a, b) => a - b);
  return numbers;
}

function errorReply(code: Code, message: string): Reply {
  return { case: "errorResponse", value: create(ErrorResponseSchema, { errorCode: code, errorMessage: message }) };
}
