import type * as vscode from "vscode";
import type { AutoResponder } from "./auto-responder.js";
import type { ContextAggregator } from "./context-aggregator.js";
import type { HubConnection } from "./hub-connection.js";
import type { MessageThreads } from "./message-threads.js";
import type { StatusBar } from "./status-bar.js";
import type { MemoryView } from "./views/memory-view.js";
import type { MessagesView } from "./views/messages-view.js";
import type { TasksView } from "./views/tasks-view.js";
import type { WindowsView } from "./views/windows-view.js";

/** What `activate` returns: the extension's parts, for its end-to-end tests and for other extensions. */
export interface ClaudeTeamApi {
  /** The hub connection (mode, client, events). */
  connection: HubConnection;
  /** Sent and received messages by thread. */
  threads: MessageThreads;
  /** The sidebar's tree data providers. */
  views: { windows: WindowsView; messages: MessagesView; tasks: TasksView; memory: MemoryView };
  /** The sidebar's tree views (to reveal or select items). */
  treeViews: { windows: vscode.TreeView<unknown>; messages: vscode.TreeView<unknown>; tasks: vscode.TreeView<unknown>; memory: vscode.TreeView<unknown> };
  /** The status-bar item. */
  statusBar: StatusBar;
  /** The auto-responder. */
  autoResponder: AutoResponder;
  /** The workspace context aggregator. */
  context: ContextAggregator;
  /** The last failure a command reported. */
  lastError(): string | undefined;
  /** Resolves once connected to a hub (hub or client mode). */
  whenConnected(timeoutMs?: number): Promise<void>;
}
