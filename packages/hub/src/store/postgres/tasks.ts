import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Task, TaskSchema, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import type { TaskQuery, TaskRecord, TaskRepository } from "../task-repository.js";
import { bigintOf, type Sql } from "./sql.js";

/** Tasks in PostgreSQL, in creation order (`ordinal`, a counter of `meta`). */
export function postgresTasks(sql: Sql, nextOrdinal: () => Promise<bigint>): TaskRepository {
  const decode = (row: { data: Buffer }) => fromBinary(TaskSchema, row.data);
  return {
    get: async (id) => {
      const [row] = await sql<{ data: Buffer }>("SELECT data FROM tasks WHERE id = $1", [id]);
      return row && decode(row);
    },
    put: async (task: Task) => {
      const [existing] = await sql<{ ordinal: string }>("SELECT ordinal FROM tasks WHERE id = $1", [task.id]);
      const ordinal = existing ? existing.ordinal : await nextOrdinal();
      await sql(
        "INSERT INTO tasks (id, ordinal, assigner, assignee, status, data) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET assigner = excluded.assigner, assignee = excluded.assignee, status = excluded.status, data = excluded.data",
        [task.id, ordinal, task.assigner, task.assignee, task.status, Buffer.from(toBinary(TaskSchema, task))],
      );
    },
    list: async (query: TaskQuery): Promise<TaskRecord[]> => {
      const where: string[] = ["TRUE"];
      const values: unknown[] = [];
      const param = (value: unknown) => {
        values.push(value);
        return `$${values.length}`;
      };
      if (query.assignee !== undefined) where.push(`assignee = ${param(query.assignee)}`);
      if (query.assigner !== undefined) where.push(`assigner = ${param(query.assigner)}`);
      if (query.openOnly) where.push(`assignee = '' AND status = ${TaskStatus.PENDING}`);
      if (query.statuses.length > 0) where.push(`status = ANY(${param(query.statuses)})`);
      if (query.beforeOrdinal !== undefined) where.push(`ordinal < ${param(query.beforeOrdinal)}`);
      const rows = await sql<{ data: Buffer; ordinal: string }>(
        `SELECT data, ordinal FROM tasks WHERE ${where.join(" AND ")} ORDER BY ordinal DESC LIMIT ${param(query.limit)}`,
        values,
      );
      return rows.map((row) => ({ task: decode(row), ordinal: bigintOf(row.ordinal) }));
    },
  };
}
