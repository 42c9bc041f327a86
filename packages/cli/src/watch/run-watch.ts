import { setTimeout as sleep } from "node:timers/promises";
import { Backoff, LinkerClient, sessionHubKey } from "@linker/client";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { clientOptions } from "../connect.js";
import { PresentedLedger } from "../hook/presented-ledger.js";
import { processAlive } from "../process-alive.js";
import { describeError } from "../report-error.js";
import type { Settings } from "../settings.js";
import { Announcer } from "./announcer.js";
import type { WatchBridge } from "./watch-bridge.js";
import { WatchSessionStore } from "./watch-session-store.js";

/** Claims older than this are dropped at start (the hub's default retention of read messages). */
const CLAIM_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** How often the watch checks that the Claude Code process it belongs to is still there. */
const PARENT_CHECK_MS = 2_000;

/** What `linker watch` is told. */
export interface WatchOptions {
  /** Builds the bridge into Claude Code's own messaging, when it is turned on. */
  bridge?: (client: LinkerClient) => Promise<WatchBridge | undefined>;
}

/** Writes one line to stdout; rejects when nobody reads it any more. */
function writeLine(line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`${line}\n`, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * `linker watch`: prints one short, safe line per message that arrives for
 * this instance, for as long as it runs (a Claude Code plugin monitor, whose
 * every line wakes an idle session). It acts with the session its MCP
 * server and hooks share, resumes from its own cursor after a restart, rides
 * out hub restarts and takeovers, announces each message once across the
 * monitor, the hooks and the bridge, and never gives up on the hub: it
 * stops only when told to, when nobody reads its output, or when the
 * Claude Code process that started it ($CLAUDE_PID) is gone.
 */
export async function runWatch(settings: Settings, options: WatchOptions = {}): Promise<void> {
  const note = (line: string) => process.stderr.write(`linker watch: ${line}\n`);
  const hubKey = sessionHubKey(settings.hubs, settings.home);
  const ledger = PresentedLedger.of(settings.home, hubKey, settings.name);
  await ledger.sweep(CLAIM_RETENTION_MS);
  const client = new LinkerClient({
    ...clientOptions(settings, {
      subscribe: true,
      eventTypes: [EventType.MESSAGE, ...(options.bridge ? [EventType.PRESENCE] : [])],
      autoHub: settings.autoHub ?? false,
      connectRetryMs: 10_000,
      retryBudgetMs: 30_000,
      maxRetryDelayMs: 3_000,
    }),
    sessions: new WatchSessionStore(settings.home),
  });

  let stopping = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const stop = (why?: string) => {
    if (stopping) return;
    stopping = true;
    if (why) note(why);
    wake();
  };
  const announcer = new Announcer(ledger, (line) => writeLine(line));
  let bridge: WatchBridge | undefined;
  // With the bridge on, messages wait until it knows which agents it shows (it is built once the stream is up).
  let bridgeBuilt = !options.bridge;
  let bridgeReady: () => void = () => undefined;
  const bridging = bridgeBuilt ? Promise.resolve() : new Promise<void>((resolve) => (bridgeReady = resolve));
  let queue = Promise.resolve();
  const present = (message: Message) => announcer.announce(message);
  const handle = async (message: Message) => {
    if (message.readAt) return;
    if (bridge?.handles(message) && (await bridge.deliver(message))) return;
    await present(message);
  };
  client.on("message", ({ message }) => {
    queue = queue
      .then(() => bridging)
      .then(() => handle(message))
      .catch((err: unknown) => stop(`cannot write to the session (${describeError(err).message}); stopping`));
  });
  client.on("presence", ({ change }) => bridge?.presenceChanged(change));
  client.on("disconnected", ({ error }) => note(`lost the hub (${describeError(error).message}); reconnecting`));
  client.on("recovered", ({ url, hubChanged }) => note(`back on ${url}${hubChanged ? " (a new hub)" : ""}`));
  let failed = false;
  client.on("error", ({ error }) => {
    note(`the stream stopped (${describeError(error).message}); starting over`);
    failed = true;
  });

  process.once("SIGTERM", () => stop());
  process.once("SIGINT", () => stop());
  process.stdout.once("error", () => stop("nobody reads the output any more; stopping"));
  const parent = Number(process.env.CLAUDE_PID);
  const watchdog = Number.isInteger(parent) && parent > 1 ? setInterval(() => processAlive(parent) || stop(`Claude Code (pid ${parent}) is gone; stopping`), PARENT_CHECK_MS) : undefined;
  watchdog?.unref();

  const backoff = new Backoff({ initialMs: 500, maxMs: 5_000 });
  try {
    while (!stopping) {
      try {
        failed = false;
        await Promise.race([client.connect(), stopped]);
        if (stopping) break;
        backoff.reset();
        note(`announcing messages for "${settings.name}" from ${client.hubUrl}`);
        if (!bridgeBuilt) {
          bridge = await options.bridge?.(client).catch((err: unknown) => {
            note(`the bridge stays off: ${describeError(err).message}`);
            return undefined;
          });
          bridgeBuilt = true;
          bridgeReady();
        }
        while (!stopping && !failed) await Promise.race([stopped, sleep(1_000)]);
      } catch (err) {
        if (stopping) break;
        note(`no hub yet (${describeError(err).message}); trying again`);
      }
      if (!stopping) await Promise.race([stopped, sleep(backoff.next())]);
    }
  } finally {
    if (watchdog) clearInterval(watchdog);
    announcer.stop();
    await bridge?.close();
    await client.close();
  }
}
