import type { FuzzContext } from "../fuzz-context.js";
import type { FuzzRequest } from "../http-exchange.js";
import { randomJson } from "../message-generator.js";
import { mutateJson } from "../mutate.js";
import type { Random } from "../random.js";

const TOOLS = [
  "linker_register",
  "linker_send_message",
  "linker_broadcast",
  "linker_get_messages",
  "linker_list_instances",
  "linker_get_conversation",
  "linker_ask",
  "linker_reply",
  "linker_mark_read",
  "linker_set_status",
  "linker_memory_get",
  "linker_memory_put",
  "linker_memory_list",
  "linker_memory_delete",
  "linker_task_create",
  "linker_task_list",
  "linker_task_claim",
  "linker_task_update",
  "linker_task_cancel",
  "no_such_tool",
];
const ARGUMENT_NAMES = ["to", "message", "body", "key", "value", "id", "task_id", "name", "status", "expected_revision", "timeout_ms", "title", "assignee", "prefix", "limit", "thread_id"];

function toolArguments(random: Random): unknown {
  if (random.chance(0.1)) return randomJson(random, random.chance(0.2) ? 60 : 3);
  const args: Record<string, unknown> = {};
  for (let i = random.int(5); i > 0; i--) {
    args[random.pick(ARGUMENT_NAMES)] = random.chance(0.6) ? random.pick(["fuzz-peer", "fuzz-agent", "", "x".repeat(300), "k/1", "1", "\u001b[2J"]) : randomJson(random, 2);
  }
  if (args.timeout_ms !== undefined || random.chance(0.5)) args.timeout_ms = 1;
  return args;
}

/** The MCP endpoint: JSON-RPC messages (tool calls, lists, malformed ones) in open sessions and outside any. */
export function mcpRequest(random: Random, ctx: FuzzContext): FuzzRequest {
  const headers: Record<string, string> = { "content-type": random.chance(0.95) ? "application/json" : "text/plain", accept: random.chance(0.9) ? "application/json, text/event-stream" : "text/html" };
  const inSession = random.chance(0.85);
  if (inSession) {
    headers["mcp-session-id"] = random.chance(0.97) ? random.pick(ctx.mcpSessions) : "00000000-0000-0000-0000-000000000000";
    headers["mcp-protocol-version"] = random.chance(0.9) ? "2025-03-26" : random.pick(["1999-01-01", "x"]);
  } else if (random.chance(0.5)) {
    headers["x-linker-name"] = random.pick(["fuzz-agent", "fuzz-mcp", "", "..", "a".repeat(70), "bad name"]);
    if (random.chance(0.5)) headers.authorization = random.pick([`Bearer ${ctx.adminKey}`, "Bearer lk_short", `Bearer lk_${"q".repeat(43)}`, "Bearer secret"]);
  }
  const id = random.chance(0.9) ? random.int(1_000_000) : random.pick([null, "str", -1, 1e308, {}]);
  const method = random.pick(["tools/call", "tools/call", "tools/call", "tools/list", "initialize", "ping", "resources/list", "notifications/initialized", "nope", ""]);
  const message: Record<string, unknown> = { jsonrpc: random.chance(0.95) ? "2.0" : "1.0", id, method };
  if (method === "tools/call") message.params = { name: random.pick(TOOLS), arguments: toolArguments(random) };
  else if (method === "initialize") message.params = { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "fuzz", version: "1" } };
  else if (random.chance(0.3)) message.params = randomJson(random, 3);
  let text = JSON.stringify(random.chance(0.05) ? [message, message] : message);
  text = mutateJson(random, text);
  const verb = random.chance(0.95) ? "POST" : "GET";
  // A GET in a session opens its server-sent event stream, which stays open.
  return { openEnded: verb === "GET", surface: "mcp", method: verb, path: random.chance(0.97) ? "/mcp" : random.pick(["/mcp?name=fuzz-q", "/mcp/", "/MCP"]), headers, body: verb === "POST" ? Buffer.from(text) : new Uint8Array(), http: "1.1" };
}
