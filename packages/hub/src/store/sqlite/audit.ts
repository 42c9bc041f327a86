import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type Database from "better-sqlite3";
import { type AuditEntry, AuditEntrySchema } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import type { AuditQuery, AuditRepository } from "../audit-repository.js";
import type { StatementCache } from "./statement-cache.js";

/** The audit log in SQLite; ids come from an AUTOINCREMENT key (one writer, so commit order). */
export function sqliteAudit(db: Database.Database, statements: StatementCache): AuditRepository {
  const s = {
    append: db.prepare("INSERT INTO audit (at, kind, data) VALUES (?, ?, ?)"),
    setData: db.prepare("UPDATE audit SET data = ? WHERE id = ?"),
    prune: db.prepare("DELETE FROM audit WHERE at < ?"),
  };
  return {
    append: async (entry: AuditEntry) => {
      const at = entry.at ? timestampMs(entry.at) : 0;
      const id = BigInt(s.append.run(at, entry.kind, Buffer.alloc(0)).lastInsertRowid);
      s.setData.run(Buffer.from(toBinary(AuditEntrySchema, { ...entry, id })), id);
      return id;
    },
    list: async (query: AuditQuery) => {
      const kinds = query.kinds.length > 0 ? ` AND kind IN (${query.kinds.map(() => "?").join(", ")})` : "";
      return statements
        .get<{ data: Buffer }>(`SELECT data FROM audit WHERE id > ?${kinds} ORDER BY id LIMIT ?`)
        .all(query.afterId, ...query.kinds, query.limit)
        .map((row) => fromBinary(AuditEntrySchema, row.data));
    },
    prune: async (before) => s.prune.run(before).changes,
  };
}
