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
    listAfter: db.prepare<[string, number], { data: Buffer }>("SELECT data FROM instances WHERE name > ? ORDER BY name LIMIT ?"),
    count: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM instances"),
    names: db.prepare<[], { name: string }>("SELECT name FROM instances ORDER BY name"),
    put: db.prepare(
      "INSERT INTO instances (name, name_key, data) VALUES (?, lower(?), ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data",
    ),
    delete: db.prepare("DELETE FROM instances WHERE name = ?"),
    keyOf: db.prepare<[string], { key_id: string }>("SELECT key_id FROM instances WHERE name = ?"),
    setKey: db.prepare("UPDATE instances SET key_id = ? WHERE name = ?"),
    deleteSessionsOf: db.prepare("DELETE FROM sessions WHERE name = ?"),
    getSession: db.prepare<[string], { name: string; key_id: string }>("SELECT name, key_id FROM sessions WHERE token_hash = ?"),
    putSession: db.prepare("INSERT INTO sessions (token_hash, name, created_at, key_id) VALUES (?, ?, ?, ?)"),
    deleteSession: db.prepare("DELETE FROM sessions WHERE token_hash = ?"),
    deleteSessionsOfKey: db.prepare<[string], { name: string }>("DELETE FROM sessions WHERE key_id = ? RETURNING name"),
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
    listInstancesAfter: async (afterName, limit) => s.listAfter.all(afterName, limit).map(decode),
    countInstances: async () => s.count.get()!.n,
    instanceNames: async () => s.names.all().map((row) => row.name),
    putInstance: async (instance: Instance) => {
      s.put.run(instance.name, instance.name, Buffer.from(toBinary(InstanceSchema, instance)));
    },
    deleteInstance: async (name) => {
      s.delete.run(name);
      return s.deleteSessionsOf.run(name).changes;
    },
    instanceKey: async (name) => s.keyOf.get(name)?.key_id ?? "",
    setInstanceKey: async (name, keyId) => {
      s.setKey.run(keyId, name);
    },
    getSession: async (tokenHash) => {
      const row = s.getSession.get(tokenHash);
      return row && { name: row.name, keyId: row.key_id };
    },
    putSession: async (tokenHash, name, at, keyId = "") => {
      s.putSession.run(tokenHash, name, at, keyId);
    },
    deleteSession: async (tokenHash) => {
      s.deleteSession.run(tokenHash);
    },
    deleteSessionsOfKey: async (keyId) => s.deleteSessionsOfKey.all(keyId).map((row) => row.name),
  };
}
