import { Code } from "@connectrpc/connect";
import * as vscode from "vscode";
import { type Message, MessageKind, Priority } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { AskResponse, BroadcastResponse, SendResponse } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { LinkerError } from "@linker/client";
import { describeContext } from "../context-aggregator.js";
import { EVERYONE, pickInstance } from "../instance-picker.js";
import { findTemplate, QUERY_TEMPLATES, type QueryTemplate } from "../query-templates.js";
import { MessageItem, ThreadItem } from "../views/messages-view.js";
import { askText, type CommandDeps, registerCommand } from "./command-deps.js";

/** Arguments of claudeTeam.sendQuery (all optional; missing ones are asked for). */
export interface SendQueryArgs {
  /** Instance to ask. */
  target?: string;
  /** The question. */
  query?: string;
  /** A template id (architecture, code-review, dependency, interface, bug-help, sync). */
  template?: string;
  /** Values of the template's parameters. */
  values?: Record<string, string>;
}

/** Arguments of claudeTeam.sendMessage. */
export interface SendMessageArgs {
  /** Recipient, or "*" for everyone. */
  target?: string;
  /** The text. */
  body?: string;
}

/** Accepts a target given as a string, an object with `target`, or a Windows view item. */
function targetOf(arg: unknown): string | undefined {
  if (typeof arg === "string") return arg;
  if (arg && typeof arg === "object") {
    if ("instance" in arg) return (arg as { instance: { name: string } }).instance.name;
    if ("target" in arg && typeof (arg as { target: unknown }).target === "string") return (arg as { target: string }).target;
  }
  return undefined;
}

function argsOf<T extends object>(arg: unknown): T {
  return arg && typeof arg === "object" && !("instance" in arg) ? (arg as T) : ({} as T);
}

/** The query text: given, or built from a template the user picks. */
async function queryText(deps: CommandDeps, args: SendQueryArgs): Promise<string | undefined> {
  if (args.query) return args.query;
  let template: QueryTemplate | undefined = args.template ? findTemplate(args.template) : undefined;
  if (args.template && !template) throw new Error(`unknown query template "${args.template}"; use one of ${QUERY_TEMPLATES.map((t) => t.id).join(", ")}`);
  if (!template) {
    const picked = await vscode.window.showQuickPick(
      [
        { label: "$(edit) Write a question…", id: "" },
        ...QUERY_TEMPLATES.map((t) => ({ label: t.label, detail: t.detail, id: t.id })),
      ],
      { title: "Send Query", placeHolder: "Question or template" },
    );
    if (!picked) return undefined;
    if (picked.id === "") return askText("Your question", { title: "Send Query" });
    template = findTemplate(picked.id);
  }
  if (!template) return undefined;
  const values: Record<string, string> = { ...args.values };
  for (const parameter of template.parameters) {
    if (values[parameter.key] !== undefined) continue;
    const value = await askText(parameter.prompt, { title: template.label, placeHolder: parameter.placeholder, optional: parameter.optional, value: prefill(deps, parameter.prefill) });
    if (value === undefined) return undefined;
    values[parameter.key] = value.trim();
  }
  return template.build(values);
}

function prefill(deps: CommandDeps, what: "file" | "line" | "selection" | undefined): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (what === "file") return deps.context.currentFile();
  if (what === "line") return editor ? String(editor.selection.active.line + 1) : undefined;
  if (what === "selection") return editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).slice(0, 500) : undefined;
  return undefined;
}

function contextAttachment(deps: CommandDeps) {
  return deps.settings().shareContext ? { content: { case: "context" as const, value: deps.context.collect() } } : undefined;
}

/** Sends a query and waits for the answer; offers to store it as a message when the target is offline. */
export async function sendQuery(deps: CommandDeps, arg?: unknown): Promise<Message | undefined> {
  const client = deps.connection.require();
  const args = argsOf<SendQueryArgs>(arg);
  const target = targetOf(arg) ?? (await pickInstance(client, { title: "Send Query to" }));
  if (!target) return undefined;
  const query = await queryText(deps, args);
  if (!query) return undefined;
  const timeoutMs = deps.settings().askTimeoutSeconds * 1000;
  let response: AskResponse;
  try {
    response = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Asking ${target}…` },
      () => client.ask({ recipient: target, body: query, attachment: contextAttachment(deps), timeoutMs }),
    );
  } catch (err) {
    if (err instanceof LinkerError && (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded) && !err.hubFailure) {
      return queryNotAnswered(deps, target, query, err);
    }
    throw err;
  }
  deps.threads.add(response.query, response.reply);
  const reply = response.reply;
  if (!reply) throw new Error(`${target} answered with nothing`);
  deps.threads.markRead([reply.id]);
  deps.log.info(`query to ${target}: ${query}\nanswer from ${reply.sender}: ${reply.body}`);
  void vscode.window.showInformationMessage(`${reply.sender}: ${reply.body.slice(0, 500)}`, "Open", "Reply").then((choice) => {
    if (choice === "Open") void vscode.commands.executeCommand("claudeTeam.openMessage", reply.id);
    if (choice === "Reply") void vscode.commands.executeCommand("claudeTeam.reply", reply.id);
  });
  return reply;
}

/** Ask failed because the target is offline or slow: say so, and offer to leave the query as a message. */
async function queryNotAnswered(deps: CommandDeps, target: string, query: string, err: LinkerError): Promise<undefined> {
  const offline = err.code === Code.Unavailable;
  const text = offline
    ? `${target} is offline, so nobody can answer now (${err.reason}).`
    : `${target} did not answer within ${deps.settings().askTimeoutSeconds} s; a late answer will appear in Messages.`;
  const choice = deps.errors.warn(`Send Query: ${text}`, ...(offline ? ["Send as a message"] : []));
  if (offline) {
    void choice.then(async (picked) => {
      if (picked !== "Send as a message") return;
      try {
        const client = deps.connection.require();
        const sent = await client.send({ recipient: target, body: query, kind: MessageKind.QUERY, attachment: contextAttachment(deps) });
        deps.threads.add(sent.message);
      } catch (sendErr) {
        deps.errors.report("Send Query", sendErr);
      }
    });
  }
  return undefined;
}

/** Sends a text message to one instance or everyone. */
export async function sendMessage(deps: CommandDeps, arg?: unknown): Promise<Message | undefined> {
  const client = deps.connection.require();
  const args = argsOf<SendMessageArgs>(arg);
  const target = targetOf(arg) ?? (await pickInstance(client, { title: "Send Message to", includeOffline: true, everyone: true }));
  if (target === undefined) return undefined;
  const body = args.body ?? (await askText(`Message to ${target === EVERYONE ? "everyone" : target}`, { title: "Send Message" }));
  if (!body) return undefined;
  const sent = target === EVERYONE ? (await client.broadcast({ body })).message : (await client.send({ recipient: target, body })).message;
  deps.threads.add(sent);
  deps.log.info(`message to ${target === EVERYONE ? "everyone" : target}: ${body}`);
  return sent;
}

/** Broadcasts this window's context to every other instance. */
export async function broadcastContext(deps: CommandDeps): Promise<BroadcastResponse> {
  const client = deps.connection.require();
  const context = deps.context.collect();
  const summary = describeContext(context) || "(no workspace open)";
  const response = await client.broadcast({ body: `Context from ${client.name}:\n${summary}`, kind: MessageKind.CONTEXT, attachment: { content: { case: "context", value: context } } });
  deps.threads.add(response.message);
  deps.log.info(`context broadcast to ${response.recipients.length} instance(s)`);
  void vscode.window.showInformationMessage(
    response.recipients.length > 0 ? `Shared your context with ${response.recipients.join(", ")}.` : "Context broadcast, but no other instance is registered yet.",
  );
  return response;
}

/** Broadcasts a help request (a high-priority query with this window's context). */
export async function requestHelp(deps: CommandDeps, arg?: unknown): Promise<BroadcastResponse | undefined> {
  const client = deps.connection.require();
  const given = typeof arg === "string" ? arg : argsOf<{ problem?: string }>(arg).problem;
  const errors = deps.context.errors();
  const problem = given ?? (await askText("What do you need help with?", { title: "Request Help", value: errors[0] }));
  if (!problem) return undefined;
  const response = await client.broadcast({ body: `Help wanted by ${client.name}: ${problem}`, kind: MessageKind.QUERY,
    priority: Priority.HIGH,
    attachment: contextAttachment(deps) });
  deps.threads.add(response.message);
  deps.log.info(`help request broadcast to ${response.recipients.length} instance(s): ${problem}`);
  void vscode.window.showInformationMessage(
    response.recipients.length > 0 ? `Asked ${response.recipients.length} instance(s) for help; answers appear in Messages.` : "Nobody else is registered yet to help.",
  );
  return response;
}

/** Sends the editor's selection as a code snippet to one instance or everyone. */
export async function shareSelection(deps: CommandDeps, arg?: unknown): Promise<Message | undefined> {
  const client = deps.connection.require();
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) throw new Error("select some code in an editor first");
  const code = editor.document.getText(editor.selection);
  const path = vscode.workspace.asRelativePath(editor.document.uri, false);
  const line = editor.selection.start.line + 1;
  const args = argsOf<SendMessageArgs>(arg);
  const target = targetOf(arg) ?? (await pickInstance(client, { title: "Share Selection with", includeOffline: true, everyone: true }));
  if (target === undefined) return undefined;
  const note = args.body ?? (await askText("A note with the code (optional)", { title: "Share Selection", optional: true }));
  if (note === undefined) return undefined;
  const body = note.trim() || `Code from ${path}:${line}`;
  const attachment = { content: { case: "code" as const, value: { language: editor.document.languageId, code, path: `${path}:${line}` } } };
  const sent: SendResponse | BroadcastResponse =
    target === EVERYONE ? await client.broadcast({ body, kind: MessageKind.CODE, attachment }) : await client.send({ recipient: target, body, kind: MessageKind.CODE, attachment });
  deps.threads.add(sent.message);
  deps.log.info(`shared ${path}:${line} (${code.length} characters) with ${target === EVERYONE ? "everyone" : target}`);
  return sent.message;
}

/** The message a reply or open acts on: a message item, a thread item (its newest incoming message), or an id. */
function messageOf(deps: CommandDeps, arg: unknown): Message | undefined {
  if (arg instanceof MessageItem) return deps.threads.get(arg.message.id) ?? arg.message;
  if (arg instanceof ThreadItem) {
    const thread = deps.threads.thread(arg.thread.id) ?? arg.thread;
    const incoming = thread.messages.filter((message) => deps.threads.isIncoming(message));
    return (incoming.length > 0 ? incoming : thread.messages).at(-1);
  }
  if (typeof arg === "string") return deps.threads.get(arg);
  return undefined;
}

/** Replies to a message: an answer (RESPONSE) to a query, a text otherwise, in the same thread. */
export async function reply(deps: CommandDeps, arg?: unknown, text?: string): Promise<Message | undefined> {
  const client = deps.connection.require();
  const message = messageOf(deps, arg);
  if (!message) throw new Error("pick a message or thread in the Messages view to reply to");
  const incoming = deps.threads.isIncoming(message);
  const to = incoming ? message.sender : message.recipient;
  if (to === "*") throw new Error("pick a message from someone to reply to");
  const body = text ?? (await askText(`Reply to ${to}`, { title: message.body.split("\n")[0].slice(0, 80) }));
  if (!body) return undefined;
  const sent =
    incoming && message.kind === MessageKind.QUERY
      ? await client.reply(message, { body })
      : await client.send({ recipient: to, body, replyTo: message.id, threadId: message.threadId });
  deps.threads.add(sent.message);
  if (incoming && deps.threads.isUnread(message)) await markMessagesRead(deps, [message.id]);
  deps.log.info(`reply to ${to}: ${body}`);
  return sent.message;
}

/** Acks messages and marks them read here. */
async function markMessagesRead(deps: CommandDeps, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await deps.connection.require().ack({ messageIds: ids });
  deps.threads.markRead(ids);
}

/** Marks a message or every unread message of a thread read. */
export async function markRead(deps: CommandDeps, arg?: unknown): Promise<number> {
  const ids =
    arg instanceof ThreadItem
      ? (deps.threads.thread(arg.thread.id)?.messages ?? []).filter((message) => deps.threads.isUnread(message)).map((message) => message.id)
      : [messageOf(deps, arg)].filter((message): message is Message => message !== undefined && deps.threads.isUnread(message)).map((message) => message.id);
  await markMessagesRead(deps, ids);
  return ids.length;
}

/** The Markdown shown when a message is opened. */
export function messageMarkdown(message: Message): string {
  const lines = [`# ${message.sender} → ${message.recipient === "*" ? "everyone" : message.recipient}`, "", message.body, ""];
  const content = message.attachment?.content;
  if (content?.case === "code") lines.push(`\`${content.value.path}\``, "", `\`\`\`${content.value.language}`, content.value.code, "```", "");
  if (content?.case === "context") lines.push("## Context", "", describeContext(content.value), "");
  if (content?.case === "file") lines.push(`Attached file: ${content.value.name} (${content.value.content.length} bytes)`, "");
  lines.push(`<!-- message ${message.id} · thread ${message.threadId} -->`);
  return lines.join("\n");
}

/** Opens a message as a Markdown document and marks it read. */
export async function openMessage(deps: CommandDeps, arg?: unknown): Promise<Message | undefined> {
  const message = messageOf(deps, arg);
  if (!message) throw new Error("that message is no longer known here; refresh the Messages view");
  const document = await vscode.workspace.openTextDocument({ language: "markdown", content: messageMarkdown(message) });
  await vscode.window.showTextDocument(document, { preview: true });
  if (deps.threads.isUnread(message)) await markMessagesRead(deps, [message.id]);
  return message;
}

/** Registers the messaging commands. */
export function registerMessagingCommands(deps: CommandDeps): vscode.Disposable[] {
  return [
    registerCommand(deps, "claudeTeam.sendQuery", "Send Query", (arg?: unknown) => sendQuery(deps, arg)),
    registerCommand(deps, "claudeTeam.sendMessage", "Send Message", (arg?: unknown) => sendMessage(deps, arg)),
    registerCommand(deps, "claudeTeam.broadcastContext", "Broadcast Context", () => broadcastContext(deps)),
    registerCommand(deps, "claudeTeam.requestHelp", "Request Help", (arg?: unknown) => requestHelp(deps, arg)),
    registerCommand(deps, "claudeTeam.shareSelection", "Share Selection", (arg?: unknown) => shareSelection(deps, arg)),
    registerCommand(deps, "claudeTeam.reply", "Reply", (arg?: unknown, text?: string) => reply(deps, arg, text)),
    registerCommand(deps, "claudeTeam.markRead", "Mark Read", (arg?: unknown) => markRead(deps, arg)),
    registerCommand(deps, "claudeTeam.openMessage", "Open Message", (arg?: unknown) => openMessage(deps, arg)),
  ];
}
