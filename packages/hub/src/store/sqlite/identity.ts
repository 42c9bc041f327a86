import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type Database from "better-sqlite3";
import { type Instance, InstanceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import type { IdentityRepository } from "../identity-repository.js";

/** Instances and sessions in SQLite. */
export function sqliteIdentity(db: Database.Database): IdentityRepository {
  const s = {
    get: db.prepare<[string], { data: Buffer }>("SELECT data FROM instances WHERE name = ?"),
    exists: db.prepare<[string], { found: number }>("SELECT 1 AS found FROM instances WHERE name = ?"),
    taken: db.prepare<[string], { name: string }>("SELECT name FROM instances WHERE name_key = lower(?)"),
    list: db.prepare<[], { data: Buffer }>("SELECT data FROM instances ORDER BY name"),
    names: db.prepare<[], { name: string }>("SELECT name FROM instances ORDER BY name"),
    put: db.prepare(
      "INSERT INTO instances (name, name_key, data) VALUES (?, lower(?), ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data",
    ),
    delete: db.prepare("DELETE FROM instances WHERE name = ?"),
    deleteSessionsOf: db.prepare("DELETE FROM sessions WHERE name = ?"),
    getSession: db.prepare<[string], { name: string }>("SELECT name FROM sessions WHERE token_hash = ?"),
    putSession: db.prepare("INSERT INTO sessions (token_hash, name, created_at) VALUES (?, ?, ?)"),
    deleteSession: db.prepare("DELETE FROM sessions WHERE token_hash = ?"),
  };
  const decode = (row: { data: Buffer }) => fromBinary(InstanceSchema, row.data);
  return {
    getInstance: async (name) => {
      const row = s.get.get(name);
      return row && decode(row);
    },
    hasInstance: async (name) => s.exists.get(name) !== undefined,
    nameTaken: async (name) => s.taken.get(name)?.name,
    listInstances: async () => s.list.all().map(decode),
    instanceNames: async () => s.names.all().map((row) => row.name),
    putInstance: async (instance: Instance) => {
      s.put.run(instance.name, instance.name, Buffer.from(toBinary(InstanceSchema, instance)));
    },
    deleteInstance: async (name) => {
      s.delete.run(name);
      s.deleteSessionsOf.run(name);
    },
    getSession: async (tokenHash) => s.getSession.get(tokenHash)?.name,
    putSession: async (tokenHash, name, at) => {
      s.putSession.run(tokenHash, name, at);
    },
    deleteSession: async (tokenHash) => {
      s.deleteSession.run(tokenHash);
    },
  };
}
