import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { z } from "zod";
import { Presence } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type { McpDeps } from "../mcp-deps.js";
import { defineTool } from "./define-tool.js";

/** linker_list_instances: who is registered and who is online. */
export function registerListInstancesTool(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_list_instances",
      title: "List instances",
      description: "List the instances (other agents and windows) registered on the hub, with presence, status and what they work on.",
      input: { online_only: z.boolean().default(false).describe("Only instances online now") },
      output: {
        instances: z
          .array(
            z.object({
              name: z.string().describe("Instance name (its address)"),
              online: z.boolean().describe("Online now"),
              status: z.string().describe("Status text"),
              description: z.string().describe("What it works on"),
              project: z.string().describe("Workspace project"),
              branch: z.string().describe("Git branch"),
              last_seen: z.string().optional().describe("ISO time the hub last heard from it"),
              you: z.boolean().describe("This is you"),
            }),
          )
          .describe("Instances by name"),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      const instances = await deps.client.listInstances({ onlineOnly: args.online_only });
      const rows = instances.map((i) => ({
        name: i.name,
        online: i.presence === Presence.ONLINE,
        status: i.status,
        description: i.description,
        project: i.workspace?.project ?? "",
        branch: i.workspace?.gitBranch ?? "",
        last_seen: i.lastSeenAt ? timestampDate(i.lastSeenAt).toISOString() : undefined,
        you: i.name === deps.client.name,
      }));
      const lines = rows.map(
        (r) =>
          `${r.online ? "●" : "○"} ${r.name}${r.you ? " (you)" : ""}${r.status ? ` — ${r.status}` : ""}${r.description ? ` — ${r.description}` : ""}${r.project ? ` [${r.project}${r.branch ? `@${r.branch}` : ""}]` : ""}`,
      );
      return { text: lines.length > 0 ? lines.join("\n") : "No instances.", structured: { instances: rows } };
    },
  );
}
