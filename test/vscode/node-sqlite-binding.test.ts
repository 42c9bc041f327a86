import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { nodeSqliteRuntime } from "../support/node-sqlite-runtime.js";
import { tempDir } from "../support/temp-dir.js";

const node22 = nodeSqliteRuntime();
const BINDING = join(import.meta.dirname, "../../packages/vscode/src/hub-process/node-sqlite-binding.ts");

/** Runs `body` (with `Database` in scope: the binding) under the Node that has node:sqlite; returns what it printed as JSON. */
let bundle: (body: string) => Promise<unknown>;

beforeAll(() => {
  const dir = tempDir("node-sqlite-binding-");
  let n = 0;
  bundle = async (body) => {
    n += 1;
    const entry = join(dir, `case-${n}.ts`);
    writeFileSync(entry, `import Database, { SqliteError } from ${JSON.stringify(BINDING)};\nconst out = (value: unknown) => process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? \`\${v}n\` : v)));\nvoid SqliteError;\n${body}\n`);
    const outfile = join(dir, `case-${n}.cjs`);
    await build({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "cjs", target: "node22", logLevel: "error" });
    return JSON.parse(execFileSync(node22!, ["--disable-warning=ExperimentalWarning", outfile], { encoding: "utf8" })) as unknown;
  };
});

describe.skipIf(!node22)("better-sqlite3's API on node:sqlite", () => {
  it("binds positional, array and named values the way better-sqlite3 does, and returns BLOBs as Buffer", async () => {
    const result = await bundle(`
      const db = new Database(":memory:");
      db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, at INTEGER, data BLOB)");
      const insert = db.prepare("INSERT INTO t (name, at, data) VALUES (?, ?, ?)");
      const first = insert.run("a", 1, Buffer.from("one"));
      insert.run(["b", 2, Buffer.from("two")]);
      db.prepare("INSERT INTO t (name, at, data) VALUES (@name, @at, NULL)").run({ name: "c", at: 3 });
      const row = db.prepare("SELECT name, data FROM t WHERE id = ?").get(first.lastInsertRowid);
      out({
        first,
        isBuffer: Buffer.isBuffer(row.data),
        text: row.data.toString("utf8"),
        names: db.prepare("SELECT name FROM t WHERE at >= :from ORDER BY at").pluck().all({ from: 2 }),
        raw: db.prepare("SELECT name, at FROM t ORDER BY at LIMIT 1").raw().get(),
        iterated: [...db.prepare("SELECT at FROM t ORDER BY at").pluck().iterate()],
        missing: db.prepare("SELECT name FROM t WHERE id = 99").get() ?? null,
        journal: new Database(":memory:").pragma("journal_mode", { simple: true }),
        busy: db.pragma("busy_timeout", { simple: true }),
      });
    `);
    expect(result).toEqual({
      first: { changes: 1, lastInsertRowid: 1 },
      isBuffer: true,
      text: "one",
      names: ["b", "c"],
      raw: ["a", 1],
      iterated: [1, 2, 3],
      missing: null,
      journal: "memory",
      busy: 5000,
    });
  });

  it("throws SqliteError with better-sqlite3's codes", async () => {
    const result = await bundle(`
      const db = new Database(":memory:");
      db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL); CREATE UNIQUE INDEX t_v ON t (v)");
      db.prepare("INSERT INTO t VALUES (?, ?)").run("a", "x");
      const codes = [];
      for (const [sql, params] of [["INSERT INTO t VALUES (?, ?)", ["a", "y"]], ["INSERT INTO t VALUES (?, ?)", ["b", "x"]], ["INSERT INTO t VALUES (?, NULL)", ["c"]], ["SELEC 1", []]]) {
        try { db.prepare(sql).run(...params); } catch (err) { codes.push([err instanceof SqliteError, err instanceof Database.SqliteError, err.code]); }
      }
      out(codes);
    `);
    expect(result).toEqual([
      [true, true, "SQLITE_CONSTRAINT_PRIMARYKEY"],
      [true, true, "SQLITE_CONSTRAINT_UNIQUE"],
      [true, true, "SQLITE_CONSTRAINT_NOTNULL"],
      [true, true, "SQLITE_ERROR"],
    ]);
  });

  it("reports SQLITE_BUSY when another connection holds the write lock past the timeout", async () => {
    const file = join(tempDir("node-sqlite-busy-"), "busy.db");
    const result = await bundle(`
      const a = new Database(${JSON.stringify(file)});
      a.pragma("journal_mode = WAL");
      a.exec("CREATE TABLE t (v INTEGER)");
      const b = new Database(${JSON.stringify(file)}, { timeout: 50 });
      a.exec("BEGIN IMMEDIATE");
      let code = "none";
      try { b.exec("BEGIN IMMEDIATE"); } catch (err) { code = err.code; }
      a.exec("ROLLBACK");
      out({ code, journal: a.pragma("journal_mode", { simple: true }) });
    `);
    expect(result).toEqual({ code: "SQLITE_BUSY", journal: "wal" });
  });

  it("knows when a transaction is open, also on a Node without isTransaction, and nests transaction() in savepoints", async () => {
    const result = await bundle(`
      const { DatabaseSync } = process.getBuiltinModule("node:sqlite");
      const states = [];
      for (const hide of [false, true]) {
        if (hide) Object.defineProperty(DatabaseSync.prototype, "isTransaction", { get: () => undefined, configurable: true });
        const db = new Database(":memory:");
        db.exec("CREATE TABLE t (v INTEGER)");
        const before = db.inTransaction;
        db.prepare("BEGIN IMMEDIATE").run();
        const inside = db.inTransaction;
        db.prepare("INSERT INTO t VALUES (1)").run();
        db.prepare("COMMIT").run();
        const insert = db.transaction((v) => db.prepare("INSERT INTO t VALUES (?)").run(v));
        const outer = db.transaction(() => {
          insert(2);
          try { db.transaction(() => { insert(3); throw new Error("inner fails"); })(); } catch {}
          return db.inTransaction;
        });
        const during = outer.immediate();
        try { db.transaction(() => { insert(4); throw new Error("outer fails"); })(); } catch {}
        states.push({ before, inside, during, after: db.inTransaction, rows: db.prepare("SELECT v FROM t ORDER BY v").pluck().all(), open: db.open });
        db.close();
        states.push({ closed: db.open, inTransaction: db.inTransaction });
      }
      out(states);
    `);
    const once = [{ before: false, inside: true, during: true, after: false, rows: [1, 2], open: true }, { closed: false, inTransaction: false }];
    expect(result).toEqual([...once, ...once]);
  });
});
