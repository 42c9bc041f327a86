import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { allToolResults, blocksOf, blockText, callTool, type ModelReply, type ModelRequest, runLinker, type SessionHome } from "./harness.js";

/** Names listed online by the linker CLI (an open read: registers nothing). */
export async function onlineNames(where: SessionHome, hub: string): Promise<string[]> {
  const run = await runLinker(where, ["--hub", hub, "--json", "ls", "--online"]);
  return run.code === 0 ? ((JSON.parse(run.stdout) as { instances?: Array<{ name: string }> }).instances ?? []).map((i) => i.name) : [];
}

/** Every monitor event (`<event>…</event>` of a task notification) the conversation of `request` holds, oldest first. */
export function monitorEvents(request: ModelRequest): string[] {
  return blocksOf(request).flatMap((block) => [...blockText(block).matchAll(/<task-notification>[^]*?<event>([^]*?)<\/event>/g)].map((match) => match[1]));
}

/**
 * How many times `needle` occurs in the user turns of the conversation of
 * `request` (prompts, tool results, hook output, notifications). Claude Code
 * repeats a Stop hook's feedback in a system turn of its own; one delivery
 * counts once.
 */
export function occurrences(request: ModelRequest, needle: string): number {
  return blocksOf(request)
    .filter((block) => block.role === "user" && block.type !== "tool_use")
    .reduce((count, block) => count + blockText(block).split(needle).length - 1, 0);
}

/** The text of the newest user turn of a request (what woke the model, or the last tool results); system turns after it are skipped. */
export function lastUserText(request: ModelRequest): string {
  const messages = (request.body.messages ?? []).filter((message) => (message.role as string) !== "system");
  const last = messages[messages.length - 1];
  if (!last || last.role !== "user") return "";
  return typeof last.content === "string" ? last.content : last.content.map(blockText).join("\n");
}

/** A script step: the tool and its input, or undefined to go on to the next rule. */
export type ScriptRule = (request: ModelRequest) => ModelReply | undefined;

/** A script made of rules tried in order; the first that answers wins, else the turn ends with `fallback`. */
export function rules(fallback: string, ...steps: ScriptRule[]): (request: ModelRequest) => ModelReply {
  return (request) => {
    for (const step of steps) {
      const reply = step(request);
      if (reply) return reply;
    }
    return { text: fallback };
  };
}

/** True when the conversation already has a result of `tool`. */
export function called(request: ModelRequest, tool: string): boolean {
  return allToolResults(request).some((result) => result.tool === tool);
}

/** Calls `tool` (through ToolSearch when it is deferred). */
export function use(request: ModelRequest, tool: string, input: Record<string, unknown>): ModelReply {
  return callTool(request, tool, input);
}

/** The session records of a scratch HOME's Claude Code (`~/.claude/sessions/<pid>.json`), parsed. */
export function sessionRecords(where: SessionHome): Array<Record<string, unknown>> {
  const dir = join(where.home, ".claude", "sessions");
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => /^\d+\.json$/.test(name))
    .flatMap((name) => {
      try {
        return [JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Pids of the `linker … <command>` processes that run with `--hub <url>` (a session's MCP server, its monitor). */
export function linkerProcessesOn(url: string, command: "mcp" | "watch"): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const args = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").filter(Boolean);
        return args[args.length - 1] === command && args.some((arg, i) => arg === "--hub" && args[i + 1] === url);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Pids of the `linker … mcp` servers on `url` (the sessions' MCP servers on that hub). */
export function mcpServersOn(url: string): number[] {
  return linkerProcessesOn(url, "mcp");
}

/**
 * Runs `work` (a hub restart) with the MCP servers on `url` paused
 * (SIGSTOP, then SIGCONT), so none of them takes the hub over meanwhile:
 * without it, whichever binds the port first would serve, and the test
 * would not know whether it saw a restart or a takeover.
 */
export async function withoutTakeover<T>(url: string, work: () => Promise<T>): Promise<T> {
  const pids = mcpServersOn(url);
  if (pids.length === 0) throw new Error(`no MCP server runs on ${url}`);
  for (const pid of pids) process.kill(pid, "SIGSTOP");
  try {
    return await work();
  } finally {
    for (const pid of pids) process.kill(pid, "SIGCONT");
  }
}

/**
 * Notes how long a push path took from the send to the model request that
 * carried the message, when LINKER_E2E_TIMINGS is set (figures for the
 * record, never asserted).
 */
export function timing(path: string, sentAt: number, request: ModelRequest | undefined, sendEndedAt?: number): void {
  if (!process.env.LINKER_E2E_TIMINGS || !request) return;
  const after = sendEndedAt === undefined ? "" : ` (${request.at - sendEndedAt} ms after \`linker send\` returned)`;
  process.stdout.write(`[timing] ${path}: ${request.at - sentAt} ms from the send to the model${after}\n`);
}

/** The last request of a session (its whole conversation). */
export function last(requests: ModelRequest[]): ModelRequest {
  return requests[requests.length - 1];
}
