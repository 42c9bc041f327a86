import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";

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
        kind: z.enum(["text", "context"]).default("text").describe("text, or context for shared project context"),
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
      const result = await deps.client.broadcast({ body: args.message, kind: args.kind === "context" ? MessageKind.CONTEXT : MessageKind.TEXT,
        onlineOnly: args.online_only });
      const skipped = result.skipped.length > 0 ? `; skipped (inbox full): ${result.skipped.join(", ")}` : "";
      return {
        text: `Broadcast to ${result.recipients.length} instance${result.recipients.length === 1 ? "" : "s"}${result.recipients.length ? `: ${result.recipients.join(", ")}` : ""}${skipped}.`,
        structured: { message_id: result.message!.id, recipients: result.recipients, skipped: result.skipped },
      };
    },
  );
}
