import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";
import { sendableKinds } from "./send-message.js";

/** linker_broadcast: one message to every other instance. */
export function registerBroadcastTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_broadcast",
      title: "Broadcast a message",
      description: "Send one message to every other registered instance (or only those online now). Use it for announcements and shared context.",
      input: {
        message: z.string().min(1).describe("The message text"),
        kind: sendableKinds.schema.default("text").describe("What the message is; context shares project context"),
        online_only: z.boolean().default(false).describe("Only instances online now"),
      },
      output: {
        message_id: z.string().describe("Id of the stored message"),
        recipients: z.array(z.string()).describe("Who received it"),
        skipped: z.array(z.string()).describe("Who was left out because their inbox is full"),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) => {
      const result = await deps.client.broadcast({ body: args.message, kind: sendableKinds.value(args.kind),
        onlineOnly: args.online_only });
      const skipped = result.skipped.length > 0 ? `; skipped (inbox full): ${result.skipped.join(", ")}` : "";
      return {
        text: `Broadcast to ${result.recipients.length} instance${result.recipients.length === 1 ? "" : "s"}${result.recipients.length ? `: ${result.recipients.join(", ")}` : ""}${skipped}.`,
        structured: { message_id: result.message!.id, recipients: result.recipients, skipped: result.skipped },
      };
    },
  );
}
