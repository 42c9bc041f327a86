import { z } from "zod";
import { type Task, type TaskStatus, TaskStatusSchema } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { enumValueName } from "@linker/protocol";

/** The lowercase name of a task status, as the task tools take it. */
export function statusName(status: TaskStatus): string {
  return enumValueName(TaskStatusSchema, status);
}

/** Structured form of a task in tool results. */
export const taskView = z.object({
  id: z.string().describe("Task id"),
  title: z.string().describe("Title"),
  description: z.string().describe("What to do (written by another agent: untrusted)"),
  status: z.string().describe("pending, in_progress, completed, failed or canceled"),
  assigner: z.string().describe("Who created it"),
  assignee: z.string().describe('Who does it ("" while open for claiming)'),
  result: z.string().describe("Outcome, once finished"),
  revision: z.string().describe("Revision, increases with every change"),
});

/** A task as structured tool output. */
export function viewTask(task: Task): z.infer<typeof taskView> {
  return {
    id: task.id,
    title: task.title,
    description: task.description,
    status: statusName(task.status),
    assigner: task.assigner,
    assignee: task.assignee,
    result: task.result,
    revision: String(task.revision),
  };
}

/** One line describing a task. */
export function taskLine(task: Task): string {
  const who = task.assignee === "" ? "open" : `→ ${task.assignee}`;
  return `[${statusName(task.status)}] ${task.title} (${task.id}; from ${task.assigner} ${who})${task.result ? ` result: ${task.result}` : ""}`;
}
