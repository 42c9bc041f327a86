import { parseArgs } from "node:util";
import { join } from "node:path";
import { sessionHubKey } from "@linker/client/hub-key";
import { FileSessionStore } from "@linker/client/session-store";
import { readStdin } from "../read-stdin.js";
import { resolveSettings, type Settings } from "../settings.js";
import { connectJsonClient, ConnectJsonError, postJson } from "./connect-json.js";
import { hookContext, type JsonMessage } from "./hook-context.js";

/** Claude Code hook events whose output may carry `additionalContext`. */
export const HOOK_EVENTS = ["UserPromptSubmit", "PostToolUse", "SessionStart"] as const;

/** What `linker hook` is told on its command line. */
export interface HookOptions {
  /** The hook event (default: hook_event_name from stdin, else UserPromptSubmit). */
  event?: string;
  /** Leave the messages unread. */
  peek?: boolean;
  /** At most this many messages (1-100). */
  limit: number;
  /** A remote hub's base URL whose /mcp endpoint holds the session (`linker init --http`). */
  http?: string;
}

/** One page of unread messages, however it was fetched. */
interface UnreadPage {
  messages: JsonMessage[];
  unreadCount: number;
}

/** How long to wait for Claude Code's JSON on stdin. */
const STDIN_WAIT_MS = 1_000;

/** How long one call to the hub may take before the hook gives up (it must never hold the session). */
const CALL_TIMEOUT_MS = 2_000;

/** What a hook needs from Claude Code's input: the event name. */
function hookEventOf(input: string | undefined): string | undefined {
  if (!input || input.trim() === "") return undefined;
  try {
    const value = JSON.parse(input) as { hook_event_name?: unknown };
    return typeof value.hook_event_name === "string" ? value.hook_event_name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `linker hook`: prints the unread messages of this instance as Claude Code
 * hook output (additionalContext) and marks them read. It acts with the
 * session stored for the name, the one `linker mcp` of the same name and
 * home stores, and never registers: with no stored session there is nothing
 * to show (with `http`, the remote hub's MCP endpoint holds that session).
 * One Connect JSON call to list, one to acknowledge; a refused connection
 * ends it at once. It never fails the session: problems go to
 * stderr and the exit status stays 0.
 */
export async function runHook(settings: Settings, options: HookOptions): Promise<void> {
  try {
    const event = options.event ?? hookEventOf(await readStdin(STDIN_WAIT_MS)) ?? "UserPromptSubmit";
    if (!(HOOK_EVENTS as readonly string[]).includes(event)) {
      process.stderr.write(`linker hook: ${event} hooks cannot add context; nothing to do\n`);
      return;
    }
    const page = options.http ? await unreadOverHttp(settings, options, options.http) : await unreadWithStoredSession(settings, options);
    if (!page || page.messages.length === 0) return;
    const additionalContext = hookContext(settings.name, page.messages, page.unreadCount - page.messages.length, !options.peek);
    process.stdout.write(`${JSON.stringify({ hookSpecificOutput: { hookEventName: event, additionalContext } })}\n`);
  } catch (err) {
    const unknownSession = err instanceof ConnectJsonError && err.code === "unauthenticated";
    const reason = unknownSession
      ? `the hub does not know the session stored for "${settings.name}"; its MCP server registers it again when it reconnects`
      : err instanceof Error
        ? err.message
        : String(err);
    process.stderr.write(`linker hook: ${reason}\n`);
  }
}

/** The unread messages, acknowledged unless peeking, with the session stored for the name; undefined without one. */
async function unreadWithStoredSession(settings: Settings, options: HookOptions): Promise<UnreadPage | undefined> {
  const store = new FileSessionStore(join(settings.home, "sessions"));
  const session = await store.load(sessionHubKey(settings.hubs, settings.home), settings.name);
  if (!session) return undefined;
  let lastError: unknown;
  for (const hub of settings.hubs) {
    const client = connectJsonClient(hub, { token: session.token, timeoutMs: CALL_TIMEOUT_MS });
    try {
      const page = (await client.call("ListMessages", { unreadOnly: true, limit: options.limit })) as { messages?: JsonMessage[]; unreadCount?: number };
      const messages = page.messages ?? [];
      if (messages.length > 0 && !options.peek) await client.call("Ack", { messageIds: messages.map((m) => m.id) });
      return { messages, unreadCount: page.unreadCount ?? 0 };
    } catch (err) {
      lastError = err;
      if (!(err instanceof ConnectJsonError && err.unreachable)) break;
    } finally {
      client.close();
    }
  }
  throw lastError;
}

/** The same through a remote hub's MCP endpoint, which holds the session of an HTTP MCP server (`linker init --http`). */
async function unreadOverHttp(settings: Settings, options: HookOptions, base: string): Promise<UnreadPage> {
  const headers: Record<string, string> = { "x-linker-name": settings.name, ...(settings.credential ? { authorization: `Bearer ${settings.credential}` } : {}) };
  const page = (await postJson({ url: `${base.replace(/\/+$/, "")}/mcp/hook`, headers, timeoutMs: CALL_TIMEOUT_MS, what: "hook" }, { limit: options.limit, peek: options.peek ?? false })) as {
    messages?: JsonMessage[];
    unreadCount?: number;
  };
  return { messages: page.messages ?? [], unreadCount: page.unreadCount ?? 0 };
}

/** Runs `linker hook <args>` without loading the rest of the command line (Claude Code runs it on every hook). */
export async function runHookCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: "string", short: "n" },
      hub: { type: "string" },
      home: { type: "string" },
      "auto-hub": { type: "boolean" },
      "no-auto-hub": { type: "boolean" },
      json: { type: "boolean" },
      description: { type: "string" },
      event: { type: "string" },
      peek: { type: "boolean" },
      limit: { type: "string" },
      http: { type: "string" },
    },
  });
  let settings: Settings;
  let limit = 20;
  try {
    settings = resolveSettings({ name: values.name, hub: values.hub, home: values.home });
    if (values.limit !== undefined) {
      limit = Number(values.limit);
      if (!/^\d+$/.test(values.limit) || limit < 1 || limit > 100) throw new Error(`--limit ${values.limit}: expected a whole number from 1 to 100`);
    }
  } catch (err) {
    process.stderr.write(`linker hook: ${err instanceof Error ? err.message : String(err)}\n`);
    return;
  }
  await runHook(settings, { event: values.event, peek: values.peek, limit, http: values.http });
}
