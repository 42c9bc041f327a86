import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Instance, InstanceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type { IdentityRepository, SessionRecord } from "../identity-repository.js";
import type { Sql } from "./sql.js";

/** The sessions of the given token hashes that exist, by hash, in one query. */
export async function readSessions(sql: Sql, tokenHashes: string[]): Promise<Map<string, SessionRecord>> {
  const rows = await sql<{ token_hash: string; name: string; key_id: string }>("SELECT token_hash, name, key_id FROM sessions WHERE token_hash = ANY($1)", [tokenHashes]);
  return new Map(rows.map((row) => [row.token_hash, { name: row.name, keyId: row.key_id }]));
}

/** Instances and sessions in PostgreSQL. */
export function postgresIdentity(sql: Sql): IdentityRepository {
  const decode = (row: { data: Buffer }) => fromBinary(InstanceSchema, row.data);
  return {
    getInstance: async (name) => {
      const [row] = await sql<{ data: Buffer }>("SELECT data FROM instances WHERE name = $1", [name]);
      return row && decode(row);
    },
    hasInstance: async (name) => (await sql("SELECT 1 FROM instances WHERE name = $1", [name])).length > 0,
    nameTaken: async (name) => (await sql<{ name: string }>("SELECT name FROM instances WHERE name_key = lower($1)", [name]))[0]?.name,
    listInstances: async () => (await sql<{ data: Buffer }>("SELECT data FROM instances ORDER BY name")).map(decode),
    listInstancesAfter: async (afterName, limit) =>
      (await sql<{ data: Buffer }>("SELECT data FROM instances WHERE name > $1 ORDER BY name LIMIT $2", [afterName, limit])).map(decode),
    countInstances: async () => Number((await sql<{ n: string }>("SELECT COUNT(*) AS n FROM instances"))[0].n),
    instanceNames: async () => (await sql<{ name: string }>("SELECT name FROM instances ORDER BY name")).map((row) => row.name),
    putInstance: async (instance: Instance) => {
      await sql("INSERT INTO instances (name, name_key, data) VALUES ($1, lower($1), $2) ON CONFLICT (name) DO UPDATE SET data = excluded.data", [
        instance.name,
        Buffer.from(toBinary(InstanceSchema, instance)),
      ]);
    },
    deleteInstance: async (name) => {
      await sql("DELETE FROM instances WHERE name = $1", [name]);
      return (await sql("DELETE FROM sessions WHERE name = $1 RETURNING token_hash", [name])).length;
    },
    instanceKey: async (name) => (await sql<{ key_id: string }>("SELECT key_id FROM instances WHERE name = $1", [name]))[0]?.key_id ?? "",
    setInstanceKey: async (name, keyId) => {
      await sql("UPDATE instances SET key_id = $1 WHERE name = $2", [keyId, name]);
    },
    getSession: async (tokenHash) => {
      const [row] = await sql<{ name: string; key_id: string }>("SELECT name, key_id FROM sessions WHERE token_hash = $1", [tokenHash]);
      return row && { name: row.name, keyId: row.key_id };
    },
    putSession: async (tokenHash, name, at, keyId = "") => {
      await sql("INSERT INTO sessions (token_hash, name, created_at, key_id) VALUES ($1, $2, $3, $4)", [tokenHash, name, at, keyId]);
    },
    deleteSession: async (tokenHash) => {
      await sql("DELETE FROM sessions WHERE token_hash = $1", [tokenHash]);
    },
    deleteSessionsOfKey: async (keyId) => (await sql<{ name: string }>("DELETE FROM sessions WHERE key_id = $1 RETURNING name", [keyId])).map((row) => row.name),
  };
}
