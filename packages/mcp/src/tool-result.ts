import { ConnectError } from "@connectrpc/connect";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { LinkerError } from "@linker/client";

/** A successful tool result: text for the model, and nothing else (see defineTool). */
export function toolText(text: string): CallToolResult {
  return { content: [{ type: "text", text }] };
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
