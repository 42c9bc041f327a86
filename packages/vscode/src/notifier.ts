import * as vscode from "vscode";
import { type Message, MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type Task, TaskChangeKind, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { type DataEvent } from "@linker/client";
import type { HubConnection } from "./hub-connection.js";
import type { Log } from "./output-log.js";
import type { Settings } from "./settings.js";

/** Longest message text shown in a notification. */
const PREVIEW = 300;

/**
 * Tells the user about what arrives: direct messages, queries and help
 * requests (with Reply and Open), tasks assigned to this window, and progress
 * of tasks it assigned. Everything is also written to the log, which is the
 * message history Show Log displays. Queries the auto-responder answers and
 * replies to Send Query (already shown) are logged only.
 */
export class Notifier implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly connection: HubConnection,
    private readonly settings: () => Settings,
    private readonly log: Log,
  ) {
    this.subscription = connection.onEvent((event) => this.onEvent(event));
  }

  /** Stops listening. */
  dispose(): void {
    this.subscription.dispose();
  }

  private onEvent(event: DataEvent): void {
    if (event.type === "message") this.onMessage(event.message);
    else if (event.type === "task" && event.change.task) this.onTask(event.change.task, event.change.kind, event.change.actor);
  }

  private onMessage(message: Message): void {
    const me = this.connection.name;
    if (message.sender === me) return;
    const to = message.recipient === "*" ? "everyone" : "you";
    this.log.info(`message ${message.id} from ${message.sender} to ${to} (${MessageKind[message.kind] ?? "TEXT"}): ${message.body}`);
    if (message.readAt) return;
    if (message.kind === MessageKind.RESPONSE || message.kind === MessageKind.CONTEXT) return;
    if (message.kind === MessageKind.QUERY && message.recipient === me && this.settings().autoRespond) return;
    const label = message.kind === MessageKind.QUERY ? (message.recipient === "*" ? "asks everyone" : "asks") : message.kind === MessageKind.CODE ? "shares code" : "says";
    void vscode.window.showInformationMessage(`${message.sender} ${label}: ${message.body.slice(0, PREVIEW)}`, "Reply", "Open").then((choice) => {
      if (choice === "Reply") void vscode.commands.executeCommand("claudeTeam.reply", message.id);
      if (choice === "Open") void vscode.commands.executeCommand("claudeTeam.openMessage", message.id);
    });
  }

  private onTask(task: Task, kind: TaskChangeKind, actor: string): void {
    const me = this.connection.name;
    this.log.info(`task ${task.id} "${task.title}" ${TaskChangeKind[kind]?.toLowerCase() ?? "changed"} by ${actor}: ${TaskStatus[task.status]?.toLowerCase() ?? ""}${task.result ? ` — ${task.result}` : ""}`);
    if (actor === me) return;
    if (kind === TaskChangeKind.CREATED && task.assignee === me) {
      void vscode.window.showInformationMessage(`${task.assigner} assigned you “${task.title}”.`, "Start", "Show Tasks").then((choice) => {
        if (choice === "Start") void vscode.commands.executeCommand("claudeTeam.startTask", task.id);
        if (choice === "Show Tasks") void vscode.commands.executeCommand("claudeTeam.tasks.focus");
      });
    } else if (task.assigner === me && (task.status === TaskStatus.COMPLETED || task.status === TaskStatus.FAILED)) {
      const verb = task.status === TaskStatus.COMPLETED ? "completed" : "failed";
      void vscode.window.showInformationMessage(`${actor} ${verb} “${task.title}”${task.result ? `: ${task.result.slice(0, PREVIEW)}` : "."}`);
    } else if (task.assigner === me && kind === TaskChangeKind.CLAIMED) {
      void vscode.window.showInformationMessage(`${actor} claimed “${task.title}”.`);
    }
  }
}
