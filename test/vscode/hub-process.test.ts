import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { HubRuntimeUnavailableError, hubProcessStarter, LinkerClient, LinkerError, MemorySessionStore, probeHub } from "@linker/client";
import { bundleHubProcess } from "../../packages/vscode/bundle.js";
import { startTestHub } from "../client/support/hubs.js";
import { nodeSqliteRuntime } from "../support/node-sqlite-runtime.js";
import { tempDir } from "../support/temp-dir.js";
import { waitFor } from "./wait-for.js";

const node22 = nodeSqliteRuntime();
let script: string;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  script = await bundleHubProcess({ outfile: join(tempDir("hub-process-bundle-"), "hub-process.cjs") });
}, 60_000);
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});
afterAll(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

const sessions = new Map<string, MemorySessionStore>();
async function client(name: string, url: string): Promise<LinkerClient> {
  if (!sessions.has(name)) sessions.set(name, new MemorySessionStore());
  // One hub state on several ports: the sessions are keyed by it, not by the URL.
  const connected = await LinkerClient.connect({ name, hubs: url, sessions: sessions.get(name), hubKey: "db:hub-process-test" });
  cleanup.push(() => connected.close());
  return connected;
}

describe("the .vsix hub child process", () => {
  it("tells clearly that a runtime without node:sqlite cannot run it", async () => {
    const start = hubProcessStarter({ runtime: process.execPath, script });
    const err = await start({ host: "127.0.0.1", port: 0, dataDir: tempDir() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubRuntimeUnavailableError);
    expect((err as Error).message).toBe(`${process.execPath} cannot run the hub: Node ${process.version}: node:sqlite is missing; the hub needs Node 22.13 or newer`);
  });

  it("refuses to bind anything but a loopback address, and bad arguments, before touching the store", async () => {
    const runOnce = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((done) => {
        const child = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "ignore"] });
        let out = "";
        child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
        child.once("exit", (code) => done({ code, out }));
      });
    const exposed = await runOnce(["--host", "0.0.0.0", "--port", "0", "--data-dir", tempDir()]);
    expect(exposed.code).toBe(1);
    expect(JSON.parse(exposed.out)).toEqual({ event: "failed", message: "a hub child process only binds a loopback address, not 0.0.0.0" });
    const garbage = await runOnce(["--port", "abc", "--host", "127.0.0.1", "--data-dir", "/x"]);
    expect(garbage.code).toBe(1);
    expect((JSON.parse(garbage.out) as { message: string }).message).toMatch(/^usage: hub-process --host <loopback address> --port <port> --data-dir <folder>/);
  });

  it.skipIf(!node22)(
    "serves the same hub.db as a better-sqlite3 hub, both ways, and loses nothing to SIGKILL",
    async () => {
      const dataDir = tempDir("hub-process-db-");
      const first = await startTestHub({ dataDir });
      const alice = await client("alice", first.url);
      await client("bob", first.url);
      await alice.send({ recipient: "bob", body: "one" });
      await alice.send({ recipient: "bob", body: "two" });
      const created = await alice.putMemory({ key: "release/version", value: "1.4.2", expectedRevision: 0n });
      const task = await alice.createTask({ title: "Write the release notes" });
      for (const step of cleanup.splice(0).reverse()) await step();
      await first.close();

      const child = await hubProcessStarter({ runtime: node22!, script })({ host: "127.0.0.1", port: 0, dataDir });
      cleanup.push(() => child.close());
      expect(child.store).toMatch(/^node:sqlite \(SQLite 3\.\d+\.\d+\)$/);
      expect(child.runtimeVersion).toMatch(/^Node v2[2-9]\./);
      const bob = await client("bob", child.url);
      expect((await bob.listMessages({})).messages.map((message) => message.body)).toEqual(["one", "two"]);
      expect(await bob.getMemory({ key: "release/version" })).toMatchObject({ value: "1.4.2", revision: created.revision });
      const updated = await bob.putMemory({ key: "release/version", value: "1.4.3", expectedRevision: created.revision });
      const stale = await bob.putMemory({ key: "release/version", value: "stale", expectedRevision: created.revision }).catch((err: unknown) => err);
      expect(stale).toBeInstanceOf(LinkerError);
      expect([Code.FailedPrecondition, Code.Aborted]).toContain((stale as LinkerError).code);
      const claimed = await bob.claimTask({ taskId: task.id });
      expect(claimed.assignee).toBe("bob");
      const carol = await client("carol", child.url);
      await expect(carol.claimTask({ taskId: task.id })).rejects.toBeInstanceOf(LinkerError);
      await bob.send({ recipient: "alice", body: "three" });
      for (const step of cleanup.splice(0).reverse().slice(0, -1)) await step();
      process.kill(child.pid, "SIGKILL");
      expect(await child.exited).toBe("SIGKILL");

      const third = await startTestHub({ dataDir });
      cleanup.push(() => third.close());
      const back = await client("alice", third.url);
      expect((await back.listMessages({})).messages.map((message) => message.body)).toEqual(["three"]);
      expect(await back.getMemory({ key: "release/version" })).toMatchObject({ value: "1.4.3", revision: updated.revision });
      expect(await back.getTask({ taskId: task.id })).toMatchObject({ status: claimed.status, assignee: "bob", revision: claimed.revision });
    },
    60_000,
  );

  it.skipIf(!node22)(
    "stops gracefully when the process that started it dies",
    async () => {
      const dataDir = tempDir("hub-process-orphan-");
      // A parent that starts the hub child with a stdin pipe, as hubProcessStarter does, and is then killed.
      const parent = spawn(
        process.execPath,
        [
          "-e",
          `const { spawn } = require("node:child_process");
           const child = spawn(${JSON.stringify(node22)}, [${JSON.stringify(script)}, "--host", "127.0.0.1", "--port", "0", "--data-dir", ${JSON.stringify(dataDir)}], { stdio: ["pipe", "pipe", "ignore"] });
           child.stdout.on("data", (chunk) => process.stdout.write(chunk));
           setInterval(() => {}, 1000);`,
        ],
        { stdio: ["ignore", "pipe", "ignore"] },
      );
      cleanup.push(async () => void parent.kill("SIGKILL"));
      let out = "";
      parent.stdout!.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      const report = await waitFor("the child's listening report", () => /\{"event":"listening"[^\n]*\}/.exec(out)?.[0], 20_000);
      const { url, pid } = JSON.parse(report) as { url: string; pid: number };
      cleanup.push(async () => {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      });
      expect(await probeHub(url)).toBe("serving");
      parent.kill("SIGKILL");
      await waitFor("the orphaned hub to stop", async () => (await probeHub(url, 300)) === "unreachable", 15_000);
      await waitFor("the hub child to exit", () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 15_000);
      // A graceful stop checkpoints the WAL into hub.db and truncates it.
      const wal = join(dataDir, "hub.db-wal");
      expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    },
    40_000,
  );
});
