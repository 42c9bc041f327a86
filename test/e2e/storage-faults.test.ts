import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { registerAgent } from "../support/clients.js";
import { connectErrorOf, killAll, launchHub, removeTempDirs, spawnHub, tempDir, transports } from "./harness.js";

describe("a hub process and its database", () => {
  afterEach(() => killAll());
  afterAll(removeTempDirs);

  it("answers UNAVAILABLE while another process locks hub.db, lives on, and writes again once the lock is gone", async () => {
    const hub = await launchHub({ args: ["--sqlite-busy-timeout", "100"] });
    const alice = await registerAgent(transports(hub.url, "connect"), "alice");
    const other = new Database(join(hub.dataDir, "hub.db"));
    other.pragma("busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE");
    const error = await connectErrorOf(alice.client.putMemory({ key: "build/status", value: "red" }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/locked by another process.*retry/);
    other.exec("ROLLBACK");
    other.close();
    const written = await alice.client.putMemory({ key: "build/status", value: "green" });
    expect(written.entry?.value).toBe("green");
    expect(hub.child.exitCode).toBeNull();
    expect(hub.stderr()).not.toMatch(/unhandled|uncaught/i);
  });

  it("refuses to start on a database of a newer schema, saying so, and leaves it as it was", async () => {
    const dataDir = tempDir();
    const first = await launchHub({ dataDir });
    await first.stop("SIGTERM");
    const db = new Database(join(dataDir, "hub.db"));
    db.prepare("UPDATE meta SET value = 99 WHERE key = 'schema_version'").run();
    db.close();
    const second = spawnHub({ dataDir });
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(/schema version 99, newer than this hub knows/);
    const after = new Database(join(dataDir, "hub.db"), { readonly: true });
    expect(after.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({ value: 99 });
    after.close();
  });
});
