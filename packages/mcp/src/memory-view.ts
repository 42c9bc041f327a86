import { timestampDate } from "@bufbuild/protobuf/wkt";
import { z } from "zod";
import type { MemoryEntry } from "@linker/protocol/gen/linker/v1/memory_pb.js";

/** Structured form of a memory entry in tool results. */
export const memoryView = z.object({
  key: z.string().describe("The key"),
  value: z.string().describe("The value"),
  revision: z.string().describe("Revision of the last change; pass it as expected_revision to update safely"),
  updated_by: z.string().describe("Instance that made the last change"),
  updated_at: z.string().optional().describe("ISO time of the last change"),
});

/** A memory entry as structured tool output. */
export function viewMemory(entry: MemoryEntry): z.infer<typeof memoryView> {
  return {
    key: entry.key,
    value: entry.value,
    revision: String(entry.revision),
    updated_by: entry.updatedBy,
    updated_at: entry.updatedAt ? timestampDate(entry.updatedAt).toISOString() : undefined,
  };
}
