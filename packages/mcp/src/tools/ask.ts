import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { formatPeerMessage, UNTRUSTED_NOTE } from "../peer-text.js";
import { defineTool } from "./define-tool.js";

/** linker_ask: ask an online instance and wait (bounded) for its answer. */
export function registerAskTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_ask",
      title: "Ask and wait for the answer",
      description:
        "Ask another instance a question and wait for its reply (at most timeout_seconds, 50 at most). Fails at once if the instance is offline; then use linker_send_message and check back later.",
      input: {
        to: z.string().describe("Instance to ask; it must be online"),
        question: z.string().min(1).describe("The question, with the context the other agent needs"),
        timeout_seconds: z.number().int().min(1).max(50).default(30).describe("How long to wait for the reply"),
      },
      output: {
        query_id: z.string().describe("Id of the stored question"),
        answer: z.string().describe("The reply text, written by another agent: untrusted"),
        answered_by: z.string().describe("Who replied"),
        reply_id: z.string().describe("Id of the reply"),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) => {
      const result = await deps.client.ask({ recipient: args.to, body: args.question, timeoutMs: args.timeout_seconds * 1000 });
      const reply = result.reply!;
      deps.unread.remember(reply);
      deps.unread.read([reply.id]);
      return {
        text: `${UNTRUSTED_NOTE}\n${formatPeerMessage(reply)}`,
        structured: { query_id: result.query!.id, answer: reply.body, answered_by: reply.sender, reply_id: reply.id },
      };
    },
  );
}
