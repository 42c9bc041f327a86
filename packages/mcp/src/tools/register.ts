import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";

/** linker_register: update how this instance describes itself, under the same session. */
export function registerRegisterTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_register",
      description:
        "This server registers you by itself. Use this to change what other agents see about you: your description and capabilities. Same name, same inbox.",
      input: {
        description: z.string().max(1024).optional().describe("What you are working on"),
        capabilities: z.array(z.string().min(1).max(64)).max(32).optional().describe('Skills you offer, e.g. ["typescript","review"]'),
      },
      annotations: { destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      const response = await deps.client.updateRegistration({
        ...(args.description !== undefined ? { description: args.description } : {}),
        ...(args.capabilities !== undefined ? { capabilities: args.capabilities } : {}),
      });
      const instance = response.instance!;
      const skills = instance.capabilities.length > 0 ? `; capabilities: ${instance.capabilities.join(", ")}` : "";
      return `Registered as ${instance.name}${instance.description ? `: ${instance.description}` : ""}${skills}. ${response.unreadCount} unread.`;
    },
  );
}
