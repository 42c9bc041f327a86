import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A content block of a Messages API request, as Claude Code sends it. */
export interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: string | ContentBlock[];
  is_error?: boolean;
  [key: string]: unknown;
}

/** One message of a request's conversation. */
export interface ModelMessage {
  role: "user" | "assistant";
  content: string | ContentBlock[];
}

/** A request Claude Code made to the model: what the model saw. */
export interface ModelRequest {
  /** The session tag: the first path segment of ANTHROPIC_BASE_URL (each session gets its own). */
  session: string;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** The request path after the tag, e.g. /v1/messages. */
  path: string;
  /** The parsed body. */
  body: {
    model?: string;
    stream?: boolean;
    system?: string | ContentBlock[];
    messages?: ModelMessage[];
    tools?: Array<{ name: string; description?: string; [key: string]: unknown }>;
    [key: string]: unknown;
  };
}

/** What the scripted model answers: a text (ends the turn) or a tool call. */
export type ModelReply = { text: string } | { tool: string; input: Record<string, unknown> };

/** Decides the model's reply from the request itself (never from a call count). */
export type ModelScript = (request: ModelRequest) => ModelReply | Promise<ModelReply>;

/** A running scripted model endpoint. */
export interface ModelEndpoint {
  /** Base URL for a session: point ANTHROPIC_BASE_URL at it. */
  urlFor(session: string): string;
  /** Every request received, in order. */
  readonly requests: ModelRequest[];
  /** The Messages API requests of one session. */
  messagesOf(session: string): ModelRequest[];
  /** Replaces the script of one session (the default script answers "ok"). */
  script(session: string, script: ModelScript): void;
  /** Stops the server. */
  close(): Promise<void>;
}

/** The text of a tool_result or text block, whatever its content shape. */
export function blockText(block: ContentBlock): string {
  if (typeof block.content === "string") return block.content;
  if (Array.isArray(block.content)) return block.content.map(blockText).join("\n");
  if (block.type === "tool_reference" && typeof block.tool_name === "string") return block.tool_name;
  return block.text ?? "";
}

/** Every content block of a request's conversation, oldest first. */
export function blocksOf(request: ModelRequest): Array<ContentBlock & { role: string }> {
  return (request.body.messages ?? []).flatMap((message) =>
    typeof message.content === "string" ? [{ type: "text", text: message.content, role: message.role }] : message.content.map((block) => ({ ...block, role: message.role })),
  );
}

/** The last message of the request's conversation. */
export function lastMessage(request: ModelRequest): ModelMessage | undefined {
  const messages = request.body.messages ?? [];
  return messages[messages.length - 1];
}

/** The tool results in the last (user) message, with the name of the tool each answers. */
export function latestToolResults(request: ModelRequest): Array<{ tool: string; text: string; isError: boolean }> {
  const messages = request.body.messages ?? [];
  const last = messages[messages.length - 1];
  if (!last || last.role !== "user" || typeof last.content === "string") return [];
  const uses = new Map<string, string>();
  for (const message of messages) {
    if (message.role === "assistant" && typeof message.content !== "string") {
      for (const block of message.content) if (block.type === "tool_use" && block.id && block.name) uses.set(block.id, block.name);
    }
  }
  return last.content
    .filter((block) => block.type === "tool_result")
    .map((block) => ({ tool: uses.get(block.tool_use_id ?? "") ?? "?", text: blockText(block), isError: block.is_error === true }));
}

/** Every tool result of the conversation so far, oldest first. */
export function allToolResults(request: ModelRequest): Array<{ tool: string; text: string }> {
  const uses = new Map<string, string>();
  const results: Array<{ tool: string; text: string }> = [];
  for (const block of blocksOf(request)) {
    if (block.type === "tool_use" && block.id && block.name) uses.set(block.id, block.name);
    if (block.type === "tool_result") results.push({ tool: uses.get(block.tool_use_id ?? "") ?? "?", text: blockText(block) });
  }
  return results;
}

/** All the text the model was shown in a request: system prompt, messages, tool results. */
export function seenText(request: ModelRequest): string {
  const system = typeof request.body.system === "string" ? request.body.system : (request.body.system ?? []).map(blockText).join("\n");
  return [system, ...blocksOf(request).map((block) => (block.type === "tool_use" ? JSON.stringify(block.input) : blockText(block)))].join("\n");
}

/**
 * Calls an MCP tool the way Claude Code 2.1.33x needs: its MCP tools are
 * deferred behind ToolSearch, so until the tool is offered in the request the
 * model first selects it with ToolSearch.
 */
export function callTool(request: ModelRequest, tool: string, input: Record<string, unknown>): ModelReply {
  const offered = (request.body.tools ?? []).some((t) => t.name === tool);
  const searched = allToolResults(request).some((result) => result.tool === "ToolSearch" && result.text.includes(tool));
  if (!offered && !searched && (request.body.tools ?? []).some((t) => t.name === "ToolSearch")) {
    return { tool: "ToolSearch", input: { query: `select:${tool}`, max_results: 1 } };
  }
  return { tool, input };
}

/** The SSE events of one streamed reply. */
function streamEvents(reply: ModelReply, model: string): Array<[string, unknown]> {
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const events: Array<[string, unknown]> = [
    ["message_start", { type: "message_start", message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage } }],
  ];
  if ("text" in reply) {
    events.push(
      ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: reply.text } }],
    );
  } else {
    const toolId = `toolu_${Math.random().toString(36).slice(2)}`;
    events.push(
      ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: toolId, name: reply.tool, input: {} } }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: JSON.stringify(reply.input) } }],
    );
  }
  events.push(
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["message_delta", { type: "message_delta", delta: { stop_reason: "text" in reply ? "end_turn" : "tool_use", stop_sequence: null }, usage: { output_tokens: 5 } }],
    ["message_stop", { type: "message_stop" }],
  );
  return events;
}

/** The same reply as one JSON message (non-streaming requests: titles, side calls). */
function messageBody(reply: ModelReply, model: string): unknown {
  const content = "text" in reply ? [{ type: "text", text: reply.text }] : [{ type: "tool_use", id: `toolu_${Date.now()}`, name: reply.tool, input: reply.input }];
  return {
    id: `msg_${Date.now()}`,
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: "text" in reply ? "end_turn" : "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5 },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = "";
  req.setEncoding("utf8");
  for await (const chunk of req) text += chunk;
  return text;
}

/**
 * A scripted model endpoint on 127.0.0.1 (port 0): answers Claude Code's
 * Messages API requests (SSE when `stream` is set) with what each session's
 * script decides from the request itself, answers token counting and other
 * side calls with something simple, and records every request: that is what
 * the model saw.
 */
export async function startModelEndpoint(): Promise<ModelEndpoint> {
  const requests: ModelRequest[] = [];
  const scripts = new Map<string, ModelScript>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://model");
    const [, session = "", ...rest] = url.pathname.split("/");
    const path = `/${rest.join("/")}`;
    const text = await readBody(req);
    let body: ModelRequest["body"] = {};
    try {
      body = text ? (JSON.parse(text) as ModelRequest["body"]) : {};
    } catch {
      body = {};
    }
    const request: ModelRequest = { session, at: Date.now(), path, body };
    requests.push(request);
    if (path.endsWith("/count_tokens")) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ input_tokens: 100 }));
      return;
    }
    if (!path.startsWith("/v1/messages")) {
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      return;
    }
    const model = body.model ?? "claude-sonnet-4-5";
    // Side calls (titles, summaries) come without tools; the script only sees the session's real turns.
    const script = scripts.get(session);
    const reply: ModelReply = script && (body.tools?.length ?? 0) > 0 ? await script(request) : { text: "ok" };
    if (body.stream) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      for (const [event, data] of streamEvents(reply, model)) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      res.end();
    } else {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(messageBody(reply, model)));
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ type: "error", error: { type: "api_error", message: String(err) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    urlFor: (session) => `http://127.0.0.1:${port}/${session}`,
    requests,
    messagesOf: (session) => requests.filter((r) => r.session === session && r.path.startsWith("/v1/messages") && !r.path.endsWith("/count_tokens")),
    script: (session, script) => scripts.set(session, script),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
