import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PutMemoryRequestSchema, SendRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MemoryEntrySchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { MessageKind, MessageSchema, Priority } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { carriedFields } from "../../packages/hub/src/carried-fields.js";

describe("fields a stored record carries from its request", () => {
  it("takes exactly the fields both messages declare with the same type", () => {
    const put = create(PutMemoryRequestSchema, { key: "api/port", value: "8080", expectedRevision: 3n, ttlSeconds: 60 });
    expect(carriedFields(PutMemoryRequestSchema, MemoryEntrySchema, put)).toEqual({ key: "api/port", value: "8080" });
    const send = create(SendRequestSchema, { recipient: "bob", body: "hi", kind: MessageKind.QUERY, priority: Priority.HIGH, threadId: "t", metadata: { a: "b" } });
    const carried = carriedFields(SendRequestSchema, MessageSchema, send) as Record<string, unknown>;
    expect(carried).toMatchObject({ recipient: "bob", body: "hi", kind: MessageKind.QUERY, priority: Priority.HIGH, threadId: "t" });
    // ttl_seconds (the request's) has no counterpart; a map field is not singular and is left to the code that stores it.
    expect(Object.keys(carried)).not.toContain("ttlSeconds");
    expect(Object.keys(carried)).not.toContain("metadata");
  });
});
