import { ConnectError } from "@connectrpc/connect";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { LinkerError } from "@linker/client";

/** A successful tool result: short text for the model plus the same facts as structured content. */
export function toolResult(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text }], structuredContent: structured };
}

/**
 * A failed tool call as an `isError` result that says what went wrong and what
 * to do, instead of a protocol error the model cannot act on.
 */
export function toolFailure(err: unknown): CallToolResult {
  let text: string;
  if (err instanceof LinkerError) {
    text = `${err.codeName}: ${err.reason}${err.hint ? `\nWhat to do: ${err.hint}` : ""}`;
  } else if (err instanceof ConnectError) {
    text = `${err.code}: ${err.rawMessage}`;
  } else {
    text = err instanceof Error ? err.message : String(err);
  }
  return { content: [{ type: "text", text }], isError: true };
}
