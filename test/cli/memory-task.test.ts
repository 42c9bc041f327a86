import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";
import { Agent, killAll, removeTempDirs } from "./cli-process.js";

interface JsonEntry {
  key: string;
  value: string;
  revision: string;
  updatedBy: string;
}

interface JsonTask {
  id: string;
  title: string;
  description: string;
  assigner: string;
  assignee: string;
  status: string;
  result: string;
  revision: string;
  notes: { author: string; text: string }[];
}

describe.concurrent("linker memory and linker task", { timeout: 60_000 }, () => {
  let hub: HubProcess;

  beforeAll(async () => {
    hub = await startHubProcess();
  });

  afterAll(async () => {
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("memory put, get, ls and rm, with --if-revision conflicts exiting 4", async () => {
    const alice = new Agent("mem-alice", hub.url);
    const bob = new Agent("mem-bob", hub.url);
    const created = await alice.json<JsonEntry>(["memory", "put", "--if-revision", "0", "api/port", "8080"]);
    expect([created.key, created.value, created.updatedBy]).toEqual(["api/port", "8080", "mem-alice"]);

    const [again, get, getJson, badRevision, badKey] = await Promise.all([
      bob.run(["memory", "put", "--if-revision", "0", "api/port", "9090"]),
      bob.run(["memory", "get", "api/port"]),
      bob.json<JsonEntry>(["memory", "get", "api/port"]),
      alice.run(["memory", "put", "--if-revision", "-3", "api/port", "v"]),
      alice.run(["memory", "put", "bad key!", "v"]),
    ]);
    expect(badRevision.code).toBe(1);
    expect(badRevision.stderr).toMatch(/^linker: option '--if-revision <n>' argument '-3' is invalid/m);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/^linker: .*key/m);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain(`linker: memory key "api/port" already exists (revision ${created.revision})`);
    expect(again.stderr).toContain(`overwrite with --if-revision ${created.revision}`);
    expect(get.stdout).toBe("8080\n");
    expect(getJson.revision).toBe(created.revision);

    const updated = await bob.run(["memory", "put", "--if-revision", created.revision, "api/port", "-"], { input: "9090\n" });
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toMatch(/^api\/port: revision \d+$/m);
    await alice.run(["memory", "put", "api/host", "localhost", "--ttl", "1h"]);

    const [listed, listedJson] = await Promise.all([
      alice.run(["memory", "ls", "api/"]),
      alice.json<{ entries: JsonEntry[] }>(["memory", "ls", "api/", "--keys-only"]),
    ]);
    expect(listed.stdout).toMatch(/^KEY\s+REVISION\s+UPDATED\s+BY\s+VALUE$/m);
    expect(listed.stdout).toMatch(/^api\/host\s+\d+\s+(now|\d+s ago)\s+mem-alice\s+localhost$/m);
    expect(listed.stdout).toMatch(/^api\/port\s+\d+\s+(now|\d+s ago)\s+mem-bob\s+9090$/m);
    expect(listedJson.entries.map((e) => [e.key, e.value])).toEqual([
      ["api/host", ""],
      ["api/port", ""],
    ]);

    const current = listedJson.entries[1].revision;
    const [badRm, missing] = await Promise.all([
      alice.run(["memory", "rm", "--if-revision", created.revision, "api/port"]),
      alice.run(["memory", "get", "no/such/key"]),
    ]);
    expect(badRm.code).toBe(4);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^linker: memory key "no\/such\/key" does not exist$/m);

    const removed = await alice.run(["memory", "rm", "--if-revision", current, "api/port"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/^api\/port: deleted \(revision \d+\)$/m);
  });

  it("task create, ls, claim, update, show and cancel", async () => {
    const alice = new Agent("task-alice", hub.url);
    const bob = new Agent("task-bob", hub.url);
    // Reading registers nothing: without a session there are no own tasks to list, the open ones need none.
    const unregistered = await bob.run(["task", "ls", "--mine"]);
    expect(unregistered.code).toBe(2);
    expect(unregistered.stderr).toMatch(/^linker: "task-bob" has no session in /m);
    expect((await bob.run(["task", "ls", "--open"])).stdout).toBe("no open tasks\n");
    expect((await alice.run(["ls"])).stdout).not.toContain("task-bob");
    expect((await bob.run(["register"])).code).toBe(0);
    expect((await bob.run(["task", "ls", "--mine"])).stdout).toBe("no tasks assigned to you\n");
    const assigned = await alice.json<JsonTask>(["task", "create", "--assign", "task-bob", "--details", "in the parser", "fix", "the", "bug"]);
    expect([assigned.title, assigned.description, assigned.assigner, assigned.assignee, assigned.status]).toEqual([
      "fix the bug",
      "in the parser",
      "task-alice",
      "task-bob",
      "TASK_STATUS_PENDING",
    ]);
    const open = await alice.run(["task", "create", "write", "the", "docs", "--priority", "high"]);
    expect(open.stdout).toMatch(/^created task [0-9a-f-]{36} \(task-alice → open\)$/m);
    const openId = /created task (\S+)/.exec(open.stdout)![1];

    const [mine, openTasks, byMe] = await Promise.all([
      bob.run(["task", "ls", "--mine"]),
      bob.json<{ tasks: JsonTask[] }>(["task", "ls", "--open"]),
      alice.json<{ tasks: JsonTask[] }>(["task", "ls", "--by-me"]),
    ]);
    expect(mine.stdout).toMatch(/^ID\s+STATUS\s+PRIORITY\s+FROM → TO\s+AGE\s+TITLE$/m);
    expect(mine.stdout).toMatch(new RegExp(`^${assigned.id}\\s+pending\\s+normal\\s+task-alice → task-bob\\s+\\S+\\s+fix the bug$`, "m"));
    expect(mine.stdout).not.toContain(openId);
    expect(openTasks.tasks.map((t) => t.id)).toEqual([openId]);
    expect(byMe.tasks.map((t) => t.id).sort()).toEqual([assigned.id, openId].sort());

    const claimed = await bob.run(["task", "claim", openId]);
    expect(claimed.code, claimed.stderr).toBe(0);
    expect(claimed.stdout).toBe(`claimed task ${openId} (pending)\n`);
    const claimedAgain = await alice.run(["task", "claim", openId]);
    expect(claimedAgain.code).toBe(4);
    expect(claimedAgain.stderr).toMatch(/^linker: .*already assigned to "task-bob"/m);

    const started = await bob.run(["task", "update", assigned.id, "--status", "in-progress", "--note", "on it"]);
    expect(started.stdout).toMatch(new RegExp(`^task ${assigned.id}: in-progress \\(revision \\d+\\)$`, "m"));
    const done = await bob.json<JsonTask>(["task", "update", assigned.id, "--status", "done", "--result", "fixed in PR 14"]);
    expect([done.status, done.result]).toEqual(["TASK_STATUS_COMPLETED", "fixed in PR 14"]);
    expect(done.notes.map((n) => [n.author, n.text])).toEqual([["task-bob", "on it"]]);

    const [shown, active] = await Promise.all([
      alice.run(["task", "show", assigned.id]),
      alice.json<{ tasks: JsonTask[] }>(["task", "ls", "--by-me", "--status", "pending,in-progress"]),
    ]);
    expect(shown.stdout).toMatch(/^status\s+completed/m);
    expect(shown.stdout).toContain("task-bob: on it");
    expect(shown.stdout).toContain("fixed in PR 14");
    expect(active.tasks.map((t) => t.id)).toEqual([openId]);

    const [cancelled, cancelDone] = await Promise.all([
      alice.json<JsonTask>(["task", "cancel", openId, "not", "needed"]),
      alice.run(["task", "cancel", assigned.id]),
    ]);
    expect(cancelled.status).toBe("TASK_STATUS_CANCELED");
    expect(cancelled.notes.map((n) => n.text)).toContain("not needed");
    expect(cancelDone.code).toBe(4);
    expect(cancelDone.stderr).toMatch(/^linker: task \S+ is COMPLETED and cannot be canceled$/m);
  });
});
