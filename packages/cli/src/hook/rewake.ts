import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { toJson } from "@bufbuild/protobuf";
import { Backoff, LinkerClient } from "@linker/client";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type Message, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { clientOptions } from "../connect.js";
import { processAlive } from "../process-alive.js";
import type { Settings } from "../settings.js";
import { hookContext, type JsonMessage } from "./hook-context.js";
import type { HookInput } from "./hook-input.js";
import type { PresentedLedger } from "./presented-ledger.js";
import { WaiterSlot } from "./waiter-slot.js";

/** What a rewake waiter is told. */
export interface RewakeOptions {
  /** At most this many messages per wake. */
  limit: number;
  /** Longest wait. */
  waitSeconds: number;
  /** Set for a session held by a remote hub's /mcp endpoint, which a waiter cannot act for. */
  http?: string;
}

/** Exit status that makes Claude Code wake the session with the hook's stderr. */
const WAKE = 2;

/** How often a waiter checks that it is still the session's waiter. */
const SLOT_CHECK_MS = 500;

/** Messages that arrive together go out in one wake: the waiter waits this long after the first. */
const GATHER_MS = 300;

/** True when Claude Code runs without a terminal (`claude -p`): there an asyncRewake hook holds the run until it ends. */
function printMode(): boolean {
  return process.env.CLAUDE_CODE_ENTRYPOINT === "sdk-cli";
}

/**
 * `linker hook --rewake`: the waiter of an asyncRewake hook pair
 * (SessionStart arms it, Stop re-arms it after every turn). It takes the
 * session's one waiter slot, follows the instance's event stream (riding
 * out hub restarts and takeovers), and as soon as a message arrives that no
 * other path presented, claims it, writes it to stderr in the untrusted
 * envelope, marks it read and exits 2: Claude Code wakes the idle session
 * with it. It ends with 0 and says nothing when the wait runs out, when a
 * newer waiter replaces it, when the Claude Code process is gone, or under
 * `claude -p` (where Claude Code would hold the run for it).
 */
export async function runRewake(settings: Settings, options: RewakeOptions, input: HookInput, ledger: PresentedLedger): Promise<number> {
  if (printMode()) return 0;
  if (options.http) {
    process.stderr.write("linker hook: --rewake needs the session of a local MCP server; with --http the Stop hook drains instead\n");
    return 0;
  }
  const deadline = Date.now() + options.waitSeconds * 1000;
  const slot = await WaiterSlot.take(join(settings.home, "waiters"), input.sessionId ?? process.env.CLAUDE_CODE_SESSION_ID ?? settings.name);
  const parent = Number(process.env.CLAUDE_PID);
  const client = new LinkerClient(
    clientOptions(settings, { subscribe: true, eventTypes: [EventType.MESSAGE], connectRetryMs: 10_000, retryBudgetMs: 20_000, maxRetryDelayMs: 3_000 }),
  );
  const found: Message[] = [];
  let first: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (first = resolve));
  let claiming = Promise.resolve();
  client.on("message", ({ message }) => {
    claiming = claiming
      .then(async () => {
        if (message.readAt || found.length >= options.limit) return;
        if (await ledger.claim(message.id, "rewake")) {
          found.push(message);
          first();
        }
      })
      .catch(() => undefined);
  });
  // The client reports a stream it cannot resume; the waiter connects again.
  let failed = false;
  client.on("error", () => (failed = true));

  const over = () => Date.now() >= deadline || (Number.isInteger(parent) && parent > 1 && !processAlive(parent));
  const backoff = new Backoff({ initialMs: 500, maxMs: 5_000 });
  try {
    let connected = false;
    while (found.length === 0 && !over()) {
      if (!(await slot.held())) return 0;
      if (!connected || failed) {
        failed = false;
        connected = await Promise.race([client.connect().then(() => true, () => false), arrived.then(() => true)]);
        if (!connected && found.length === 0) await Promise.race([sleep(backoff.next()), arrived]);
        continue;
      }
      await Promise.race([sleep(SLOT_CHECK_MS), arrived]);
    }
    if (found.length === 0) return 0;
    await Promise.race([sleep(GATHER_MS), claiming]);
    await claiming;
    const messages = found.map((message) => toJson(MessageSchema, message) as JsonMessage);
    await new Promise<void>((resolve) => process.stderr.write(`${hookContext(settings.name, messages, 0, true)}\n`, () => resolve()));
    for (const message of found) await ledger.presented(message.id);
    await client.ack({ messageIds: found.map((message) => message.id) }).catch(() => undefined);
    return WAKE;
  } finally {
    await slot.release();
    await client.close();
  }
}
