import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";

/** linker_unregister: free this instance's name (its inbox and sessions are deleted). */
export function registerUnregisterTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_unregister",
      description:
        "Free your name on the hub: your instance, its stored messages and sessions are deleted and you leave Linker until this server restarts. Only when the user asks.",
      input: {},
      annotations: { idempotentHint: true, openWorldHint: false },
    },
    async () => {
      await deps.client.unregister({ forget: true });
      deps.unregistered = true;
      return `Freed "${deps.client.name}": its instance, messages and sessions are deleted. Restart this MCP server to register again.`;
    },
  );
}
