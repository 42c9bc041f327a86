import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type Database from "better-sqlite3";
import { type AgentKey, AgentKeySchema } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import type { CredentialRepository, KeyRecord } from "../credential-repository.js";

interface KeyRow {
  secret_hash: string;
  data: Buffer;
}

/** Agent keys in SQLite. */
export function sqliteCredentials(db: Database.Database): CredentialRepository {
  const s = {
    insert: db.prepare("INSERT INTO agent_keys (id, secret_hash, created_at, data) VALUES (?, ?, ?, ?)"),
    update: db.prepare("UPDATE agent_keys SET data = ? WHERE id = ?"),
    get: db.prepare<[string], KeyRow>("SELECT secret_hash, data FROM agent_keys WHERE id = ?"),
    bySecret: db.prepare<[string], KeyRow>("SELECT secret_hash, data FROM agent_keys WHERE secret_hash = ?"),
    list: db.prepare<[], KeyRow>("SELECT secret_hash, data FROM agent_keys ORDER BY created_at, id"),
  };
  const record = (row: KeyRow | undefined): KeyRecord | undefined =>
    row && { key: fromBinary(AgentKeySchema, row.data), secretHash: row.secret_hash };
  const encode = (key: AgentKey) => Buffer.from(toBinary(AgentKeySchema, key));
  return {
    insertKey: async ({ key, secretHash }) => {
      s.insert.run(key.id, secretHash, key.createdAt ? timestampMs(key.createdAt) : 0, encode(key));
    },
    updateKey: async (key) => {
      s.update.run(encode(key), key.id);
    },
    getKey: async (id) => record(s.get.get(id)),
    findBySecretHash: async (hash) => record(s.bySecret.get(hash)),
    listKeys: async (includeRevoked) =>
      s.list
        .all()
        .map((row) => fromBinary(AgentKeySchema, row.data))
        .filter((key) => includeRevoked || key.revokedAt === undefined),
  };
}
