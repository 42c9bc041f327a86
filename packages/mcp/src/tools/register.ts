import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";

/** linker_register: update how this instance describes itself. */
export function registerRegisterTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_register",
      title: "Update your registration",
      description:
        "You are registered automatically under your instance name. Use this to update your description and capabilities so other agents know what you work on and what to ask you.",
      input: {
        description: z.string().max(1024).optional().describe("What you are working on"),
        capabilities: z.array(z.string().min(1).max(64)).max(32).optional().describe('Skills you offer, e.g. ["typescript","review"]'),
      },
      output: {
        name: z.string().describe("Your instance name"),
        description: z.string().describe("Your description"),
        capabilities: z.array(z.string()).describe("Your capabilities"),
        unread_count: z.number().describe("Unread messages waiting"),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args) => {
      const current = deps.client.registered?.instance;
      const response = await deps.client.rpc.register({
        name: deps.client.name,
        description: args.description ?? current?.description ?? "",
        capabilities: args.capabilities ?? current?.capabilities ?? [],
        labels: current?.labels ?? {},
        workspace: current?.workspace,
        client: current?.client ?? "",
        resumeToken: deps.client.sessionToken ?? "",
      });
      const instance = response.instance!;
      return {
        text: `Registered as ${instance.name}.${response.unreadCount > 0 ? ` ${response.unreadCount} unread.` : ""}`,
        structured: { name: instance.name, description: instance.description, capabilities: instance.capabilities, unread_count: response.unreadCount },
      };
    },
  );
}
