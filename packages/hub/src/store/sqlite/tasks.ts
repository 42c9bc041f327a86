import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type Database from "better-sqlite3";
import { type Task, TaskSchema, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import type { TaskQuery, TaskRecord, TaskRepository } from "../task-repository.js";
import { bigintOf, type StatementCache } from "./statement-cache.js";

/** Tasks in SQLite, in creation order (`ordinal`, a counter of `meta`). */
export function sqliteTasks(db: Database.Database, statements: StatementCache, nextOrdinal: () => bigint): TaskRepository {
  const s = {
    get: db.prepare<[string], { data: Buffer }>("SELECT data FROM tasks WHERE id = ?"),
    ordinal: db.prepare<[string], { ordinal: number | bigint }>("SELECT ordinal FROM tasks WHERE id = ?"),
    put: db.prepare(
      "INSERT INTO tasks (id, ordinal, assigner, assignee, status, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET assigner = excluded.assigner, assignee = excluded.assignee, status = excluded.status, data = excluded.data",
    ),
  };
  const decode = (row: { data: Buffer }) => fromBinary(TaskSchema, row.data);
  return {
    get: async (id) => {
      const row = s.get.get(id);
      return row && decode(row);
    },
    put: async (task: Task) => {
      const existing = s.ordinal.get(task.id);
      const ordinal = existing ? existing.ordinal : nextOrdinal();
      s.put.run(task.id, ordinal, task.assigner, task.assignee, task.status, Buffer.from(toBinary(TaskSchema, task)));
    },
    list: async (query: TaskQuery): Promise<TaskRecord[]> => {
      const where: string[] = ["1 = 1"];
      const params: unknown[] = [];
      if (query.assignee !== undefined) {
        where.push("assignee = ?");
        params.push(query.assignee);
      }
      if (query.assigner !== undefined) {
        where.push("assigner = ?");
        params.push(query.assigner);
      }
      if (query.openOnly) where.push(`assignee = '' AND status = ${TaskStatus.PENDING}`);
      if (query.statuses.length > 0) {
        where.push(`status IN (${query.statuses.map(() => "?").join(", ")})`);
        params.push(...query.statuses);
      }
      if (query.beforeOrdinal !== undefined) {
        where.push("ordinal < ?");
        params.push(query.beforeOrdinal);
      }
      params.push(query.limit);
      return statements
        .get<{ data: Buffer; ordinal: number | bigint }>(`SELECT data, ordinal FROM tasks WHERE ${where.join(" AND ")} ORDER BY ordinal DESC LIMIT ?`)
        .all(...params)
        .map((row) => ({ task: decode(row), ordinal: bigintOf(row.ordinal) }));
    },
  };
}
