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
      description: "Send one message to every other registered instance (or only those online): announcements, shared context.",
      input: {
        message: z.string().min(1).describe("The text"),
        kind: sendableKinds.schema.default("text").describe("What it is"),
        online_only: z.boolean().default(false).describe("Only instances online now"),
      },
      annotations: { destructiveHint: false },
    },
    async (args) => {
      const result = await deps.client.broadcast({ body: args.message, kind: sendableKinds.value(args.kind), onlineOnly: args.online_only });
      const count = result.recipients.length;
      const skipped = result.skipped.length > 0 ? ` Skipped (inbox full): ${result.skipped.join(", ")}.` : "";
      return `Broadcast to ${count} instance${count === 1 ? "" : "s"}${count ? `: ${result.recipients.join(", ")}` : ""} (id ${result.message!.id}).${skipped}`;
    },
  );
}
