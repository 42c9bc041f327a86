import type { Task, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";

/** Selects tasks, newest first. */
export interface TaskQuery {
  /** Only tasks assigned to this instance. */
  assignee?: string;
  /** Only tasks created by this instance. */
  assigner?: string;
  /** Only open tasks (no assignee, pending). */
  openOnly?: boolean;
  /** Only these states (empty = all). */
  statuses: TaskStatus[];
  /** Only tasks created before this position (paging). */
  beforeOrdinal?: bigint;
  /** At most this many. */
  limit: number;
}

/** A task with its position in creation order. */
export interface TaskRecord {
  /** The task. */
  task: Task;
  /** Creation order, used as a page cursor. */
  ordinal: bigint;
}

/** Tasks, kept in creation order. */
export interface TaskRepository {
  /** A task by id. */
  get(id: string): Promise<Task | undefined>;
  /** Creates or replaces a task (a new one takes the next creation ordinal). */
  put(task: Task): Promise<void>;
  /** Tasks matching `query`, newest first. */
  list(query: TaskQuery): Promise<TaskRecord[]>;
}
