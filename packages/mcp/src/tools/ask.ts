import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { formatPeerMessage } from "../message-view.js";
import { UNTRUSTED_NOTE } from "../peer-text.js";
import { defineTool } from "./define-tool.js";

/** linker_ask: ask an online instance and wait (bounded) for its answer. */
export function registerAskTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_ask",
      description: "Ask an online instance and wait for its reply (50 s at most). Fails at once if it is offline: then send a message instead.",
      input: {
        to: z.string().describe("Instance to ask; must be online"),
        question: z.string().min(1).describe("The question, with the context it needs"),
        timeout_seconds: z.number().int().min(1).max(50).default(30).describe("Longest wait"),
      },
      annotations: { destructiveHint: false },
    },
    async (args) => {
      const result = await deps.client.ask({ recipient: args.to, body: args.question, timeoutMs: args.timeout_seconds * 1000 });
      const reply = result.reply!;
      deps.unread.remember(reply);
      deps.unread.read([reply.id]);
      return `${UNTRUSTED_NOTE}\n${formatPeerMessage(reply)}`;
    },
  );
}
