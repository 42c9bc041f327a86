import { timeOrderedId } from "@linker/protocol";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Task,
  TaskChangeKind,
  TaskChangeSchema,
  TaskNoteSchema,
  TaskPriority,
  TaskSchema,
  TaskStatus,
} from "@linker/protocol/gen/linker/v1/task_pb.js";
import {
  type CancelTaskRequest,
  type ClaimTaskRequest,
  type CreateTaskRequest,
  type GetTaskRequest,
  type ListTasksRequest,
  TaskScope,
  type UpdateTaskRequest,
} from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { Caller } from "./caller.js";
import {
  FailedPreconditionError,
  NotFoundError,
  PermissionDeniedError,
  TaskRevisionMismatchError,
} from "./errors.js";
import type { HubDeps } from "./hub-deps.js";
import type { Registry } from "./registry.js";
import { pageTokenAt, positionOf } from "./page-token.js";
import { EVERYONE, type StoreTx } from "./store/store.js";

/** Page size of ListTasks when a request leaves it 0. */
const DEFAULT_PAGE = 50;

/** The states a task may move to from each state. */
const legalMoves: ReadonlyMap<TaskStatus, ReadonlySet<TaskStatus>> = new Map([
  [TaskStatus.PENDING, new Set([TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELED])],
  [TaskStatus.IN_PROGRESS, new Set([TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELED])],
  [TaskStatus.COMPLETED, new Set<TaskStatus>()],
  [TaskStatus.FAILED, new Set<TaskStatus>()],
  [TaskStatus.CANCELED, new Set<TaskStatus>()],
]);

/** Whether a task may move from `from` to `to`. */
export function isLegalMove(from: TaskStatus, to: TaskStatus): boolean {
  return legalMoves.get(from)?.has(to) ?? false;
}

/** Whether a task in `status` is finished: no state may follow it. */
export function isTerminal(status: TaskStatus): boolean {
  return legalMoves.get(status)?.size === 0;
}

/** Readable name of a status for error messages. */
function statusName(status: TaskStatus): string {
  return TaskStatus[status] ?? String(status);
}

/**
 * Tasks handed between instances. Only legal state moves are accepted, only
 * the assignee moves a task forward, only the assigner cancels it, and a claim
 * is decided inside one transaction, so two claimers get exactly one winner.
 */
export class TaskBoard {
  constructor(
    private readonly deps: HubDeps,
    private readonly registry: Registry,
  ) {}

  /** Creates a task from the caller for an assignee, or an open one when the assignee is empty. */
  async create(caller: Caller, req: CreateTaskRequest): Promise<Task> {
    const assigner = caller.name;
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      if (req.assignee !== "") await this.registry.requireName(tx, req.assignee);
      const task = create(TaskSchema, {
        id: timeOrderedId(),
        title: req.title,
        description: req.description,
        assigner,
        assignee: req.assignee,
        status: TaskStatus.PENDING,
        revision: 1n,
        createdAt: timestampFromMs(now),
        updatedAt: timestampFromMs(now),
        priority: req.priority === TaskPriority.UNSPECIFIED ? TaskPriority.NORMAL : req.priority,
        labels: req.labels,
      });
      await tx.tasks.put(task);
      await this.announce(tx, task, TaskChangeKind.CREATED, assigner, now);
      return task;
    });
  }

  /** Moves a task, adds a note or sets its result, as its assignee (notes: assigner too). */
  async update(caller: Caller, req: UpdateTaskRequest): Promise<Task> {
    // The contract's rules hold already: something changes, and a result comes with COMPLETED or FAILED.
    const actor = caller.name;
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const task = await this.require(tx, req.taskId);
      if (req.expectedRevision !== undefined && req.expectedRevision !== task.revision) {
        throw new TaskRevisionMismatchError(
          `task ${task.id} is at revision ${task.revision}, not ${req.expectedRevision}; read it again and retry`,
        );
      }
      const changesState = req.status !== TaskStatus.UNSPECIFIED || req.result !== "";
      if (changesState && actor !== task.assignee) {
        throw new PermissionDeniedError(
          task.assignee === ""
            ? `task ${task.id} is open; claim it before updating it`
            : `only the assignee "${task.assignee}" can change the status or result of task ${task.id}`,
        );
      }
      if (!changesState && actor !== task.assignee && actor !== task.assigner) {
        throw new PermissionDeniedError(`only "${task.assigner}" and "${task.assignee}" can add notes to task ${task.id}`);
      }
      if (changesState && isTerminal(task.status)) {
        throw new FailedPreconditionError(`task ${task.id} is ${statusName(task.status)}: a finished task keeps its status and result (notes can still be added)`);
      }
      const target = req.status === TaskStatus.UNSPECIFIED ? task.status : req.status;
      if (target !== task.status && !isLegalMove(task.status, target)) {
        throw new FailedPreconditionError(`task ${task.id} is ${statusName(task.status)} and cannot move to ${statusName(target)}`);
      }
      task.status = target;
      if (req.result !== "") task.result = req.result;
      if (req.note !== "") task.notes.push(create(TaskNoteSchema, { author: actor, text: req.note, at: timestampFromMs(now) }));
      return this.save(tx, task, TaskChangeKind.UPDATED, actor, now);
    });
  }

  /** Takes an open task for the caller; every other claimer gets FAILED_PRECONDITION. */
  async claim(caller: Caller, req: ClaimTaskRequest): Promise<Task> {
    const actor = caller.name;
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const task = await this.require(tx, req.taskId);
      if (task.assignee !== "") {
        throw new FailedPreconditionError(`task ${task.id} is already assigned to "${task.assignee}"`);
      }
      if (task.status !== TaskStatus.PENDING) {
        throw new FailedPreconditionError(`task ${task.id} is ${statusName(task.status)} and can no longer be claimed`);
      }
      task.assignee = actor;
      return this.save(tx, task, TaskChangeKind.CLAIMED, actor, now, EVERYONE);
    });
  }

  /** Cancels an unfinished task; only its assigner may. */
  async cancel(caller: Caller, req: CancelTaskRequest): Promise<Task> {
    const actor = caller.name;
    const { reason } = req;
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => {
      const task = await this.require(tx, req.taskId);
      if (actor !== task.assigner) throw new PermissionDeniedError(`only the assigner "${task.assigner}" can cancel task ${task.id}`);
      if (!isLegalMove(task.status, TaskStatus.CANCELED)) {
        throw new FailedPreconditionError(`task ${task.id} is ${statusName(task.status)} and cannot be canceled`);
      }
      const open = task.assignee === "";
      task.status = TaskStatus.CANCELED;
      if (reason !== "") task.notes.push(create(TaskNoteSchema, { author: actor, text: reason, at: timestampFromMs(now) }));
      return this.save(tx, task, TaskChangeKind.CANCELED, actor, now, open ? EVERYONE : undefined);
    });
  }

  /** One task. */
  async get(req: GetTaskRequest): Promise<Task> {
    return this.deps.store.transaction((tx) => this.require(tx, req.taskId));
  }

  /** Tasks in a scope seen from the caller, newest first, with a cursor for the next page. */
  async list(caller: Caller, req: ListTasksRequest): Promise<{ tasks: Task[]; nextPageToken: string }> {
    const viewer = caller.name;
    const { scope } = req;
    const pageSize = req.pageSize === 0 ? DEFAULT_PAGE : req.pageSize;
    const beforeOrdinal = req.pageToken === "" ? undefined : positionOf(req.pageToken);
    const records = await this.deps.store.transaction((tx) =>
      tx.tasks.list({
        assignee: scope === TaskScope.ASSIGNED_TO_ME ? viewer : undefined,
        assigner: scope === TaskScope.ASSIGNED_BY_ME ? viewer : undefined,
        openOnly: scope === TaskScope.OPEN,
        statuses: req.statuses,
        beforeOrdinal,
        limit: pageSize + 1,
      }),
    );
    const page = records.slice(0, pageSize);
    const last = page[page.length - 1];
    return { tasks: page.map((r) => r.task), nextPageToken: records.length > pageSize && last ? pageTokenAt(last.ordinal) : "" };
  }

  private async require(tx: StoreTx, taskId: string): Promise<Task> {
    const task = await tx.tasks.get(taskId);
    if (!task) throw new NotFoundError(`no task with id ${taskId}`);
    return task;
  }

  private async save(tx: StoreTx, task: Task, kind: TaskChangeKind, actor: string, now: number, audience?: string): Promise<Task> {
    task.revision += 1n;
    task.updatedAt = timestampFromMs(now);
    await tx.tasks.put(task);
    await this.announce(tx, task, kind, actor, now, audience);
    return task;
  }

  /** Sends a task change to its assigner and assignee, or to everyone while it is open. */
  private async announce(tx: StoreTx, task: Task, kind: TaskChangeKind, actor: string, now: number, audience?: string) {
    const audiences = audience ? [audience] : task.assignee === "" ? [EVERYONE] : [...new Set([task.assigner, task.assignee])];
    const change = create(TaskChangeSchema, { task, kind, actor });
    await tx.events.append(audiences.map((name) => ({ audience: name, at: now, payload: { case: "task" as const, value: change } })),
    );
  }
}
