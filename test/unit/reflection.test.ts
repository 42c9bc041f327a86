import { type MessageInitShape, fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { file_grpc_health_v1_health } from "@linker/protocol/gen/grpc/health/v1/health_pb.js";
import {
  ServerReflection,
  type ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  file_grpc_reflection_v1_reflection,
} from "@linker/protocol/gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1alpha,
  file_grpc_reflection_v1alpha_reflection,
} from "@linker/protocol/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { file_linker_v1_linker_service } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { registerReflection } from "../../packages/hub/src/reflection.js";

type Request = MessageInitShape<typeof ServerReflectionRequestSchema>;

const transport = createRouterTransport((router) => {
  registerReflection(router, [
    file_linker_v1_linker_service,
    file_grpc_health_v1_health,
    file_grpc_reflection_v1_reflection,
    file_grpc_reflection_v1alpha_reflection,
  ]);
});
const v1 = createClient(ServerReflection, transport);
const v1alpha = createClient(ServerReflectionV1alpha, transport);

async function* from<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}

/** Sends the requests on one v1 stream and collects every response. */
async function ask(...requests: Request[]): Promise<ServerReflectionResponse[]> {
  const responses: ServerReflectionResponse[] = [];
  for await (const response of v1.serverReflectionInfo(from(requests))) responses.push(response);
  return responses;
}

async function askOne(request: Request): Promise<ServerReflectionResponse> {
  const responses = await ask(request);
  expect(responses).toHaveLength(1);
  return responses[0];
}

/** Decodes a file_descriptor_response, failing the test on any other answer. */
function filesOf(response: { messageResponse: { case: string | undefined; value?: unknown } }): FileDescriptorProto[] {
  const reply = response.messageResponse;
  if (reply.case !== "fileDescriptorResponse") throw new Error(`expected files, got ${reply.case}: ${JSON.stringify(reply.value)}`);
  const { fileDescriptorProto } = reply.value as { fileDescriptorProto: Uint8Array[] };
  return fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
}

function names(files: FileDescriptorProto[]): string[] {
  return files.map((file) => file.name);
}

describe("reflection v1", () => {
  it("lists the linker, health and reflection services", async () => {
    const response = await askOne({ host: "hub", messageRequest: { case: "listServices", value: "*" } });
    expect(response.validHost).toBe("hub");
    expect(response.originalRequest?.messageRequest.case).toBe("listServices");
    expect(response.messageResponse.case).toBe("listServicesResponse");
    if (response.messageResponse.case !== "listServicesResponse") return;
    expect(response.messageResponse.value.service.map((s) => s.name).sort()).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "linker.v1.LinkerService",
    ]);
  });

  it("returns the service's file with all its transitive imports, each once", async () => {
    const files = filesOf(
      await askOne({ messageRequest: { case: "fileContainingSymbol", value: "linker.v1.LinkerService" } }),
    );
    const fileNames = names(files);
    expect(fileNames[0]).toBe("linker/v1/linker_service.proto");
    expect(fileNames).toEqual(
      expect.arrayContaining([
        "buf/validate/validate.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/duration.proto",
        "google/protobuf/timestamp.proto",
        "google/protobuf/struct.proto",
        "linker/v1/message.proto",
        "linker/v1/task.proto",
      ]),
    );
    expect(new Set(fileNames).size).toBe(fileNames.length);
    // Every import of every returned file is itself in the set.
    for (const file of files) {
      for (const dependency of file.dependency) expect(fileNames).toContain(dependency);
    }
    const service = files[0].service.find((s) => s.name === "LinkerService");
    expect(service?.method.map((m) => m.name)).toContain("Send");
  });

  it("resolves method, message, nested, field and enum value symbols to their files", async () => {
    const cases: [string, string][] = [
      ["linker.v1.LinkerService.Send", "linker/v1/linker_service.proto"],
      ["linker.v1.RegisterRequest", "linker/v1/linker_service.proto"],
      ["linker.v1.RegisterRequest.name", "linker/v1/linker_service.proto"],
      ["google.protobuf.Timestamp", "google/protobuf/timestamp.proto"],
      ["grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"],
      ["grpc.health.v1.HealthCheckResponse.SERVING", "grpc/health/v1/health.proto"],
      ["grpc.reflection.v1.ServerReflection.ServerReflectionInfo", "grpc/reflection/v1/reflection.proto"],
      ["buf.validate.field", "buf/validate/validate.proto"],
    ];
    const responses = await ask(
      ...cases.map(([symbol]): Request => ({ messageRequest: { case: "fileContainingSymbol", value: symbol } })),
    );
    expect(responses).toHaveLength(cases.length);
    responses.forEach((response, i) => {
      expect(names(filesOf(response))[0], cases[i][0]).toBe(cases[i][1]);
    });
  });

  it("answers an unknown symbol with NOT_FOUND and keeps the stream open", async () => {
    const [missing, found] = await ask(
      { messageRequest: { case: "fileContainingSymbol", value: "linker.v1.NoSuchThing" } },
      { messageRequest: { case: "fileContainingSymbol", value: "linker.v1.LinkerService" } },
    );
    expect(missing.messageResponse.case).toBe("errorResponse");
    if (missing.messageResponse.case !== "errorResponse") return;
    expect(missing.messageResponse.value.errorCode).toBe(Code.NotFound);
    expect(missing.messageResponse.value.errorCode).toBe(5);
    expect(missing.messageResponse.value.errorMessage).toContain("linker.v1.NoSuchThing");
    expect(names(filesOf(found))[0]).toBe("linker/v1/linker_service.proto");
  });

  it("finds files by name, and reports unknown names as NOT_FOUND", async () => {
    const [timestamp, health, missing] = await ask(
      { messageRequest: { case: "fileByFilename", value: "google/protobuf/timestamp.proto" } },
      { messageRequest: { case: "fileByFilename", value: "grpc/health/v1/health.proto" } },
      { messageRequest: { case: "fileByFilename", value: "nope.proto" } },
    );
    expect(names(filesOf(timestamp))).toEqual(["google/protobuf/timestamp.proto"]);
    const [healthFile] = filesOf(health);
    expect(healthFile.package).toBe("grpc.health.v1");
    expect(healthFile.service.map((s) => s.name)).toEqual(["Health"]);
    expect(missing.messageResponse.case).toBe("errorResponse");
    expect(missing.messageResponse.value).toMatchObject({ errorCode: Code.NotFound });
  });

  it("answers extension queries", async () => {
    const [byNumber, unknownNumber, numbers, noExtensions, unknownType] = await ask(
      {
        messageRequest: {
          case: "fileContainingExtension",
          value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 1159 },
        },
      },
      {
        messageRequest: {
          case: "fileContainingExtension",
          value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 42 },
        },
      },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.FieldOptions" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "linker.v1.RegisterRequest" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "linker.v1.Nope" } },
    );
    expect(names(filesOf(byNumber))[0]).toBe("buf/validate/validate.proto");
    expect(unknownNumber.messageResponse.value).toMatchObject({ errorCode: Code.NotFound });
    expect(numbers.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "google.protobuf.FieldOptions", extensionNumber: [1159, 1160] },
    });
    expect(noExtensions.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "linker.v1.RegisterRequest", extensionNumber: [] },
    });
    expect(unknownType.messageResponse.value).toMatchObject({ errorCode: Code.NotFound });
  });

  it("rejects a request with no query set", async () => {
    const response = await askOne({ host: "hub" });
    expect(response.messageResponse.value).toMatchObject({ errorCode: Code.InvalidArgument });
  });
});

describe("reflection v1alpha", () => {
  it("serves the same answers as v1", async () => {
    const requests = [
      { host: "h", messageRequest: { case: "listServices", value: "" } },
      { messageRequest: { case: "fileContainingSymbol", value: "linker.v1.LinkerService.Send" } },
      { messageRequest: { case: "fileByFilename", value: "linker/v1/linker_service.proto" } },
      { messageRequest: { case: "fileContainingSymbol", value: "linker.v1.Missing" } },
    ] as const;
    const responses = [];
    for await (const response of v1alpha.serverReflectionInfo(from(requests))) responses.push(response);
    expect(responses).toHaveLength(4);
    const [list, symbol, byName, missing] = responses;

    expect(list.$typeName).toBe("grpc.reflection.v1alpha.ServerReflectionResponse");
    expect(list.validHost).toBe("h");
    expect(list.originalRequest?.$typeName).toBe("grpc.reflection.v1alpha.ServerReflectionRequest");
    expect(list.messageResponse.case).toBe("listServicesResponse");
    if (list.messageResponse.case === "listServicesResponse") {
      expect(list.messageResponse.value.service.map((s) => s.name)).toContain("linker.v1.LinkerService");
    }

    const symbolFiles = names(filesOf(symbol));
    expect(symbolFiles[0]).toBe("linker/v1/linker_service.proto");
    expect(symbolFiles).toEqual(
      expect.arrayContaining(["buf/validate/validate.proto", "google/protobuf/timestamp.proto"]),
    );
    expect(names(filesOf(byName))).toEqual(symbolFiles);

    expect(missing.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: Code.NotFound } });
  });
});
