import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type LinkerClient } from "@linker/client";
import { ClaudeCliError, type ClaudeRunOptions, runClaude } from "./claude-cli.js";
import { describeContext, type TeamContext } from "./context-aggregator.js";
import type { Log } from "./output-log.js";
import type { Settings } from "./settings.js";
import { findDeclarations, readPackageFacts } from "./workspace-facts.js";

/** The kinds of queries the heuristics answer (the seed's AutoResponder patterns). */
export type QueryKind = "version" | "interface" | "context" | "status";

/** The seed's detection patterns, checked in this order. */
export const QUERY_PATTERNS: ReadonlyArray<readonly [QueryKind, RegExp]> = [
  ["version", /version|what version/i],
  ["interface", /interface|types|definition/i],
  ["context", /context|what.*working|current/i],
  ["status", /status|progress|update/i],
];

/** The kind of a query, or undefined when no heuristic applies. */
export function classifyQuery(text: string): QueryKind | undefined {
  return QUERY_PATTERNS.find(([, pattern]) => pattern.test(text))?.[0];
}

/** An automatic answer and where it came from. */
export interface AutoAnswer {
  /** The answer text. */
  text: string;
  /** "heuristic:<kind>" or "claude". */
  source: string;
}

/** What the auto-responder reads and uses. */
export interface AutoResponderDeps {
  /** Current settings. */
  settings: () => Settings;
  /** The connected client, if any. */
  client: () => LinkerClient | undefined;
  /** The workspace context now. */
  context: () => TeamContext;
  /** The workspace folder (package.json and sources are read from it). */
  workspaceRoot: () => string | undefined;
  /** A few lines about what this window is doing (tasks, unread messages). */
  activity: () => string;
  /** Log lines. */
  log: Log;
  /** Tells the user about a failure (a warning notification). */
  report: (text: string) => void;
  /** Runs the claude CLI (tests replace it). */
  runClaude?: (options: ClaudeRunOptions) => Promise<string>;
}

/** Largest query text put into a claude prompt. */
const MAX_PROMPT_QUERY = 16_000;

/**
 * Answers queries addressed to this window when claudeTeam.autoRespond is on:
 * first with the seed's heuristics (version from package.json, interface and
 * type definitions from the sources, the workspace context, an activity
 * summary), otherwise, when claudeTeam.useClaudeCli is on, by running
 * `claude -p` with the query and both sides' context. Answers go back as
 * RESPONSE messages with reply_to set, and the query is marked read. A claude
 * run that fails or times out is answered with the reason and reported to the
 * user; it is never dropped silently. Queries are answered one at a time.
 */
export class AutoResponder {
  private readonly deps: AutoResponderDeps;
  private readonly answered = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(deps: AutoResponderDeps) {
    this.deps = deps;
  }

  /** Queues `message` for an automatic answer if it is a direct query to this window and autoRespond is on. */
  handle(message: Message): Promise<void> {
    const client = this.deps.client();
    if (!this.deps.settings().autoRespond || !client) return Promise.resolve();
    if (message.kind !== MessageKind.QUERY || message.sender === client.name || message.recipient !== client.name) return Promise.resolve();
    if (message.readAt || this.answered.has(message.id)) return Promise.resolve();
    this.answered.add(message.id);
    const run = this.queue.then(() => this.respond(client, message));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The automatic answer to a query text, or undefined when neither the heuristics nor claude apply. */
  async answer(query: string, from?: Message): Promise<AutoAnswer | undefined> {
    const kind = classifyQuery(query);
    if (kind) {
      const text = await this.heuristic(kind, query);
      if (text) return { text, source: `heuristic:${kind}` };
    }
    if (!this.deps.settings().useClaudeCli) return undefined;
    const settings = this.deps.settings();
    const text = await (this.deps.runClaude ?? runClaude)({
      command: settings.claudePath,
      prompt: this.prompt(query, from),
      cwd: this.deps.workspaceRoot(),
      timeoutMs: settings.claudeTimeoutSeconds * 1000,
    });
    return { text, source: "claude" };
  }

  private async respond(client: LinkerClient, message: Message): Promise<void> {
    const { log } = this.deps;
    let answer: AutoAnswer | undefined;
    try {
      answer = await this.answer(message.body, message);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log.error(`auto-responder: no answer to ${message.sender}'s query ${message.id}: ${reason}`);
      this.deps.report(`Claude Team could not answer ${message.sender}'s query automatically: ${reason}`);
      await this.send(client, message, `Automatic answer failed: ${reason}. The query waits for a person in ${client.name}.`, {
        autoAnswer: err instanceof ClaudeCliError ? "claude" : "error",
        error: err instanceof ClaudeCliError ? err.reason : "error",
      }, false);
      return;
    }
    if (!answer) {
      log.info(`auto-responder: no heuristic matches ${message.sender}'s query ${message.id} and the claude CLI is off; it waits in Messages`);
      return;
    }
    await this.send(client, message, answer.text, { autoAnswer: answer.source }, true);
  }

  private async send(client: LinkerClient, message: Message, body: string, metadata: Record<string, string>, ack: boolean): Promise<void> {
    const { log } = this.deps;
    try {
      await client.reply(message, { body, metadata });
      log.info(`auto-responder: answered ${message.sender}'s query ${message.id} (${metadata.autoAnswer})`);
      if (ack) await client.ack({ messageIds: [message.id] });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log.error(`auto-responder: the answer to ${message.sender} was not sent: ${reason}`);
      this.deps.report(`Claude Team could not send the automatic answer to ${message.sender}: ${reason}`);
    }
  }

  private async heuristic(kind: QueryKind, query: string): Promise<string | undefined> {
    switch (kind) {
      case "version":
        return this.versionAnswer(query);
      case "interface":
        return this.interfaceAnswer(query);
      case "context": {
        const text = describeContext(this.deps.context());
        return text ? `Current context:\n${text}` : undefined;
      }
      case "status":
        return `Status:\n${[describeContext(this.deps.context()), this.deps.activity()].filter((part) => part !== "").join("\n")}`;
    }
  }

  private async versionAnswer(query: string): Promise<string | undefined> {
    const root = this.deps.workspaceRoot();
    const facts = root ? await readPackageFacts(root) : undefined;
    if (!facts) return undefined;
    const mentioned = Object.keys(facts.dependencies).filter((name) => new RegExp(`(^|[^\\w@/-])${escapeRegExp(name)}($|[^\\w/-])`, "i").test(query));
    const lines = [`${facts.name ?? "This project"} is at version ${facts.version ?? "(none in package.json)"}.`];
    for (const name of mentioned) lines.push(`${name}: ${facts.dependencies[name]}`);
    return lines.join("\n");
  }

  private async interfaceAnswer(query: string): Promise<string | undefined> {
    const root = this.deps.workspaceRoot();
    if (!root) return undefined;
    const declarations = await findDeclarations(root);
    if (declarations.length === 0) return undefined;
    const words = new Set(query.match(/[A-Za-z_$][\w$]*/g) ?? []);
    const named = declarations.filter((declaration) => words.has(declaration.name));
    if (named.length > 0) {
      return named
        .slice(0, 5)
        .map((declaration) => `${declaration.file}:${declaration.line}\n${declaration.text}`)
        .join("\n\n");
    }
    const listed = declarations.slice(0, 30).map((declaration) => `${declaration.kind} ${declaration.name} (${declaration.file}:${declaration.line})`);
    return `Exported types in this workspace${declarations.length > 30 ? ` (first 30 of ${declarations.length})` : ""}:\n${listed.join("\n")}\nAsk for one by name to get its definition.`;
  }

  private prompt(query: string, from?: Message): string {
    const me = this.deps.client()?.name ?? "this window";
    const theirs = from?.attachment?.content.case === "context" ? describeContext(from.attachment.content.value) : "";
    const mine = describeContext(this.deps.context());
    return [
      `You are the Claude instance of the VS Code window "${me}". Another instance${from ? `, "${from.sender}",` : ""} asks you:`,
      "",
      query.slice(0, MAX_PROMPT_QUERY),
      ...(theirs ? ["", "Their context:", theirs] : []),
      ...(mine ? ["", "Your workspace:", mine] : []),
      "",
      "Answer concisely; your answer is sent back to them as it is.",
    ].join("\n");
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
