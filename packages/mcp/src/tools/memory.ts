import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { McpDeps } from "../mcp-deps.js";
import { memoryView, viewMemory } from "../memory-view.js";
import { defineTool } from "./define-tool.js";

const revision = z
  .string()
  .regex(/^[0-9]+$/)
  .describe('Only write if the key is still at this revision; "0" means only if the key does not exist yet');

/** linker_memory_get, linker_memory_put, linker_memory_list and linker_memory_delete. */
export function registerMemoryTools(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_memory_get",
      title: "Read shared memory",
      description: "Read one key of the memory shared by all instances, with its revision.",
      input: { key: z.string().describe("The key, e.g. api/schema") },
      output: { found: z.boolean().describe("Whether the key exists"), entry: memoryView.optional().describe("The entry") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      const entry = await deps.client.getMemory({ key: args.key });
      if (!entry) return { text: `${args.key}: not set.`, structured: { found: false } };
      return { text: `${entry.key} (revision ${entry.revision}, by ${entry.updatedBy}):\n${entry.value}`, structured: { found: true, entry: viewMemory(entry) } };
    },
  );
  defineTool(
    server,
    deps,
    {
      name: "linker_memory_put",
      title: "Write shared memory",
      description:
        "Write a key of shared memory. To update without losing someone else's change, pass the revision you read as expected_revision: if it changed meanwhile the write is refused and you get the current revision to merge with.",
      input: {
        key: z.string().describe("The key; use / to make namespaces, e.g. decisions/db"),
        value: z.string().describe("The value"),
        expected_revision: revision.optional(),
        ttl_seconds: z.number().int().min(0).default(0).describe("Seconds until the key expires; 0 keeps it"),
      },
      output: { entry: memoryView.describe("The entry as written") },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    async (args) => {
      const entry = await deps.client.putMemory({ key: args.key, value: args.value, expectedRevision: args.expected_revision === undefined ? undefined : BigInt(args.expected_revision),
        ttlSeconds: args.ttl_seconds });
      return { text: `${entry.key} written (revision ${entry.revision}).`, structured: { entry: viewMemory(entry) } };
    },
  );
  defineTool(
    server,
    deps,
    {
      name: "linker_memory_list",
      title: "List shared memory",
      description: "List keys of shared memory under a prefix, in key order, with values and revisions.",
      input: {
        prefix: z.string().default("").describe("Key prefix, e.g. decisions/"),
        limit: z.number().int().min(1).max(200).default(50).describe("At most this many"),
        page_token: z.string().optional().describe("next_page_token from a previous call"),
      },
      output: { entries: z.array(memoryView).describe("Entries in key order"), next_page_token: z.string().describe('"" at the end') },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      const page = await deps.client.listMemory({ prefix: args.prefix, pageSize: args.limit, pageToken: args.page_token ?? "" });
      const lines = page.entries.map((e) => `${e.key} = ${e.value.length > 120 ? `${e.value.slice(0, 117)}...` : e.value} (rev ${e.revision})`);
      return {
        text: `${lines.length > 0 ? lines.join("\n") : "No keys."}${page.nextPageToken ? `\n(more: page_token ${page.nextPageToken})` : ""}`,
        structured: { entries: page.entries.map(viewMemory), next_page_token: page.nextPageToken },
      };
    },
  );
  defineTool(
    server,
    deps,
    {
      name: "linker_memory_delete",
      title: "Delete shared memory",
      description: "Delete a key of shared memory, optionally only if it is still at the revision you read.",
      input: { key: z.string().describe("The key"), expected_revision: revision.optional() },
      output: { revision: z.string().describe("Revision of the delete") },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    async (args) => {
      const deleted = await deps.client.deleteMemory({ key: args.key, expectedRevision: args.expected_revision === undefined ? undefined : BigInt(args.expected_revision) });
      return { text: `${args.key} deleted.`, structured: { revision: String(deleted) } };
    },
  );
}
