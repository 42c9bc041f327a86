import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Instance, InstanceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type { IdentityRepository } from "../identity-repository.js";
import type { Sql } from "./sql.js";

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
    instanceNames: async () => (await sql<{ name: string }>("SELECT name FROM instances ORDER BY name")).map((row) => row.name),
    putInstance: async (instance: Instance) => {
      await sql("INSERT INTO instances (name, name_key, data) VALUES ($1, lower($1), $2) ON CONFLICT (name) DO UPDATE SET data = excluded.data", [
        instance.name,
        Buffer.from(toBinary(InstanceSchema, instance)),
      ]);
    },
    deleteInstance: async (name) => {
      await sql("DELETE FROM instances WHERE name = $1", [name]);
      await sql("DELETE FROM sessions WHERE name = $1", [name]);
    },
    getSession: async (tokenHash) => (await sql<{ name: string }>("SELECT name FROM sessions WHERE token_hash = $1", [tokenHash]))[0]?.name,
    putSession: async (tokenHash, name, at) => {
      await sql("INSERT INTO sessions (token_hash, name, created_at) VALUES ($1, $2, $3)", [tokenHash, name, at]);
    },
    deleteSession: async (tokenHash) => {
      await sql("DELETE FROM sessions WHERE token_hash = $1", [tokenHash]);
    },
  };
}
