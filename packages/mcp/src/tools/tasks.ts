import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { type TaskScope, TaskScopeSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { type TaskPriority, TaskPrioritySchema, TaskStatus, TaskStatusSchema } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { enumInput } from "../enum-input.js";
import type { McpDeps } from "../mcp-deps.js";
import { taskLine, taskView, viewTask } from "../task-view.js";
import { defineTool } from "./define-tool.js";

const scopes = enumInput<TaskScope>(TaskScopeSchema, { zero: "all" });
const priorities = enumInput<TaskPriority>(TaskPrioritySchema);
const statuses = enumInput<TaskStatus>(TaskStatusSchema);
/** States linker_task_update moves to (linker_task_cancel cancels). */
const updateStatuses = enumInput<TaskStatus>(TaskStatusSchema, { except: [TaskStatus.CANCELED] });

/** linker_task_create, linker_task_list, linker_task_claim, linker_task_update and linker_task_cancel. */
export function registerTaskTools(server: McpServer, deps: McpDeps): void {
  defineTool(
    server,
    deps,
    {
      name: "linker_task_create",
      title: "Create a task",
      description: "Hand a task to another instance, or leave assignee empty to post an open task anyone can claim. You get events as it progresses.",
      input: {
        title: z.string().min(1).max(200).describe("One-line title"),
        description: z.string().default("").describe("What to do and how to know it is done"),
        assignee: z.string().default("").describe('Who should do it; "" leaves it open for claiming'),
        priority: priorities.schema.default("normal").describe("Urgency"),
      },
      output: { task: taskView.describe("The new task") },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) => {
      const task = await deps.client.createTask({
        title: args.title,
        description: args.description,
        assignee: args.assignee,
        priority: priorities.value(args.priority),
      });
      return { text: `Created: ${taskLine(task)}`, structured: { task: viewTask(task) } };
    },
  );
  defineTool(
    server,
    deps,
    {
      name: "linker_task_list",
      title: "List tasks",
      description: "List tasks, newest first: assigned to you (assigned_to_me), created by you (assigned_by_me), open for claiming (open) or all.",
      input: {
        scope: scopes.schema.default("assigned_to_me").describe("Which tasks"),
        status: z.array(statuses.schema).default([]).describe("Only these states"),
        limit: z.number().int().min(1).max(100).default(20).describe("At most this many"),
      },
      output: { tasks: z.array(taskView).describe("Tasks, newest first") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      const page = await deps.client.listTasks({
        scope: scopes.value(args.scope),
        statuses: args.status.map((s) => statuses.value(s)),
        pageSize: args.limit,
      });
      return {
        text: page.tasks.length > 0 ? page.tasks.map(taskLine).join("\n") : "No tasks.",
        structured: { tasks: page.tasks.map(viewTask) },
      };
    },
  );
  defineTool(
    server,
    deps,
    {
      name: "linker_task_claim",
      title: "Claim an open task",
      description: "Take an open task. If several instances claim it at once, exactly one wins; the others are told who has it.",
      input: { task_id: z.string().describe("The task id") },
      output: { task: taskView.describe("The task, now yours") },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) => {
      const task = await deps.client.claimTask({ taskId: args.task_id });
      return { text: `Claimed: ${taskLine(task)}`, structured: { task: viewTask(task) } };
    },
  );
  defineTool(
    server,
    deps,
    {
      name: "linker_task_update",
      title: "Update a task",
      description:
        "Move a task assigned to you forward (in_progress, then completed or failed with a result) or add a progress note. The assigner sees every change.",
      input: {
        task_id: z.string().describe("The task id"),
        status: updateStatuses.schema.optional().describe("New status"),
        note: z.string().optional().describe("A progress note"),
        result: z.string().optional().describe("Outcome, with completed or failed"),
      },
      output: { task: taskView.describe("The task after the change") },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) => {
      const task = await deps.client.updateTask({
        taskId: args.task_id,
        status: args.status ? updateStatuses.value(args.status) : undefined,
        note: args.note ?? "",
        result: args.result ?? "",
      });
      return { text: `Updated: ${taskLine(task)}`, structured: { task: viewTask(task) } };
    },
  );
  defineTool(
    server,
    deps,
    {
      name: "linker_task_cancel",
      title: "Cancel a task",
      description: "Cancel a task you created that is not finished.",
      input: { task_id: z.string().describe("The task id"), reason: z.string().default("").describe("Why") },
      output: { task: taskView.describe("The canceled task") },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    async (args) => {
      const task = await deps.client.cancelTask({ taskId: args.task_id, reason: args.reason });
      return { text: `Canceled: ${taskLine(task)}`, structured: { task: viewTask(task) } };
    },
  );
}
