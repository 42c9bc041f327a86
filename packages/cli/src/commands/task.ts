import { Command, Option } from "commander";
import { ListTasksResponseSchema, TaskScope } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { type TaskPriority, TaskSchema, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { CliError } from "../cli-error.js";
import { contextOf } from "../command-context.js";
import { withClient, withReader } from "../connect.js";
import { ExitCode } from "../exit-codes.js";
import { checkName } from "../instance-name.js";
import { textArg } from "../message-input.js";
import { protoJson } from "../output.js";
import { integerArg, labelArg, revisionArg, taskPriorityArg, taskStatusArg, taskStatusListArg } from "../parsers.js";
import { taskDetail, taskLines, taskParties, taskStatusText } from "../task-text.js";

function createCommand(): Command {
  return new Command("create")
    .description("Create a task for an instance (--assign), or an open one anybody can claim")
    .argument("<title...>", "one-line title")
    .option("--assign <name>", "who should do it (default: open for claiming)")
    .option("--details <text>", "what to do, in detail (the task's description)")
    .addOption(new Option("--priority <level>", "low, normal, high or urgent").argParser(taskPriorityArg))
    .option("--label <key=value>", "a label (repeatable)", labelArg)
    .addHelpText(
      "after",
      `
Examples:
  linker task create --assign frontend "show the new port in the settings page"
  linker task create "write the migration guide" --priority high
  linker task create "review PR 12" --assign reviewer --json | jq -r .id`,
    )
    .action(async (words: string[], opts: { assign?: string; details?: string; priority?: TaskPriority; label?: Record<string, string> }, command: Command) => {
      const { settings, out } = contextOf(command);
      const assignee = opts.assign === undefined ? "" : checkName(opts.assign, "--assign");
      const title = await textArg(words, "title");
      const task = await withClient(settings, (client) =>
        client.createTask({ title, description: opts.details ?? "", assignee, priority: opts.priority, labels: opts.label ?? {} }),
      );
      out.data(protoJson(TaskSchema, task));
      out.text(`created task ${task.id} (${taskParties(task)})`);
    });
}

interface LsOptions {
  mine?: boolean;
  byMe?: boolean;
  open?: boolean;
  status?: TaskStatus[];
  limit: number;
  page?: string;
}

function lsCommand(): Command {
  return new Command("ls")
    .description("List tasks, newest first")
    .addOption(new Option("--mine", "tasks assigned to you").conflicts(["byMe", "open"]))
    .addOption(new Option("--by-me", "tasks you created").conflicts(["open"]))
    .option("--open", "tasks open for claiming")
    .option("--status <states>", "only these states: pending, in-progress, completed, failed, canceled (comma-separated)", taskStatusListArg)
    .option("--limit <n>", "at most this many tasks (1-500)", integerArg(1, 500), 50)
    .option("--page <token>", "the next page, from the token the previous page printed")
    .addHelpText(
      "after",
      `
Examples:
  linker task ls --mine --status pending,in-progress
  linker task ls --open
  linker task ls --by-me --json`,
    )
    .action(async (opts: LsOptions, command: Command) => {
      const { settings, out } = contextOf(command);
      const scope = opts.mine ? TaskScope.ASSIGNED_TO_ME : opts.byMe ? TaskScope.ASSIGNED_BY_ME : opts.open ? TaskScope.OPEN : TaskScope.UNSPECIFIED;
      const own = scope === TaskScope.ASSIGNED_TO_ME || scope === TaskScope.ASSIGNED_BY_ME;
      const page = await withReader(settings, own ? "stored" : "none", (client) => client.listTasks({ scope, statuses: opts.status ?? [], pageSize: opts.limit, pageToken: opts.page }));
      out.data(protoJson(ListTasksResponseSchema, page));
      const none = opts.mine ? "no tasks assigned to you" : opts.byMe ? "no tasks created by you" : opts.open ? "no open tasks" : "no tasks";
      out.text(...(page.tasks.length === 0 ? [`${none}${opts.status ? " in these states" : ""}`] : taskLines(page.tasks)));
      if (page.nextPageToken) out.text(`(more: add --page ${page.nextPageToken})`);
    });
}

function showCommand(): Command {
  return new Command("show")
    .description("Show one task with its notes and result")
    .argument("<task-id>", "the task")
    .addHelpText("after", "\nExample:\n  linker task show 0b6e4c8a-3f7d-4d2e-9a51-7c1f0e2b9d34")
    .action(async (id: string, _opts: object, command: Command) => {
      const { settings, out } = contextOf(command);
      const task = await withReader(settings, "none", (client) => client.getTask({ taskId: id }));
      out.data(protoJson(TaskSchema, task));
      out.text(...taskDetail(task));
    });
}

function claimCommand(): Command {
  return new Command("claim")
    .description("Take an open task (exit status 4 when somebody else has it)")
    .argument("<task-id>", "the task")
    .addHelpText("after", "\nExample:\n  linker task ls --open && linker task claim 0b6e4c8a-3f7d-4d2e-9a51-7c1f0e2b9d34")
    .action(async (id: string, _opts: object, command: Command) => {
      const { settings, out } = contextOf(command);
      const task = await withClient(settings, (client) => client.claimTask({ taskId: id }));
      out.data(protoJson(TaskSchema, task));
      out.text(`claimed task ${task.id} (${taskStatusText(task)})`);
    });
}

function updateCommand(): Command {
  return new Command("update")
    .description("Move a task on (--status), add a progress --note, or record its --result")
    .argument("<task-id>", "the task")
    .option("--status <state>", "pending, in-progress (started), completed (done) or failed", taskStatusArg)
    .option("--note <text>", "a progress note")
    .option("--result <text>", "the outcome (with --status completed or failed)")
    .option("--if-revision <n>", "update only if the task is at this revision", revisionArg)
    .addHelpText(
      "after",
      `
Examples:
  linker task update "$TASK" --status in-progress --note "on it"
  linker task update "$TASK" --status done --result "merged in PR 14"
  linker task update "$TASK" --status failed --result "needs access to the staging DB"`,
    )
    .action(async (id: string, opts: { status?: TaskStatus; note?: string; result?: string; ifRevision?: bigint }, command: Command) => {
      const { settings, out } = contextOf(command);
      if (opts.status === undefined && opts.note === undefined && opts.result === undefined) {
        throw new CliError("nothing to update", ExitCode.usage, "pass --status, --note or --result");
      }
      const task = await withClient(settings, (client) =>
        client.updateTask({ taskId: id, status: opts.status ?? TaskStatus.UNSPECIFIED, note: opts.note ?? "", result: opts.result ?? "", expectedRevision: opts.ifRevision }),
      );
      out.data(protoJson(TaskSchema, task));
      out.text(`task ${task.id}: ${taskStatusText(task)} (revision ${task.revision})`);
    });
}

function cancelCommand(): Command {
  return new Command("cancel")
    .description("Cancel a task you created that is not finished")
    .argument("<task-id>", "the task")
    .argument("[reason...]", "why (recorded as a note)")
    .addHelpText("after", '\nExample:\n  linker task cancel "$TASK" "not needed after all"')
    .action(async (id: string, words: string[], _opts: object, command: Command) => {
      const { settings, out } = contextOf(command);
      const task = await withClient(settings, (client) => client.cancelTask({ taskId: id, reason: words.join(" ") }));
      out.data(protoJson(TaskSchema, task));
      out.text(`task ${task.id}: ${taskStatusText(task)}`);
    });
}

/** `linker task create|ls|show|claim|update|cancel`: work handed between instances. */
export function taskCommand(): Command {
  return new Command("task")
    .summary("tasks: create, ls, show, claim, update, cancel")
    .description("Tasks: hand work to another instance, or leave it open for anyone to claim")
    .addCommand(createCommand())
    .addCommand(lsCommand())
    .addCommand(showCommand())
    .addCommand(claimCommand())
    .addCommand(updateCommand())
    .addCommand(cancelCommand())
    .addHelpText(
      "after",
      `
A task moves pending → in-progress → completed or failed; its creator may cancel it.

Examples:
  linker task create --assign web "add the port setting"
  linker task ls --mine
  linker task claim <id>
  linker task update <id> --status done --result "merged"`,
    );
}
