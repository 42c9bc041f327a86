import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type AuditEntry, AuditEntrySchema } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import type { AuditQuery, AuditRepository } from "../audit-repository.js";
import type { Sql } from "./sql.js";

/** The audit log in PostgreSQL; ids come from a counter row taken under the write lock, so in commit order. */
export function postgresAudit(sql: Sql): AuditRepository {
  return {
    append: async (entry: AuditEntry) => {
      const [{ value }] = await sql<{ value: string }>("UPDATE meta SET value = value + 1 WHERE key = 'audit_id' RETURNING value");
      const id = BigInt(value);
      await sql("INSERT INTO audit (id, at, kind, data) VALUES ($1, $2, $3, $4)", [
        id,
        entry.at ? timestampMs(entry.at) : 0,
        entry.kind,
        Buffer.from(toBinary(AuditEntrySchema, { ...entry, id })),
      ]);
      return id;
    },
    list: async (query: AuditQuery) =>
      (
        await sql<{ data: Buffer }>("SELECT data FROM audit WHERE id > $1 AND (cardinality($2::int[]) = 0 OR kind = ANY($2)) ORDER BY id LIMIT $3", [
          query.afterId,
          query.kinds,
          query.limit,
        ])
      ).map((row) => fromBinary(AuditEntrySchema, row.data)),
    prune: async (before) => (await sql("DELETE FROM audit WHERE at < $1 RETURNING id", [before])).length,
  };
}
