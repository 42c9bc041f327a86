import type { MemoryEntry } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { quote } from "./peer-text.js";

/** One memory entry in a line: key, value (quoted, cut to `max`), revision and author. */
export function memoryLine(entry: MemoryEntry, max = 120): string {
  return `${entry.key} = ${quote(entry.value, max)} (rev ${entry.revision}, by ${entry.updatedBy || "?"})`;
}
