import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type MemoryEntry, MemoryEntrySchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import type { MemoryQuery, MemoryRepository } from "../memory-repository.js";
import type { Sql } from "./sql.js";

/** Shared memory in PostgreSQL; the revision counter is a row of `meta`. */
export function postgresMemory(sql: Sql, nextRevision: () => Promise<bigint>): MemoryRepository {
  const decode = (row: { data: Buffer }) => fromBinary(MemoryEntrySchema, row.data);
  return {
    get: async (key) => {
      const [row] = await sql<{ data: Buffer }>("SELECT data FROM memory WHERE key = $1", [key]);
      return row && decode(row);
    },
    usage: async () => {
      const [row] = await sql<{ keys: string; bytes: string | null }>("SELECT COUNT(*) AS keys, SUM(octet_length(key) + octet_length(data)) AS bytes FROM memory");
      return { keys: Number(row.keys), bytes: Number(row.bytes ?? 0) };
    },
    put: async (entry: MemoryEntry) => {
      await sql(
        "INSERT INTO memory (key, revision, expires_at, data) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET revision = excluded.revision, expires_at = excluded.expires_at, data = excluded.data",
        [entry.key, entry.revision, entry.expiresAt ? timestampMs(entry.expiresAt) : null, Buffer.from(toBinary(MemoryEntrySchema, entry))],
      );
    },
    delete: async (key) => {
      await sql("DELETE FROM memory WHERE key = $1", [key]);
    },
    list: async (query: MemoryQuery) =>
      (
        await sql<{ data: Buffer }>(
          `SELECT data FROM memory WHERE key > $1 AND left(key, length($2)) = $2 ORDER BY key LIMIT $3`,
          [query.afterKey, query.prefix, query.limit],
        )
      ).map(decode),
    expired: async (now, limit) =>
      (await sql<{ data: Buffer }>(`SELECT data FROM memory WHERE expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at, key LIMIT $2`, [now, limit])).map(decode),
    nextRevision,
  };
}
