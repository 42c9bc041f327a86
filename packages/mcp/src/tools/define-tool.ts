import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { toolFailure, toolText } from "../tool-result.js";

/** A tool's declaration: zod shapes with a description on every field. */
export interface ToolSpec<I extends z.ZodRawShape> {
  /** Tool name. */
  name: string;
  /** What the tool does and what it answers, for the model. */
  description: string;
  /** Input fields. */
  input: I;
  /** Behaviour hints that differ from MCP's defaults (not read-only, destructive, not idempotent, open world). */
  annotations: ToolAnnotations;
  /** Leave the unread hint off (tools that list messages themselves). */
  noUnreadHint?: boolean;
}

/**
 * The unread hint, checked with the hub when the stream says something waits:
 * a hook or another client of the same name may have read it meanwhile.
 */
async function unreadHint(deps: McpDeps): Promise<string> {
  if (deps.unread.count === 0) return "";
  try {
    const page = await deps.client.listMessages({ unreadOnly: true, limit: 100 });
    if (!page.hasMore) deps.unread.reconcile(page.messages);
  } catch {
    // The stream's count stands.
  }
  return deps.unread.hint();
}

/**
 * Registers a tool that answers in text only. Claude Code hands the model
 * only the JSON of `structuredContent` when a result has it, dropping the
 * text, and every output schema sits in each session's context; so no tool
 * declares one: the text is written for the model (short, with the ids it
 * needs, peer text in its envelope) and is all it gets. Failures become
 * `isError` results with advice; results end with the unread-message hint
 * when something waits.
 */
export function defineTool<I extends z.ZodRawShape>(server: McpServer, deps: McpDeps, spec: ToolSpec<I>, run: (args: z.infer<z.ZodObject<I>>) => Promise<string>): void {
  server.registerTool(spec.name, { description: spec.description, inputSchema: spec.input, annotations: spec.annotations }, (async (args: z.infer<z.ZodObject<I>>) => {
    if (deps.unregistered) {
      return toolFailure(new Error(`you freed the name "${deps.client.name}" with linker_unregister; this session is no longer on Linker. Restart this MCP server to register again.`));
    }
    try {
      const text = await run(args);
      const hint = spec.noUnreadHint ? "" : await unreadHint(deps);
      return toolText(hint ? `${text}\n${hint}` : text);
    } catch (err) {
      return toolFailure(err);
    }
  }) as never);
}
