import { timestampMs } from "@bufbuild/protobuf/wkt";
import * as vscode from "vscode";
import { TaskScope } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { type Task, TaskStatus, TaskStatusSchema } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { enumValueName } from "@linker/protocol";
import { type DataEvent } from "@linker/client";
import type { HubConnection } from "../hub-connection.js";
import type { Log } from "../output-log.js";
import { relativeTime } from "../relative-time.js";

/** The groups of the Tasks view. */
export type TaskGroup = "to-me" | "by-me" | "open";

const GROUP_LABELS: Record<TaskGroup, string> = { "to-me": "Assigned to me", "by-me": "Assigned by me", open: "Open for claiming" };

/** Readable name of a task status. */
export function statusName(status: TaskStatus): string {
  return status === TaskStatus.UNSPECIFIED ? "unknown" : enumValueName(TaskStatusSchema, status, " ");
}

/** True for COMPLETED, FAILED and CANCELED. */
export function isFinal(status: TaskStatus): boolean {
  return status === TaskStatus.COMPLETED || status === TaskStatus.FAILED || status === TaskStatus.CANCELED;
}

const STATUS_ICONS: Record<number, [string, string | undefined]> = {
  [TaskStatus.PENDING]: ["circle-large-outline", undefined],
  [TaskStatus.IN_PROGRESS]: ["play-circle", "charts.blue"],
  [TaskStatus.COMPLETED]: ["pass-filled", "charts.green"],
  [TaskStatus.FAILED]: ["error", "charts.red"],
  [TaskStatus.CANCELED]: ["circle-slash", "disabledForeground"],
};

/**
 * The actions a task allows this window, as context-value words the view's
 * menus match: startable (mine, pending), workable (mine, not final),
 * cancelable (assigned by me, not final), claimable (open, pending).
 */
export function taskActions(task: Task, me: string | undefined): string[] {
  const actions: string[] = [];
  const mine = me !== undefined && task.assignee === me;
  if (mine && task.status === TaskStatus.PENDING) actions.push("startable");
  if (mine && !isFinal(task.status)) actions.push("workable");
  if (me !== undefined && task.assigner === me && !isFinal(task.status)) actions.push("cancelable");
  if (task.assignee === "" && task.status === TaskStatus.PENDING) actions.push("claimable");
  return actions;
}

/** A group heading. */
export class TaskGroupItem extends vscode.TreeItem {
  constructor(
    readonly group: TaskGroup,
    count: number,
  ) {
    super(GROUP_LABELS[group], vscode.TreeItemCollapsibleState.Expanded);
    this.id = `tasks:${group}`;
    this.description = String(count);
    this.contextValue = `taskGroup.${group}`;
  }
}

/** A task. */
export class TaskItem extends vscode.TreeItem {
  constructor(
    readonly task: Task,
    readonly group: TaskGroup,
    me: string | undefined,
  ) {
    const details = task.description !== "" || task.result !== "" || task.notes.length > 0;
    super(task.title, details ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = `task:${group}:${task.id}`;
    const who = group === "by-me" ? (task.assignee ? `to ${task.assignee}` : "open") : `from ${task.assigner}`;
    const updated = task.updatedAt ? relativeTime(timestampMs(task.updatedAt)) : "";
    this.description = [statusName(task.status), who, updated].filter((part) => part).join(" · ");
    const [icon, color] = STATUS_ICONS[task.status] ?? ["circle-large-outline", undefined];
    this.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    this.contextValue = ["task", ...taskActions(task, me)].join(" ");
    this.tooltip = new vscode.MarkdownString(
      [
        `**${task.title}** — ${statusName(task.status)}`,
        `From ${task.assigner}${task.assignee ? ` to ${task.assignee}` : " (open)"}`,
        task.description,
        task.result ? `Result: ${task.result}` : "",
      ]
        .filter((line) => line)
        .join("\n\n"),
    );
  }
}

/** A detail line under a task (description, result, notes). */
export class TaskDetailItem extends vscode.TreeItem {
  constructor(label: string, text: string, icon: string) {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.description = text.split("\n")[0].slice(0, 160);
    this.tooltip = text;
    this.iconPath = new vscode.ThemeIcon(icon);
    this.contextValue = "taskDetail";
  }
}

/** An element of the Tasks view. */
export type TasksElement = TaskGroupItem | TaskItem | TaskDetailItem;

/**
 * The Tasks view: tasks assigned to this window, tasks it assigned, and open
 * tasks anyone may claim, with inline actions to start, complete (with a
 * result), fail, cancel and claim. Task events keep it current.
 */
export class TasksView implements vscode.TreeDataProvider<TasksElement>, vscode.Disposable {
  private readonly tasks = new Map<string, Task>();
  private readonly changeEmitter = new vscode.EventEmitter<TasksElement | undefined>();
  private readonly subscriptions: vscode.Disposable[];
  /** Tells VS Code the tree changed. */
  readonly onDidChangeTreeData = this.changeEmitter.event;

  constructor(
    private readonly connection: HubConnection,
    private readonly log: Log,
  ) {
    this.subscriptions = [connection.onEvent((event) => this.onEvent(event)), connection.onDidConnect(() => void this.refresh())];
  }

  /** Reloads the three lists from the hub. */
  async refresh(): Promise<void> {
    const client = this.connection.client;
    if (!client) return;
    try {
      const pages = await Promise.all(
        [TaskScope.ASSIGNED_TO_ME, TaskScope.ASSIGNED_BY_ME, TaskScope.OPEN].map((scope) => client.listTasks({ scope, pageSize: 200 })),
      );
      this.tasks.clear();
      for (const page of pages) for (const task of page.tasks) this.tasks.set(task.id, task);
      this.changeEmitter.fire(undefined);
    } catch (err) {
      this.log.warn(`Tasks view: cannot list tasks: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A known task. */
  get(taskId: string): Task | undefined {
    return this.tasks.get(taskId);
  }

  /** Records a task returned by an action, before its event arrives. */
  upsert(task: Task): void {
    const known = this.tasks.get(task.id);
    if (known && known.revision > task.revision) return;
    this.tasks.set(task.id, task);
    this.changeEmitter.fire(undefined);
  }

  /** The tasks of a group, unfinished first, newest first. */
  list(group: TaskGroup): Task[] {
    const me = this.connection.name;
    const inGroup = (task: Task) =>
      group === "to-me" ? task.assignee === me : group === "by-me" ? task.assigner === me : task.assignee === "" && task.status === TaskStatus.PENDING;
    const updated = (task: Task) => (task.updatedAt ? timestampMs(task.updatedAt) : 0);
    return [...this.tasks.values()].filter(inGroup).sort((a, b) => Number(isFinal(a.status)) - Number(isFinal(b.status)) || updated(b) - updated(a));
  }

  /** The tree item of an element. */
  getTreeItem(element: TasksElement): vscode.TreeItem {
    return element;
  }

  /** Groups, their tasks, and each task's details. */
  getChildren(element?: TasksElement): TasksElement[] {
    const me = this.connection.name;
    if (!element) return (["to-me", "by-me", "open"] as const).map((group) => new TaskGroupItem(group, this.list(group).length));
    if (element instanceof TaskGroupItem) return this.list(element.group).map((task) => new TaskItem(task, element.group, me));
    if (element instanceof TaskItem) {
      const { task } = element;
      const details: TaskDetailItem[] = [];
      if (task.description) details.push(new TaskDetailItem("Description", task.description, "note"));
      if (task.result) details.push(new TaskDetailItem("Result", task.result, task.status === TaskStatus.FAILED ? "error" : "check"));
      for (const note of task.notes) details.push(new TaskDetailItem(`Note from ${note.author}`, note.text, "comment"));
      return details;
    }
    return [];
  }

  /** Stops listening. */
  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changeEmitter.dispose();
  }

  private onEvent(event: DataEvent): void {
    if (event.type !== "task" || !event.change.task) return;
    this.upsert(event.change.task);
  }
}
