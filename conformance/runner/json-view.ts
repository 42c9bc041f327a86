import { createRegistry, type JsonValue, toJson } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { Code, type RpcError } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import { file_google_rpc_retry_info } from "@linker/protocol/gen/google/rpc/retry_info_pb.js";
import { file_linker_v1_credential } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import { file_linker_v1_event } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { file_linker_v1_instance } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { file_linker_v1_memory } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { file_linker_v1_message } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { file_linker_v1_task } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { file_linker_v1_linker_service } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";

/** Registry that turns requests, responses, events and error details into JSON and back. */
export const registry = createRegistry(
  file_linker_v1_linker_service,
  file_linker_v1_event,
  file_linker_v1_instance,
  file_linker_v1_memory,
  file_linker_v1_message,
  file_linker_v1_task,
  file_linker_v1_credential,
  file_google_rpc_retry_info,
  file_buf_validate_validate,
);

/** How the runner writes messages as JSON for expectations: proto field names, defaults filled in. */
export const jsonOptions = { alwaysEmitImplicit: true, useProtoFieldName: true, registry } as const;

/** "CODE_NOT_FOUND" for Code.NOT_FOUND. */
export function codeName(code: Code): string {
  return `CODE_${Code[code] ?? code}`;
}

/** An error as expectations and captures see it: {code, message, details: [{type, value}]}. */
export function errorView(error: RpcError): JsonValue {
  return {
    code: codeName(error.code),
    message: error.message,
    details: error.details.map((detail) => {
      const type = detail.typeUrl.slice(detail.typeUrl.lastIndexOf("/") + 1);
      const desc = registry.getMessage(type);
      const value = desc ? anyUnpack(detail, desc) : undefined;
      return { type, value: desc && value ? toJson(desc, value, jsonOptions) : Buffer.from(detail.value).toString("base64") };
    }),
  };
}
