import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { toolFailure, toolResult } from "../tool-result.js";

/** A tool's declaration: zod shapes with a description on every field. */
export interface ToolSpec<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  /** Tool name. */
  name: string;
  /** Human title. */
  title: string;
  /** What the tool does, for the model. */
  description: string;
  /** Input fields. */
  input: I;
  /** Structured output fields. */
  output: O;
  /** Honest behaviour hints. */
  annotations: ToolAnnotations;
  /** Leave the unread hint off (tools that list messages themselves). */
  noUnreadHint?: boolean;
}

/** What a tool's body returns: a short text and the structured result. */
export interface ToolOutput<O extends z.ZodRawShape> {
  /** Short text for the model. */
  text: string;
  /** Structured content matching the output schema. */
  structured: z.infer<z.ZodObject<O>>;
}

/**
 * Registers a tool whose failures become `isError` results with advice, and
 * whose results end with the unread-message hint when something waits.
 */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(
  server: McpServer,
  deps: McpDeps,
  spec: ToolSpec<I, O>,
  run: (args: z.infer<z.ZodObject<I>>) => Promise<ToolOutput<O>>,
): void {
  server.registerTool(
    spec.name,
    { title: spec.title, description: spec.description, inputSchema: spec.input, outputSchema: spec.output, annotations: spec.annotations },
    (async (args: z.infer<z.ZodObject<I>>) => {
      try {
        const { text, structured } = await run(args);
        const hint = spec.noUnreadHint ? "" : deps.unread.hint();
        return toolResult(hint ? `${text}\n\n${hint}` : text, structured as Record<string, unknown>);
      } catch (err) {
        return toolFailure(err);
      }
    }) as never,
  );
}
