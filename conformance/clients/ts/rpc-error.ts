import { create } from "@bufbuild/protobuf";
import { type Any, AnySchema, anyPack } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import { type Code, type RpcError, RpcErrorSchema } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";

/** The RpcError for anything a call threw: its code, raw message and every detail as an Any. */
export function rpcErrorOf(err: unknown): RpcError {
  const error = ConnectError.from(err);
  const details: Any[] = error.details.map((detail) =>
    "desc" in detail
      ? anyPack(detail.desc, create(detail.desc, detail.value))
      : create(AnySchema, { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value }),
  );
  return create(RpcErrorSchema, { code: error.code as number as Code, message: error.rawMessage, details });
}
