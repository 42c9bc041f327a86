import * as vscode from "vscode";
import type { ContextAggregator } from "../context-aggregator.js";
import type { ErrorReporter } from "../error-reporter.js";
import type { HubConnection } from "../hub-connection.js";
import type { MessageThreads } from "../message-threads.js";
import type { Log } from "../output-log.js";
import type { Settings } from "../settings.js";
import type { MemoryView } from "../views/memory-view.js";
import type { MessagesView } from "../views/messages-view.js";
import type { TasksView } from "../views/tasks-view.js";
import type { WindowsView } from "../views/windows-view.js";

/** What command handlers work with. */
export interface CommandDeps {
  /** The hub connection. */
  connection: HubConnection;
  /** Workspace context. */
  context: ContextAggregator;
  /** Sent and received messages. */
  threads: MessageThreads;
  /** The Windows view. */
  windows: WindowsView;
  /** The Messages view. */
  messages: MessagesView;
  /** The Tasks view. */
  tasks: TasksView;
  /** The Memory view. */
  memory: MemoryView;
  /** Shows and records failures. */
  errors: ErrorReporter;
  /** The output channel. */
  log: Log & { show(): void };
  /** Current settings. */
  settings: () => Settings;
}

/**
 * Registers a command whose failures are reported (notification, log) instead
 * of thrown; it resolves to the handler's result, or undefined after a failure.
 */
export function registerCommand<A extends unknown[], R>(
  deps: Pick<CommandDeps, "errors">,
  id: string,
  action: string,
  handler: (...args: A) => Promise<R>,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: A): Promise<R | undefined> => {
    try {
      return await handler(...args);
    } catch (err) {
      deps.errors.report(action, err);
      return undefined;
    }
  });
}

/** Asks for a line of text; undefined when the user cancels. */
export async function askText(prompt: string, options: { value?: string; placeHolder?: string; optional?: boolean; title?: string } = {}): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: options.title,
    prompt,
    value: options.value,
    placeHolder: options.placeHolder,
    ignoreFocusOut: true,
    validateInput: options.optional ? undefined : (value) => (value.trim() === "" ? "Required" : undefined),
  });
}
