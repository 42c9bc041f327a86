import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type Database from "better-sqlite3";
import { type MemoryEntry, MemoryEntrySchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import type { MemoryQuery, MemoryRepository } from "../memory-repository.js";

/** Shared memory in SQLite; the revision counter is a row of `meta`. */
export function sqliteMemory(db: Database.Database, nextRevision: () => bigint): MemoryRepository {
  const s = {
    get: db.prepare<[string], { data: Buffer }>("SELECT data FROM memory WHERE key = ?"),
    put: db.prepare(
      "INSERT INTO memory (key, revision, expires_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET revision = excluded.revision, expires_at = excluded.expires_at, data = excluded.data",
    ),
    delete: db.prepare("DELETE FROM memory WHERE key = ?"),
    list: db.prepare<[{ after: string; prefix: string; limit: number }], { data: Buffer }>(
      "SELECT data FROM memory WHERE key > @after AND substr(key, 1, length(@prefix)) = @prefix ORDER BY key LIMIT @limit",
    ),
    usage: db.prepare<[], { keys: number; bytes: number | null }>("SELECT COUNT(*) AS keys, SUM(length(key) + length(data)) AS bytes FROM memory"),
    expired: db.prepare<[number, number], { data: Buffer }>(
      "SELECT data FROM memory WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, key LIMIT ?",
    ),
  };
  const decode = (row: { data: Buffer }) => fromBinary(MemoryEntrySchema, row.data);
  return {
    get: async (key) => {
      const row = s.get.get(key);
      return row && decode(row);
    },
    put: async (entry: MemoryEntry) => {
      s.put.run(entry.key, entry.revision, entry.expiresAt ? timestampMs(entry.expiresAt) : null, Buffer.from(toBinary(MemoryEntrySchema, entry)));
    },
    delete: async (key) => {
      s.delete.run(key);
    },
    list: async (query: MemoryQuery) => s.list.all({ after: query.afterKey, prefix: query.prefix, limit: query.limit }).map(decode),
    expired: async (now, limit) => s.expired.all(now, limit).map(decode),
    usage: async () => {
      const row = s.usage.get()!;
      return { keys: row.keys, bytes: row.bytes ?? 0 };
    },
    nextRevision: async () => nextRevision(),
  };
}
