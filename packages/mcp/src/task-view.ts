import { type Task, type TaskStatus, TaskStatusSchema } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { enumValueName } from "@linker/protocol";
import { quote } from "./peer-text.js";

/** The lowercase name of a task status, as the task tools take it. */
export function statusName(status: TaskStatus): string {
  return enumValueName(TaskStatusSchema, status);
}

/** One line describing a task; its title and result are quoted (another agent may have written them). */
export function taskLine(task: Task): string {
  const who = task.assignee === "" ? "open" : `→ ${task.assignee}`;
  return `[${statusName(task.status)}] ${quote(task.title, 120)} id ${task.id} (from ${task.assigner} ${who}, rev ${task.revision})${task.result ? ` result: ${quote(task.result, 200)}` : ""}`;
}
