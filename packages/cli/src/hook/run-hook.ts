import { parseArgs } from "node:util";
import { join } from "node:path";
import { sessionHubKey } from "@linker/client/hub-key";
import { FileSessionStore } from "@linker/client/session-store";
import { readStdin } from "../read-stdin.js";
import { resolveSettings, type Settings } from "../settings.js";
import { connectJsonClient, ConnectJsonError, postJson } from "./connect-json.js";
import { hookContext, type JsonMessage } from "./hook-context.js";
import { parseHookInput } from "./hook-input.js";
import { PresentedLedger, type PresentingPath } from "./presented-ledger.js";

/** Claude Code hook events `linker hook` answers: context on the first three, a drain on Stop. */
export const HOOK_EVENTS = ["UserPromptSubmit", "PostToolUse", "SessionStart", "Stop"] as const;

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
  /** Wait in the background for a message and wake the session with it (an `asyncRewake` hook on SessionStart and Stop). */
  rewake?: boolean;
  /** How long a rewake waiter waits at most. */
  waitSeconds?: number;
}

/** Unread messages this run presents, however they were fetched. */
interface UnreadPage {
  /** The messages to show (claimed for this path, acknowledged unless peeking). */
  messages: JsonMessage[];
  /** Unread messages on the hub before these were acknowledged. */
  unreadCount: number;
}

/** How long to wait for Claude Code's JSON on stdin. */
const STDIN_WAIT_MS = 1_000;

/** How long one call to the hub may take before the hook gives up (it must never hold the session). */
const CALL_TIMEOUT_MS = 2_000;

/** Unread messages listed per run; those another path presented already are skipped. */
const LIST_LIMIT = 100;

/** What the model is told when the Stop hook holds the turn open. */
const DRAIN_NOTE = "Handle these before you end your turn (answer a question with linker_reply); they arrived while you worked.";

/** The ledger of presented messages for this run's name and hub. */
function ledgerOf(settings: Settings, options: HookOptions): PresentedLedger {
  const hubs = options.http ? [options.http] : settings.hubs;
  return PresentedLedger.of(settings.home, sessionHubKey(hubs, settings.home), settings.name);
}

/**
 * `linker hook`: prints the unread messages of this instance as Claude Code
 * hook output and marks them read: as `additionalContext` on
 * UserPromptSubmit, PostToolUse and SessionStart, and on Stop as a block
 * with the messages as its reason, once (never while the session already
 * continues because of a Stop hook), so the turn goes on until they are
 * handled, in `-p` runs too. A message another path already presented to
 * the model (the plugin monitor, the bridge, an earlier hook) is skipped.
 * It acts with the session stored for the name, the one `linker mcp` of
 * the same name and home stores, and never registers (with `http`, the
 * remote hub's MCP endpoint holds that session). With `rewake` it waits for
 * a message instead (rewake.ts). It never fails the session: problems go to
 * stderr and the result is exit status 0 (2 only when a rewake waiter wakes it).
 */
export async function runHook(settings: Settings, options: HookOptions): Promise<number> {
  try {
    const input = parseHookInput(await readStdin(STDIN_WAIT_MS));
    const event = options.event ?? input.event ?? "UserPromptSubmit";
    if (options.rewake) {
      const { runRewake } = await import("./rewake.js");
      return await runRewake(settings, { limit: options.limit, waitSeconds: options.waitSeconds ?? DEFAULT_WAIT_SECONDS, http: options.http }, input, ledgerOf(settings, options));
    }
    if (!(HOOK_EVENTS as readonly string[]).includes(event)) {
      process.stderr.write(`linker hook: ${event} hooks cannot add context; nothing to do\n`);
      return 0;
    }
    // A Stop hook blocks once: the turn it extended ends however it went.
    if (event === "Stop" && input.stopHookActive) return 0;
    const ledger = ledgerOf(settings, options);
    const by = event === "Stop" ? "drain" : "hook";
    const page = options.http ? await unreadOverHttp(settings, options, options.http, ledger, by) : await unreadWithStoredSession(settings, options, ledger, by);
    if (!page || page.messages.length === 0) return 0;
    const context = hookContext(settings.name, page.messages, page.unreadCount - page.messages.length, !options.peek);
    const output = event === "Stop" ? { decision: "block", reason: `${context}\n${DRAIN_NOTE}` } : { hookSpecificOutput: { hookEventName: event, additionalContext: context } };
    await new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(output)}\n`, () => resolve()));
    if (!options.peek) for (const message of page.messages) await ledger.presented(message.id ?? "");
  } catch (err) {
    process.stderr.write(`linker hook: ${hookFailure(settings, err)}\n`);
  }
  return 0;
}

/** Why a hook had nothing to show, in words. */
export function hookFailure(settings: Settings, err: unknown): string {
  if (err instanceof ConnectJsonError && err.code === "unauthenticated") {
    return `the hub does not know the session stored for "${settings.name}"; its MCP server registers it again when it reconnects`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Keeps the messages no other path presented: claims them for `by` (when
 * not peeking), at most `limit`.
 */
async function unpresented(messages: JsonMessage[], options: HookOptions, ledger: PresentedLedger, by: PresentingPath): Promise<JsonMessage[]> {
  const fresh: JsonMessage[] = [];
  for (const message of messages) {
    if (fresh.length >= options.limit) break;
    const id = message.id ?? "";
    const take = options.peek ? !(await ledger.claimed(id)) : await ledger.claim(id, by);
    if (take) fresh.push(message);
  }
  return fresh;
}

/** The unread messages no other path presented, acknowledged unless peeking, with the session stored for the name; undefined without one. */
async function unreadWithStoredSession(settings: Settings, options: HookOptions, ledger: PresentedLedger, by: PresentingPath): Promise<UnreadPage | undefined> {
  const store = new FileSessionStore(join(settings.home, "sessions"));
  const session = await store.load(sessionHubKey(settings.hubs, settings.home), settings.name);
  if (!session) return undefined;
  let lastError: unknown;
  for (const hub of settings.hubs) {
    const client = connectJsonClient(hub, { token: session.token, timeoutMs: CALL_TIMEOUT_MS, ca: settings.ca });
    try {
      const page = (await client.call("ListMessages", { unreadOnly: true, limit: LIST_LIMIT })) as { messages?: JsonMessage[]; unreadCount?: number };
      const messages = await unpresented(page.messages ?? [], options, ledger, by);
      if (messages.length > 0 && !options.peek) {
        try {
          await client.call("Ack", { messageIds: messages.map((m) => m.id) });
        } catch (err) {
          for (const message of messages) await ledger.release(message.id ?? "");
          throw err;
        }
      }
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

/** The same through a remote hub's MCP endpoint, which holds the session of an HTTP MCP server (`linker init --http`); it marks what it returns read. */
async function unreadOverHttp(settings: Settings, options: HookOptions, base: string, ledger: PresentedLedger, by: PresentingPath): Promise<UnreadPage> {
  const headers: Record<string, string> = { "x-linker-name": settings.name, ...(settings.credential ? { authorization: `Bearer ${settings.credential}` } : {}) };
  const page = (await postJson({ url: `${base.replace(/\/+$/, "")}/mcp/hook`, headers, timeoutMs: CALL_TIMEOUT_MS, what: "hook", ca: settings.ca }, { limit: options.limit, peek: options.peek ?? false })) as {
    messages?: JsonMessage[];
    unreadCount?: number;
  };
  return { messages: await unpresented(page.messages ?? [], options, ledger, by), unreadCount: page.unreadCount ?? 0 };
}

/** Runs `linker hook <args>` without loading the rest of the command line (Claude Code runs it on every hook); resolves with the exit status. */
export async function runHookCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: "string", short: "n" },
      hub: { type: "string" },
      home: { type: "string" },
      ca: { type: "string" },
      "auto-hub": { type: "boolean" },
      "no-auto-hub": { type: "boolean" },
      json: { type: "boolean" },
      description: { type: "string" },
      event: { type: "string" },
      peek: { type: "boolean" },
      limit: { type: "string" },
      http: { type: "string" },
      rewake: { type: "boolean" },
      "wait-seconds": { type: "string" },
    },
  });
  let settings: Settings;
  let limit = 20;
  let waitSeconds: number | undefined;
  try {
    settings = resolveSettings({ name: values.name, hub: values.hub, home: values.home, ca: values.ca });
    if (values.limit !== undefined) limit = wholeNumber("--limit", values.limit, 1, 100);
    if (values["wait-seconds"] !== undefined) waitSeconds = wholeNumber("--wait-seconds", values["wait-seconds"], 1, MAX_WAIT_SECONDS);
  } catch (err) {
    process.stderr.write(`linker hook: ${err instanceof Error ? err.message : String(err)}\n`);
    return 0;
  }
  return runHook(settings, { event: values.event, peek: values.peek, limit, http: values.http, rewake: values.rewake, waitSeconds });
}

/** Longest wait of a rewake waiter: a day. */
export const MAX_WAIT_SECONDS = 86_400;

/** Default longest wait of a rewake waiter: an hour. */
export const DEFAULT_WAIT_SECONDS = 3_600;

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new Error(`${flag} ${text}: expected a whole number from ${min} to ${max}`);
  return value;
}
