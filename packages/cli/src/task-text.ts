import { type Task, TaskPriority, TaskStatus, TaskPrioritySchema, TaskStatusSchema } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { enumName } from "./enum-names.js";
import { indent, oneLine, table } from "./output.js";
import { age, ago, clock } from "./time-text.js";

/** Who handed a task to whom ("open" while nobody has it). */
export function taskParties(task: Task): string {
  return `${task.assigner} → ${task.assignee || "open"}`;
}

/** Status of a task as a word. */
export function taskStatusText(task: Task): string {
  return enumName(TaskStatusSchema, task.status);
}

/** Tasks as an aligned table. */
export function taskLines(tasks: Task[]): string[] {
  const now = Date.now();
  return table([
    ["ID", "STATUS", "PRIORITY", "FROM → TO", "AGE", "TITLE"],
    ...tasks.map((task) => [
      task.id,
      taskStatusText(task),
      task.priority === TaskPriority.UNSPECIFIED ? "normal" : enumName(TaskPrioritySchema, task.priority),
      taskParties(task),
      age(task.createdAt, now),
      oneLine(task.title, 60),
    ]),
  ]);
}

/** One task in full: fields, description, notes and result. */
export function taskDetail(task: Task): string[] {
  const lines = table([
    ["task", task.id],
    ["title", task.title],
    ["status", `${taskStatusText(task)} (revision ${task.revision})`],
    ["from → to", taskParties(task)],
    ["priority", task.priority === TaskPriority.UNSPECIFIED ? "normal" : enumName(TaskPrioritySchema, task.priority)],
    ["created", ago(task.createdAt)],
    ...Object.entries(task.labels).map(([key, value]) => ["label", `${key}=${value}`]),
  ]);
  if (task.description) lines.push("description:", indent(task.description));
  if (task.notes.length > 0) lines.push("notes:", ...task.notes.map((note) => indent(`${clock(note.at)} ${note.author}: ${note.text}`)));
  if (task.result) lines.push("result:", indent(task.result));
  return lines;
}
