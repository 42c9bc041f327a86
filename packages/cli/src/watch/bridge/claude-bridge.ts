import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { toJson } from "@bufbuild/protobuf";
import { type LinkerClient, NAME_PATTERN, sessionHubKey } from "@linker/client";
import { formatPeerList } from "@linker/mcp/peer-text";
import type { PresenceChange } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type Instance } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { type Message, MessageKind, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type JsonMessage, peerFieldsOfJson } from "../../hook/hook-context.js";
import { PresentedLedger } from "../../hook/presented-ledger.js";
import type { Settings } from "../../settings.js";
import type { WatchBridge } from "../watch-bridge.js";
import { BridgedAgent } from "./bridged-agent.js";
import { BridgeOff, type ClaudeSession, findClaudeSession } from "./claude-session.js";
import type { PeerLine } from "./peer-socket.js";
import { deliverToSession } from "./session-delivery.js";

/** Most agents shown in ListAgents at once (each costs a small holder process). */
const MAX_AGENTS = 16;

/** How long the bridge looks for its session's record at start (Claude Code writes it while starting up). */
const FIND_SESSION_MS = 15_000;

/** Presence changes within this long make one refresh. */
const REFRESH_DELAY_MS = 200;

/** A message's ids Claude Code makes (UUIDs); anything else gets no idempotency key. */
const MSG_ID = /^[0-9A-Za-z-]{8,64}$/;

/** Writes a note for the user on stderr. */
function note(line: string): void {
  process.stderr.write(`linker watch: ${line}\n`);
}

/** A host name as a line may show it. */
function hostText(host: string | undefined): string {
  const clean = (host ?? "").replace(/[^A-Za-z0-9._-]/g, "").slice(0, 64);
  return clean === "" ? "an unnamed host" : `host ${clean}`;
}

/** Peer text with anything that reads as a tag opening or closing defanged (it lands inside Claude Code's own wrapper). */
function defangTags(text: string): string {
  return text.replace(/<(\s*\/?\s*[A-Za-z!?])/g, "\u2039$1");
}

/** What the session is handed for a message from a bridged agent: who it is, that it is remote and untrusted, and how to answer. */
export function bridgedText(message: Message, agent: Instance | undefined): string {
  const json = toJson(MessageSchema, message) as JsonMessage;
  const fields = peerFieldsOfJson(json);
  const answer = message.kind === MessageKind.QUERY ? "It asks a question: answer with SendMessage to" : "Reply with SendMessage to";
  return [
    `Linker message from the remote agent "${message.sender}" (on ${hostText(agent?.workspace?.host)}, through the Linker bridge, not a Claude session on this machine). ${answer} "${message.sender}".`,
    formatPeerList([{ ...fields, body: defangTags(fields.body), attachment: fields.attachment ? defangTags(fields.attachment) : undefined }]),
  ].join("\n");
}

/**
 * The bridge between Linker and Claude Code's own cross-session messaging,
 * for the one session that started this `linker watch --bridge`: online
 * Linker agents on other hosts (other machines, containers) appear in its
 * ListAgents under their Linker names; what its SendMessage writes to one of
 * them is sent through the hub as this instance (a reply when that agent
 * asked a question), durably, or the session is told it was not; and their
 * messages reach the session as cross-session messages, claimed in the
 * presented-message ledger and marked read, so no other path shows them again.
 * Only this user's processes can reach its sockets, and nothing leaves the machine
 * except through the hub.
 */
export class ClaudeBridge implements WatchBridge {
  private readonly agents = new Map<string, BridgedAgent>();
  private readonly instances = new Map<string, Instance>();
  /** The last unanswered question of each agent: SendMessage to it answers that question. */
  private readonly questions = new Map<string, Message>();
  private refreshing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly settings: Settings,
    private readonly client: LinkerClient,
    private readonly session: ClaudeSession,
    private readonly dir: string,
    private readonly ledger: PresentedLedger,
  ) {}

  /** Names shown in ListAgents now. */
  get names(): string[] {
    return [...this.agents.keys()];
  }

  handles(message: Message): boolean {
    return this.agents.has(message.sender);
  }

  async deliver(message: Message): Promise<boolean> {
    const agent = this.agents.get(message.sender);
    if (!agent || !(await this.ledger.claim(message.id, "bridge"))) return agent !== undefined;
    try {
      await deliverToSession(this.session.socketPath, { text: bridgedText(message, this.instances.get(message.sender)), from: agent.address, msgId: message.id });
    } catch (err) {
      note(`could not hand a message of "${message.sender}" to the session (${err instanceof Error ? err.message : String(err)}); announcing it instead`);
      await this.ledger.release(message.id);
      return false;
    }
    await this.ledger.presented(message.id);
    if (message.kind === MessageKind.QUERY) this.questions.set(message.sender, message);
    await this.client.ack({ messageIds: [message.id] }).catch(() => undefined);
    return true;
  }

  presenceChanged(_change: PresenceChange): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, REFRESH_DELAY_MS);
  }

  /** Brings ListAgents in line with who is online on other hosts. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.sync()).catch((err: unknown) => note(`could not list the agents (${err instanceof Error ? err.message : String(err)})`));
    return this.refreshing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.refreshing;
    await Promise.all([...this.agents.values()].map((agent) => agent.withdraw().catch(() => undefined)));
    this.agents.clear();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async sync(): Promise<void> {
    if (this.closed) return;
    const here = hostname();
    const online = (await this.client.listInstances({ onlineOnly: true }))
      .filter((instance) => instance.name !== this.settings.name && NAME_PATTERN.test(instance.name) && (instance.workspace?.host ?? "") !== here)
      .slice(0, MAX_AGENTS);
    this.instances.clear();
    for (const instance of online) this.instances.set(instance.name, instance);
    for (const [name, agent] of this.agents) {
      if (!this.instances.has(name)) {
        this.agents.delete(name);
        await agent.withdraw();
      }
    }
    for (const name of this.instances.keys()) {
      if (this.closed || this.agents.has(name)) continue;
      this.agents.set(name, await BridgedAgent.publish(this.session, this.dir, name, (line) => void this.sent(name, line)));
    }
  }

  /** SendMessage wrote `line` to agent `name`: send it through the hub as this instance. */
  private async sent(name: string, line: PeerLine): Promise<void> {
    if (line.from !== `uds:${this.session.socketPath}`) {
      note(`dropped a message to "${name}" from ${JSON.stringify(line.from.slice(0, 200))}: the bridge carries only its own session's messages`);
      return;
    }
    const question = this.questions.get(name);
    const idempotencyKey = MSG_ID.test(line.msgId) ? `claude-code:${line.msgId}` : "";
    for (let attempt = 1; ; attempt++) {
      try {
        if (question) await this.client.reply(question, { body: line.text, idempotencyKey });
        else await this.client.send({ recipient: name, body: line.text, idempotencyKey });
        if (question) this.questions.delete(name);
        return;
      } catch (err) {
        if (attempt < 3 && idempotencyKey !== "") {
          await sleep(1_000 * attempt);
          continue;
        }
        const reason = err instanceof Error ? err.message : String(err);
        note(`could not send a message to "${name}" (${reason})`);
        await deliverToSession(this.session.socketPath, {
          text: `Linker bridge: your SendMessage to "${name}" was NOT delivered (${reason.slice(0, 300)}). Try again later, or use linker_send_message.`,
          from: this.agents.get(name)?.address ?? `uds:${this.session.socketPath}`,
          msgId: `${line.msgId}-failed`,
        }).catch(() => undefined);
        return;
      }
    }
  }
}

/**
 * The bridge factory `linker watch --bridge` uses: finds the Claude Code
 * session that started it and checks that the bridge can serve it; when it
 * cannot, says why on stderr and leaves the bridge off (the monitor goes on).
 */
export function claudeBridge(settings: Settings): (client: LinkerClient) => Promise<WatchBridge | undefined> {
  return async (client) => {
    let session: ClaudeSession | undefined;
    const deadline = Date.now() + FIND_SESSION_MS;
    for (;;) {
      try {
        session = await findClaudeSession();
        break;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        // The record may not be written yet at start-up; anything else will not change by waiting.
        if (!(err instanceof BridgeOff) || !/does not exist/.test(reason) || Date.now() > deadline) {
          note(`the bridge stays off: ${reason}`);
          return undefined;
        }
        await sleep(250);
      }
    }
    const dir = await mkdtemp(join(tmpdir(), "linker-bridge-"));
    const ledger = PresentedLedger.of(settings.home, sessionHubKey(settings.hubs, settings.home), settings.name);
    const bridge = new ClaudeBridge(settings, client, session, dir, ledger);
    await bridge.refresh();
    note(`the bridge is on for Claude Code ${session.version} (peer protocol ${session.peerProtocol}); in ListAgents: ${bridge.names.join(", ") || "nobody yet"}`);
    return bridge;
  };
}
