import * as vscode from "vscode";
import { type Message, MessageKind, MessageKindSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { enumValueName } from "@linker/protocol";
import { type DataEvent } from "@linker/client";
import type { HubConnection } from "../hub-connection.js";
import { type MessageThreads, sentAtMs, type Thread } from "../message-threads.js";
import type { Log } from "../output-log.js";
import { relativeTime } from "../relative-time.js";

/** A thread in the Messages view. */
export class ThreadItem extends vscode.TreeItem {
  constructor(readonly thread: Thread) {
    super(thread.peers.length === 0 ? "(this window)" : thread.peers.map((peer) => (peer === "*" ? "everyone" : peer)).join(", "), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `thread:${thread.id}`;
    this.description = [thread.unread > 0 ? `${thread.unread} unread` : "", thread.subject, relativeTime(thread.lastAt)].filter((part) => part).join(" · ");
    this.iconPath = new vscode.ThemeIcon(thread.unread > 0 ? "mail" : "comment-discussion", thread.unread > 0 ? new vscode.ThemeColor("charts.blue") : undefined);
    this.contextValue = thread.unread > 0 ? "thread.unread" : "thread";
    this.tooltip = `${thread.messages.length} message${thread.messages.length === 1 ? "" : "s"} · ${thread.subject}`;
  }
}

const KIND_ICONS: Record<number, string> = {
  [MessageKind.QUERY]: "question",
  [MessageKind.RESPONSE]: "reply",
  [MessageKind.CONTEXT]: "info",
  [MessageKind.CODE]: "code",
  [MessageKind.FILE]: "file",
  [MessageKind.TASK]: "tasklist",
};

/** A message's kind as the Messages view shows it (plain text shows none). */
function kindName(kind: MessageKind): string {
  return kind === MessageKind.UNSPECIFIED || kind === MessageKind.TEXT ? "" : enumValueName(MessageKindSchema, kind);
}

/** A message inside a thread. */
export class MessageItem extends vscode.TreeItem {
  constructor(
    readonly message: Message,
    unread: boolean,
    readBy: string[],
  ) {
    super(`${message.sender}: ${message.body.split("\n")[0].slice(0, 120)}`, vscode.TreeItemCollapsibleState.None);
    this.id = `message:${message.id}`;
    this.description = [unread ? "unread" : "", kindName(message.kind), relativeTime(sentAtMs(message)), readBy.length > 0 ? `read by ${readBy.join(", ")}` : ""]
      .filter((part) => part)
      .join(" · ");
    this.iconPath = new vscode.ThemeIcon(KIND_ICONS[message.kind] ?? "comment", unread ? new vscode.ThemeColor("charts.blue") : undefined);
    this.contextValue = unread ? "message.unread" : "message";
    this.tooltip = new vscode.MarkdownString(`**${message.sender}** → ${message.recipient === "*" ? "everyone" : message.recipient}\n\n${message.body}`);
    this.command = { command: "claudeTeam.openMessage", title: "Open Message", arguments: [this] };
  }
}

/** An element of the Messages view. */
export type MessagesElement = ThreadItem | MessageItem;

/**
 * The Messages view: conversations with unread ones first, each expanding to
 * its messages (the whole thread is fetched from the hub on first expansion).
 * Replies are sent inline from a thread or a message.
 */
export class MessagesView implements vscode.TreeDataProvider<MessagesElement>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<MessagesElement | undefined>();
  private readonly subscriptions: vscode.Disposable[];
  private readonly expanded = new Set<string>();
  /** Tells VS Code the tree changed. */
  readonly onDidChangeTreeData = this.changeEmitter.event;

  constructor(
    private readonly connection: HubConnection,
    /** The message store behind the view. */
    readonly threads: MessageThreads,
    private readonly log: Log,
  ) {
    this.subscriptions = [
      threads.onDidChange(() => this.changeEmitter.fire(undefined)),
      connection.onEvent((event) => this.onEvent(event)),
      connection.onDidConnect(() => void this.refresh()),
    ];
  }

  /** Reloads the inbox from the hub. */
  async refresh(): Promise<void> {
    const client = this.connection.client;
    if (!client) return;
    this.expanded.clear();
    try {
      await this.threads.load(client);
      this.changeEmitter.fire(undefined);
    } catch (err) {
      this.log.warn(`Messages view: cannot list messages: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The tree item of an element. */
  getTreeItem(element: MessagesElement): vscode.TreeItem {
    return element;
  }

  /** Threads at the top, messages under a thread. */
  async getChildren(element?: MessagesElement): Promise<MessagesElement[]> {
    if (!element) return this.threads.threads().map((thread) => new ThreadItem(thread));
    if (!(element instanceof ThreadItem)) return [];
    const id = element.thread.id;
    const client = this.connection.client;
    if (client && !this.expanded.has(id)) {
      this.expanded.add(id);
      await this.threads.loadThread(client, id).catch((err: unknown) => {
        this.log.warn(`Messages view: cannot load thread ${id}: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    const thread = this.threads.thread(id) ?? element.thread;
    return thread.messages.map((message) => new MessageItem(message, this.threads.isUnread(message), this.threads.readBy(message.id)));
  }

  /** The thread of a message (for reveal). */
  getParent(element: MessagesElement): MessagesElement | undefined {
    if (!(element instanceof MessageItem)) return undefined;
    const thread = this.threads.thread(element.message.threadId || element.message.id);
    return thread ? new ThreadItem(thread) : undefined;
  }

  /** Stops listening. */
  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changeEmitter.dispose();
  }

  private onEvent(event: DataEvent): void {
    if (event.type === "message") this.threads.add(event.message);
    else if (event.type === "receipt") this.threads.receipt(event.receipt);
  }
}
