import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";
import { Agent, killAll, removeTempDirs } from "./cli-process.js";

interface JsonInstances {
  instances?: Array<{ name: string }>;
}

interface JsonInbox {
  messages?: Array<{ id: string; body: string; readAt?: string }>;
  unreadCount?: number;
}

describe.concurrent("names: reading claims nothing, replying reads, the holder frees its name", { timeout: 60_000 }, () => {
  let hub: HubProcess;
  const names = async (agent: Agent) => ((await agent.json<JsonInstances>(["ls"])).instances ?? []).map((i) => i.name);

  beforeAll(async () => {
    hub = await startHubProcess();
  });

  afterAll(async () => {
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("runs every read-only command under a new name without registering it or storing a session", async () => {
    const writer = new Agent("ro-writer", hub.url);
    expect((await writer.run(["memory", "put", "ro/k", "v"])).code).toBe(0);
    expect((await writer.run(["task", "create", "open", "work"])).code).toBe(0);
    const reader = new Agent("ro-reader", hub.url);
    const runs = await Promise.all([
      reader.run(["ls"]),
      reader.run(["status"]),
      reader.run(["memory", "get", "ro/k"]),
      reader.run(["memory", "ls", "ro/"]),
      reader.run(["task", "ls"]),
      reader.run(["task", "ls", "--open"]),
      reader.run(["inbox"]),
      reader.run(["thread", "--with", "ro-writer"]),
      reader.run(["task", "ls", "--mine"]),
    ]);
    const [ls, status, get, memoryLs, tasks, open, inbox, thread, mine] = runs;
    for (const ok of [ls, status, get, memoryLs, tasks, open]) expect(ok.code, ok.stderr).toBe(0);
    expect(ls.stdout).toContain("ro-writer");
    expect(get.stdout).toBe("v\n");
    expect(status.stdout).toMatch(/^instance\s+not registered/m);
    expect(open.stdout).toContain("open work");
    // What needs the caller's own session says there is none, and creates none.
    for (const own of [inbox, thread, mine]) {
      expect(own.code).toBe(2);
      expect(own.stderr).toMatch(/^linker: "ro-reader" has no session in /m);
    }
    expect(await names(writer)).toEqual(expect.not.arrayContaining(["ro-reader"]));
    const sessions = join(reader.home, "sessions");
    expect(existsSync(sessions) ? readdirSync(sessions) : []).toEqual([]);
  });

  it("reads with the stored session as it is: peeking leaves the session and the inbox as they were", async () => {
    const [alice, bob] = [new Agent("peek-alice", hub.url), new Agent("peek-bob", hub.url)];
    expect((await bob.run(["register"])).code).toBe(0);
    expect((await alice.run(["send", "peek-bob", "hello"])).code).toBe(0);
    const before = readdirSync(join(bob.home, "sessions"));
    const [peek, again] = [await bob.json<JsonInbox>(["inbox"]), await bob.json<JsonInbox>(["inbox"])];
    expect(peek.messages?.map((m) => m.body)).toEqual(["hello"]);
    expect(again.unreadCount).toBe(1);
    expect(readdirSync(join(bob.home, "sessions"))).toEqual(before);
  });

  it("marks the question read when the CLI replies to it", async () => {
    const [alice, bob] = [new Agent("reply-alice", hub.url), new Agent("reply-bob", hub.url)];
    expect((await bob.run(["register"])).code).toBe(0);
    expect((await alice.run(["send", "reply-bob", "which port?"])).code).toBe(0);
    const question = (await bob.json<JsonInbox>(["inbox"])).messages![0];
    const reply = await bob.run(["reply", question.id, "8080"]);
    expect(reply.code, reply.stderr).toBe(0);
    const after = await bob.json<JsonInbox>(["inbox"]);
    expect(after.messages ?? []).toEqual([]);
    expect(after.unreadCount ?? 0).toBe(0);
    const answer = await alice.json<JsonInbox>(["inbox"]);
    expect(answer.messages?.map((m) => m.body)).toEqual(["8080"]);
  });

  it("frees a name with linker unregister, so another home can take it; without a session it says so", async () => {
    const holder = new Agent("free-me", hub.url);
    const other = new Agent("free-me", hub.url);
    expect((await holder.run(["register"])).code).toBe(0);
    const refused = await other.run(["register"]);
    expect(refused.code).toBe(5);
    // The refused register left only a proposed token: it frees nothing and says why.
    const notHolder = await other.run(["unregister"]);
    expect(notHolder.code).toBe(5);
    expect(notHolder.stderr).toContain("was proposed here but never accepted");
    const stranger = await new Agent("free-me", hub.url).run(["unregister"]);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toMatch(/^linker: "free-me" has no session in /m);

    const freed = await holder.run(["unregister"]);
    expect(freed.code, freed.stderr).toBe(0);
    expect(freed.stdout).toBe('freed "free-me": its instance, messages and sessions are deleted\n');
    expect(readdirSync(join(holder.home, "sessions"))).toEqual([]);
    expect(await names(holder)).not.toContain("free-me");
    const taken = await other.run(["register"]);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stdout).toBe('registered "free-me" (0 unread)\n');
  });
});
