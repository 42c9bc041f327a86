import { join } from "node:path";
import * as vscode from "vscode";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { AutoResponder } from "./auto-responder.js";
import type { CommandDeps } from "./commands/command-deps.js";
import { registerMemoryCommands } from "./commands/memory-commands.js";
import { registerMessagingCommands } from "./commands/messaging-commands.js";
import { registerTaskCommands } from "./commands/task-commands.js";
import { registerWindowCommands } from "./commands/window-commands.js";
import { ContextAggregator } from "./context-aggregator.js";
import { ErrorReporter } from "./error-reporter.js";
import type { ClaudeTeamApi } from "./extension-api.js";
import { HUB_PROCESS_FILE } from "./hosting-paths.js";
import { HubConnection, type HubMode } from "./hub-connection.js";
import { MessageThreads } from "./message-threads.js";
import { Notifier } from "./notifier.js";
import { OutputLog } from "./output-log.js";
import { affectsConnection, readSettings, SETTINGS_SECTION, type Settings } from "./settings.js";
import { StatusBar } from "./status-bar.js";
import { MemoryView } from "./views/memory-view.js";
import { MessagesView } from "./views/messages-view.js";
import { TasksView } from "./views/tasks-view.js";
import { WindowsView } from "./views/windows-view.js";

let active: HubConnection | undefined;

/** Capabilities this window announces. */
function capabilitiesOf(settings: Settings): string[] {
  return ["vscode", "claude-team", ...(settings.autoRespond ? ["auto-respond"] : []), ...(settings.autoRespond && settings.useClaudeCli ? ["claude-cli"] : [])];
}

/** A few lines about this window's activity, for the status heuristic. */
function activitySummary(deps: Pick<CommandDeps, "tasks" | "threads" | "connection">): string {
  const working = deps.tasks.list("to-me").filter((task) => task.status === TaskStatus.IN_PROGRESS);
  const lines = [`Window ${deps.connection.name ?? "(not registered)"}, ${deps.threads.unreadCount()} unread message(s).`];
  if (working.length > 0) lines.push(`Working on: ${working.map((task) => task.title).join("; ")}`);
  const pending = deps.tasks.list("to-me").filter((task) => task.status === TaskStatus.PENDING);
  if (pending.length > 0) lines.push(`Waiting to start: ${pending.map((task) => task.title).join("; ")}`);
  return lines.join("\n");
}

/**
 * Activates Claude Team: connects this window to the machine's Linker hub
 * (hosting it when nobody does), and sets up the Linker sidebar, commands,
 * status bar, notifications and the auto-responder. Returns the extension's
 * API (used by its end-to-end tests and open to other extensions).
 */
export async function activate(context: vscode.ExtensionContext): Promise<ClaudeTeamApi> {
  const log = new OutputLog();
  let settings = readSettings();
  const aggregator = new ContextAggregator();
  const connection = new HubConnection({
    settings: () => settings,
    identity: () => aggregator.identity(),
    capabilities: () => capabilitiesOf(settings),
    hubScript: context.extensionPath ? join(context.extensionPath, "dist", HUB_PROCESS_FILE) : undefined,
    log,
  });
  active = connection;
  const threads = new MessageThreads(() => connection.name);
  const windows = new WindowsView(connection, log);
  const messages = new MessagesView(connection, threads, log);
  const tasks = new TasksView(connection, log);
  const memory = new MemoryView(connection, log);
  const errors = new ErrorReporter(log);
  const deps: CommandDeps = { connection, context: aggregator, threads, windows, messages, tasks, memory, errors, log, settings: () => settings };
  const treeViews = [
    vscode.window.createTreeView("claudeTeam.windows", { treeDataProvider: windows }),
    vscode.window.createTreeView("claudeTeam.messages", { treeDataProvider: messages, showCollapseAll: true }),
    vscode.window.createTreeView("claudeTeam.tasks", { treeDataProvider: tasks, showCollapseAll: true }),
    vscode.window.createTreeView("claudeTeam.memory", { treeDataProvider: memory }),
  ];
  const statusBar = new StatusBar(connection, threads);
  const responder = new AutoResponder({
    settings: () => settings,
    client: () => connection.client,
    context: () => aggregator.collect(),
    workspaceRoot: () => aggregator.projectPath(),
    activity: () => activitySummary(deps),
    log,
    report: (text) => void vscode.window.showWarningMessage(text, "Show Log").then((choice) => choice && log.show()),
  });
  let registeredAs: string | undefined;
  const onMode = (mode: HubMode) => {
    const connected = mode === "hub" || mode === "client";
    void vscode.commands.executeCommand("setContext", "claudeTeam.connected", connected || mode === "reconnecting");
    const message = mode === "offline" ? "Offline: showing the last known state." : mode === "reconnecting" ? "Reconnecting to the hub…" : undefined;
    for (const view of treeViews) view.message = message;
  };
  onMode(connection.mode);
  context.subscriptions.push(
    log,
    aggregator,
    connection,
    threads,
    windows,
    messages,
    tasks,
    memory,
    errors,
    statusBar,
    ...treeViews,
    new Notifier(connection, () => settings, log),
    ...registerMessagingCommands(deps),
    ...registerTaskCommands(deps),
    ...registerMemoryCommands(deps),
    ...registerWindowCommands(deps),
    connection.onDidChangeMode(onMode),
    connection.onDidConnect((client) => {
      if (registeredAs !== undefined && registeredAs !== client.name) threads.clear();
      registeredAs = client.name;
      statusBar.update();
    }),
    connection.onEvent((event) => {
      if (event.type === "message") void responder.handle(event.message);
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SETTINGS_SECTION)) return;
      settings = readSettings();
      if (affectsConnection(event)) {
        log.info("connection settings changed; reconnecting");
        void connection.restart();
      }
    }),
  );
  log.info(`Claude Team starting (hub ${connection.hubUrl}, autoHub ${settings.autoHub ? "on" : "off"}, autoRespond ${settings.autoRespond ? "on" : "off"})`);
  void connection.start();
  return {
    connection,
    threads,
    views: { windows, messages, tasks, memory },
    treeViews: { windows: treeViews[0], messages: treeViews[1], tasks: treeViews[2], memory: treeViews[3] },
    statusBar,
    autoResponder: responder,
    context: aggregator,
    lastError: () => errors.lastError,
    whenConnected: (timeoutMs = 20_000) => whenConnected(connection, timeoutMs),
  };
}

/** Resolves once the connection is live (hub or client mode); rejects after `timeoutMs`. */
function whenConnected(connection: HubConnection, timeoutMs: number): Promise<void> {
  const live = () => connection.client !== undefined && (connection.mode === "hub" || connection.mode === "client");
  if (live()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`not connected after ${timeoutMs} ms (${connection.mode}${connection.lastError ? `: ${connection.lastError}` : ""})`));
    }, timeoutMs);
    const subscription = connection.onDidChangeMode(() => {
      if (!live()) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve();
    });
  });
}

/** Closes the connection; a hub this window hosts stops and another window takes it over. */
export async function deactivate(): Promise<void> {
  const connection = active;
  active = undefined;
  await connection?.close();
}
