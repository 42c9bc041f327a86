import * as vscode from "vscode";
import { type Task, TaskPriority, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { describeContext } from "../context-aggregator.js";
import { OPEN_TASK, pickInstance } from "../instance-picker.js";
import { TaskItem } from "../views/tasks-view.js";
import { askText, type CommandDeps, registerCommand } from "./command-deps.js";

/** Arguments of claudeTeam.assignTask (missing ones are asked for). */
export interface AssignTaskArgs {
  /** Assignee; "" makes an open task. */
  target?: string;
  /** One-line title. */
  title?: string;
  /** What to do. */
  description?: string;
  /** "low", "normal", "high" or "urgent". */
  priority?: string;
}

const PRIORITIES: Record<string, TaskPriority> = {
  low: TaskPriority.LOW,
  normal: TaskPriority.NORMAL,
  high: TaskPriority.HIGH,
  urgent: TaskPriority.URGENT,
};

/** The task an action applies to: a Tasks view item or a task id. */
function taskOf(deps: CommandDeps, arg: unknown): Task {
  const task = arg instanceof TaskItem ? arg.task : typeof arg === "string" ? deps.tasks.get(arg) : undefined;
  if (!task) throw new Error(typeof arg === "string" ? `task ${arg} is not known here; refresh the Tasks view` : "pick a task in the Tasks view");
  return deps.tasks.get(task.id) ?? task;
}

/** Assigns a task to an instance (online or not), or opens it for anyone to claim. */
export async function assignTask(deps: CommandDeps, arg?: unknown): Promise<Task | undefined> {
  const client = deps.connection.require();
  const args: AssignTaskArgs =
    arg && typeof arg === "object" && "instance" in arg ? { target: (arg as { instance: { name: string } }).instance.name } : ((arg as AssignTaskArgs | undefined) ?? {});
  const target = args.target ?? (await pickInstance(client, { title: "Assign Task to", includeOffline: true, openTask: true }));
  if (target === undefined) return undefined;
  const title = args.title ?? (await askText("Task title", { title: "Assign Task" }));
  if (!title) return undefined;
  const description = args.description ?? (await askText("What should be done? (optional)", { title: "Assign Task", optional: true }));
  if (description === undefined) return undefined;
  const context = deps.settings().shareContext ? describeContext(deps.context.collect()) : "";
  const task = await client.createTask({
    title,
    description: context ? `${description}${description ? "\n\n" : ""}Context from ${client.name}:\n${context}` : description,
    assignee: target,
    priority: PRIORITIES[args.priority ?? "normal"] ?? TaskPriority.NORMAL,
  });
  deps.tasks.upsert(task);
  deps.log.info(`task "${title}" ${target === OPEN_TASK ? "opened for claiming" : `assigned to ${target}`} (${task.id})`);
  return task;
}

/** Moves a task assigned to this window to IN_PROGRESS. */
export async function startTask(deps: CommandDeps, arg?: unknown): Promise<Task> {
  const task = taskOf(deps, arg);
  const updated = await deps.connection.require().updateTask({ taskId: task.id, status: TaskStatus.IN_PROGRESS, expectedRevision: task.revision });
  deps.tasks.upsert(updated);
  deps.log.info(`started task "${task.title}"`);
  return updated;
}

/** Completes a task assigned to this window with a result. */
export async function completeTask(deps: CommandDeps, arg?: unknown, result?: string): Promise<Task | undefined> {
  const task = taskOf(deps, arg);
  const text = result ?? (await askText(`Result of “${task.title}”`, { title: "Complete Task", placeHolder: "What was done, where to find it" }));
  if (text === undefined) return undefined;
  const updated = await deps.connection.require().updateTask({ taskId: task.id, status: TaskStatus.COMPLETED, result: text });
  deps.tasks.upsert(updated);
  deps.log.info(`completed task "${task.title}": ${text}`);
  return updated;
}

/** Fails a task assigned to this window, saying why. */
export async function failTask(deps: CommandDeps, arg?: unknown, reason?: string): Promise<Task | undefined> {
  const task = taskOf(deps, arg);
  const text = reason ?? (await askText(`Why did “${task.title}” fail?`, { title: "Fail Task" }));
  if (text === undefined) return undefined;
  const updated = await deps.connection.require().updateTask({ taskId: task.id, status: TaskStatus.FAILED, result: text });
  deps.tasks.upsert(updated);
  deps.log.info(`failed task "${task.title}": ${text}`);
  return updated;
}

/** Cancels a task this window assigned. */
export async function cancelTask(deps: CommandDeps, arg?: unknown, reason?: string): Promise<Task | undefined> {
  const task = taskOf(deps, arg);
  const text = reason ?? (await askText(`Why cancel “${task.title}”? (optional)`, { title: "Cancel Task", optional: true }));
  if (text === undefined) return undefined;
  const updated = await deps.connection.require().cancelTask({ taskId: task.id, reason: text });
  deps.tasks.upsert(updated);
  deps.log.info(`canceled task "${task.title}"`);
  return updated;
}

/** Claims an open task; of concurrent claimers exactly one wins. */
export async function claimTask(deps: CommandDeps, arg?: unknown): Promise<Task> {
  const task = taskOf(deps, arg);
  const updated = await deps.connection.require().claimTask({ taskId: task.id });
  deps.tasks.upsert(updated);
  deps.log.info(`claimed task "${task.title}"`);
  void vscode.window.showInformationMessage(`You claimed “${task.title}”.`);
  return updated;
}

/** Registers the task commands. */
export function registerTaskCommands(deps: CommandDeps): vscode.Disposable[] {
  return [
    registerCommand(deps, "claudeTeam.assignTask", "Assign Task", (arg?: unknown) => assignTask(deps, arg)),
    registerCommand(deps, "claudeTeam.startTask", "Start Task", (arg?: unknown) => startTask(deps, arg)),
    registerCommand(deps, "claudeTeam.completeTask", "Complete Task", (arg?: unknown, result?: string) => completeTask(deps, arg, result)),
    registerCommand(deps, "claudeTeam.failTask", "Fail Task", (arg?: unknown, reason?: string) => failTask(deps, arg, reason)),
    registerCommand(deps, "claudeTeam.cancelTask", "Cancel Task", (arg?: unknown, reason?: string) => cancelTask(deps, arg, reason)),
    registerCommand(deps, "claudeTeam.claimTask", "Claim Task", (arg?: unknown) => claimTask(deps, arg)),
  ];
}
