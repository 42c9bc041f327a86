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
      description: 'Set the status text every instance sees (e.g. "reviewing PR 12"); empty clears it.',
      input: { status: z.string().max(256).describe("Status text") },
      annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      await deps.client.setStatus({ status: args.status });
      return args.status ? `Status: ${args.status}` : "Status cleared.";
    },
  );
}
