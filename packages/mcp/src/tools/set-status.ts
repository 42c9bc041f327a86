import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";

/** linker_set_status: tell others what you are doing. */
export function registerSetStatusTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_set_status",
      title: "Set status",
      description: 'Set your status text, shown to every other instance (for example "reviewing PR 12"). Empty clears it.',
      input: { status: z.string().max(256).describe("Status text") },
      output: { status: z.string().describe("Your status now") },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      const instance = await deps.client.setStatus({ status: args.status });
      return { text: args.status ? `Status: ${args.status}` : "Status cleared.", structured: { status: instance?.status ?? args.status } };
    },
  );
}
