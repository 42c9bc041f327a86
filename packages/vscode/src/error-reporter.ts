import { Code } from "@connectrpc/connect";
import * as vscode from "vscode";
import { LinkerError } from "@linker/client";
import { HubOfflineError } from "./hub-offline-error.js";
import type { Log } from "./output-log.js";

/** The text shown for a failure: LinkerErrors carry the RPC, the hub and what to do. */
export function errorText(err: unknown): string {
  if (err instanceof HubOfflineError) return err.message;
  if (err instanceof LinkerError) {
    if (err.hubFailure && err.code === Code.Unavailable) return `The Linker hub is unreachable (${err.hubUrl ?? "no hub"}): ${err.reason}. ${err.hint}`;
    return err.hint ? `${err.reason} (${err.hint})` : err.reason;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Shows failures of user actions as error notifications (with Show Log, and
 * Reconnect when the hub is unreachable), logs them, and remembers the last
 * one for the extension's API.
 */
export class ErrorReporter {
  private last: string | undefined;
  private readonly failureEmitter = new vscode.EventEmitter<string>();
  /** Fires with the text of every reported failure. */
  readonly onDidReport = this.failureEmitter.event;

  constructor(private readonly log: Log) {}

  /** The last reported failure. */
  get lastError(): string | undefined {
    return this.last;
  }

  /** Reports a failure of `action` (not awaited: the command ends at once). */
  report(action: string, err: unknown): void {
    const text = `${action}: ${errorText(err)}`;
    this.record(text);
    const offline = err instanceof HubOfflineError || (err instanceof LinkerError && err.hubFailure);
    const buttons = offline ? ["Reconnect", "Show Log"] : ["Show Log"];
    void vscode.window.showErrorMessage(text, ...buttons).then((choice) => {
      if (choice === "Reconnect") void vscode.commands.executeCommand("claudeTeam.reconnect");
      if (choice === "Show Log") void vscode.commands.executeCommand("claudeTeam.showLog");
    });
  }

  /** Reports a problem that is not an exception (for example "the target is offline"), with optional buttons; resolves to the one clicked. */
  warn(text: string, ...buttons: string[]): Thenable<string | undefined> {
    this.record(text);
    return vscode.window.showWarningMessage(text, ...buttons);
  }

  /** Stops the event. */
  dispose(): void {
    this.failureEmitter.dispose();
  }

  private record(text: string): void {
    this.last = text;
    this.log.error(text);
    this.failureEmitter.fire(text);
  }
}
