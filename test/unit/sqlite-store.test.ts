import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { InstanceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { MemoryEntrySchema } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { SQLITE_SCHEMA_VERSION } from "../../packages/hub/src/store/sqlite/migrations.js";
import { SqliteStore } from "../../packages/hub/src/store/sqlite/sqlite-store.js";
import { SchemaError, StoreBusyError } from "../../packages/hub/src/store/store-errors.js";
import { tempDir } from "../support/temp-dir.js";

const V1_SCHEMA = readFileSync(join(import.meta.dirname, "fixtures/schema-v1.sql"), "utf8");

/** A hub.db as Linker 0.1.0 left it: its schema, two instances whose names differ only in case, a message, a broadcast and a memory key. */
function previousVersionDatabase(path: string): void {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(V1_SCHEMA);
  const instance = (name: string) => Buffer.from(toBinary(InstanceSchema, create(InstanceSchema, { name, description: `${name}'s` })));
  db.prepare("INSERT INTO instances (name, data) VALUES (?, ?)").run("Alice", instance("Alice"));
  db.prepare("INSERT INTO instances (name, data) VALUES (?, ?)").run("alice", instance("alice"));
  db.prepare("INSERT INTO instances (name, data) VALUES (?, ?)").run("bob", instance("bob"));
  const message = create(MessageSchema, { id: "m1", sender: "Alice", recipient: "bob", body: "kept", threadId: "m1", sentAt: timestampFromMs(1000) });
  db.prepare("UPDATE meta SET value = 1 WHERE key = 'message_ordinal'").run();
  db.prepare("INSERT INTO messages (id, ordinal, sender, recipient, thread_id, sent_at, data) VALUES ('m1', 1, 'Alice', 'bob', 'm1', 1000, ?)").run(
    Buffer.from(toBinary(MessageSchema, message)),
  );
  db.prepare("INSERT INTO events (audience, type, at, message_id) VALUES ('bob', 1, 1000, 'm1')").run();
  // A broadcast as this schema stored it: one event per recipient.
  const broadcast = create(MessageSchema, { id: "b1", sender: "Alice", recipient: "*", body: "to all", threadId: "b1", sentAt: timestampFromMs(1000) });
  db.prepare("INSERT INTO messages (id, ordinal, sender, recipient, thread_id, sent_at, data) VALUES ('b1', 2, 'Alice', '*', 'b1', 1000, ?)").run(
    Buffer.from(toBinary(MessageSchema, broadcast)),
  );
  db.prepare("UPDATE meta SET value = 2 WHERE key = 'message_ordinal'").run();
  db.prepare("INSERT INTO events (audience, type, at, message_id) VALUES ('alice', 1, 1000, 'b1'), ('bob', 1, 1000, 'b1')").run();
  db.prepare("UPDATE meta SET value = 7 WHERE key = 'memory_revision'").run();
  db.prepare("INSERT INTO memory (key, revision, data) VALUES ('k', 7, ?)").run(
    Buffer.from(toBinary(MemoryEntrySchema, create(MemoryEntrySchema, { key: "k", value: "v", revision: 7n }))),
  );
  db.close();
}

function schemaVersionOf(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'schema_version'").get()!.value;
  } finally {
    db.close();
  }
}

describe("SQLite store: schema and files", () => {
  const stores: SqliteStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  });
  const open = (path: string, options: { busyTimeoutMs?: number } = {}) => {
    const store = new SqliteStore({ path, ...options });
    stores.push(store);
    return store;
  };

  it("migrates a database made by the previous schema forward and keeps its data", async () => {
    const path = join(tempDir(), "hub.db");
    previousVersionDatabase(path);
    expect(schemaVersionOf(path)).toBe(1);
    const store = open(path);
    expect(schemaVersionOf(path)).toBe(SQLITE_SCHEMA_VERSION);
    await store.transaction(async (tx) => {
      expect((await tx.identity.listInstances()).map((i) => i.name)).toEqual(["Alice", "alice", "bob"]);
      expect((await tx.messages.listInbox({ recipient: "bob", unreadOnly: true, sender: "", afterSeq: 0n, limit: 10, now: 2000 })).map((m) => m.body)).toEqual(["kept", "to all"]);
      expect(await tx.messages.recipientsOf("b1")).toEqual(["alice", "bob"]);
      expect((await tx.messages.markRead("bob", ["b1"], 3000)).map((m) => m.id)).toEqual(["b1"]);
      expect(await tx.messages.countUnread("alice", 3000)).toBe(1);
      expect((await tx.events.read({ audiences: ["bob", "*"], viewer: "bob", afterSeq: 0n, limit: 10, types: [], now: 3000 })).map((e) => e.seq)).toEqual([1n, 3n]);
      expect((await tx.memory.get("k"))?.value).toBe("v");
      expect(await tx.memory.nextRevision()).toBe(8n);
      // The older of the two case-twins keeps the case-insensitive key; new names cannot collide with either.
      expect(await tx.identity.nameTaken("ALICE")).toBe("Alice");
      expect(await tx.identity.nameTaken("BOB")).toBe("bob");
      expect(await tx.identity.nameTaken("carol")).toBeUndefined();
    });
  });

  it("refuses a database written by a newer schema and leaves it untouched", async () => {
    const path = join(tempDir(), "hub.db");
    open(path);
    await stores.pop()!.close();
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = 99 WHERE key = 'schema_version'").run();
    db.close();
    expect(() => open(path)).toThrow(SchemaError);
    expect(() => open(path)).toThrow(/schema version 99, newer than this hub knows/);
    expect(schemaVersionOf(path)).toBe(99);
  });

  it("refuses an emptied, a foreign and a corrupt file with what to do, and creates a missing one", async () => {
    const dir = tempDir();
    const empty = join(dir, "empty.db");
    writeFileSync(empty, "");
    expect(() => open(empty)).toThrow(/is empty \(0 bytes\).*restore it from a backup, or start the hub with --reset/);
    const foreign = join(dir, "foreign.db");
    const db = new Database(foreign);
    db.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY)");
    db.close();
    expect(() => open(foreign)).toThrow(/another program, not a Linker hub's/);
    const corrupt = join(dir, "corrupt.db");
    writeFileSync(corrupt, Buffer.alloc(8192, 7));
    expect(() => open(corrupt)).toThrow(/corrupt or not a database.*restore it from a backup/);
    const fresh = open(join(dir, "sub", "hub.db"));
    expect(await fresh.transaction((tx) => tx.events.head())).toBe(0n);
    // Created whole, under a temporary name linked into place: no empty file, nothing left over.
    expect(readdirSync(join(dir, "sub")).filter((file) => !/^hub\.(db(-wal|-shm)?|lock.*)$/.test(file))).toEqual([]);
    expect(statSync(join(dir, "sub", "hub.db")).size).toBeGreaterThan(0);
  });

  it("answers UNAVAILABLE when another process holds the write lock, and goes on once it is released", async () => {
    const path = join(tempDir(), "hub.db");
    const store = open(path, { busyTimeoutMs: 100 });
    await store.transaction((tx) => tx.memory.nextRevision());
    const other = new Database(path);
    other.pragma("busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE");
    const write = (n: number) => store.transaction((tx) => tx.memory.put(create(MemoryEntrySchema, { key: `k${n}`, value: "v", revision: BigInt(n) })));
    const failures = await Promise.allSettled([write(1), write(2), write(3)]);
    for (const failure of failures) {
      expect(failure.status).toBe("rejected");
      const reason = (failure as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(StoreBusyError);
      expect(reason.message).toMatch(/locked by another process/);
    }
    other.exec("ROLLBACK");
    other.close();
    await write(4);
    expect((await store.transaction((tx) => tx.memory.get("k4")))?.value).toBe("v");
    expect(await store.transaction((tx) => tx.memory.get("k1"))).toBeUndefined();
  });
});
