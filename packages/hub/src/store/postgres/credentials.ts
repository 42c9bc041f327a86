import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type AgentKey, AgentKeySchema } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import type { CredentialRepository, KeyRecord } from "../credential-repository.js";
import type { Sql } from "./sql.js";

interface KeyRow {
  secret_hash: string;
  data: Buffer;
}

/** Agent keys in PostgreSQL. */
export function postgresCredentials(sql: Sql): CredentialRepository {
  const record = (row: KeyRow | undefined): KeyRecord | undefined =>
    row && { key: fromBinary(AgentKeySchema, row.data), secretHash: row.secret_hash };
  const encode = (key: AgentKey) => Buffer.from(toBinary(AgentKeySchema, key));
  return {
    insertKey: async ({ key, secretHash }) => {
      await sql("INSERT INTO agent_keys (id, secret_hash, created_at, data) VALUES ($1, $2, $3, $4)", [
        key.id,
        secretHash,
        key.createdAt ? timestampMs(key.createdAt) : 0,
        encode(key),
      ]);
    },
    updateKey: async (key) => {
      await sql("UPDATE agent_keys SET data = $1 WHERE id = $2", [encode(key), key.id]);
    },
    getKey: async (id) => record((await sql<KeyRow>("SELECT secret_hash, data FROM agent_keys WHERE id = $1", [id]))[0]),
    findBySecretHash: async (hash) => record((await sql<KeyRow>("SELECT secret_hash, data FROM agent_keys WHERE secret_hash = $1", [hash]))[0]),
    listKeys: async (includeRevoked) =>
      (await sql<KeyRow>("SELECT secret_hash, data FROM agent_keys ORDER BY created_at, id"))
        .map((row) => fromBinary(AgentKeySchema, row.data))
        .filter((key) => includeRevoked || key.revokedAt === undefined),
  };
}
