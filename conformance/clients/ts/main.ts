/**
 * The TypeScript client under test. Reads ClientCompatRequests from stdin and
 * writes one ClientCompatResponse per request to stdout, both size-delimited.
 *
 * Usage: node --import tsx conformance/clients/ts/main.ts
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { ClientCompatRequestSchema, ClientCompatResponseSchema } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import { FrameReader, writeFrame } from "../../protocol/size-delimited.js";
import { createTsClientExecutor } from "./executor.js";

const executor = createTsClientExecutor();
const reader = new FrameReader(process.stdin);
for (;;) {
  const frame = await reader.next();
  if (!frame) break;
  const response = await executor.execute(fromBinary(ClientCompatRequestSchema, frame));
  writeFrame(process.stdout, toBinary(ClientCompatResponseSchema, response));
}
await executor.close();
process.exit(0);
