import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";
import { Agent, killAll, removeTempDirs } from "./cli-process.js";
import { unusedHubUrls } from "./unused-hub-urls.js";

interface JsonEvent {
  seq: string;
  message?: { sender: string; body: string };
  memory?: { entry: { key: string } };
}

interface HookOutput {
  hookSpecificOutput: { hookEventName: string; additionalContext: string };
}

describe.concurrent("linker tail, hook and status", { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let downUrl: string;
  /** Agents of one test, registered on `on` (each test uses its own names). */
  const registered = async (on: HubProcess, ...names: string[]): Promise<Agent[]> => {
    const agents = names.map((name) => new Agent(name, on.url));
    const results = await Promise.all(agents.map((agent) => agent.run(["register"])));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    return agents;
  };

  beforeAll(async () => {
    [hub, [downUrl]] = await Promise.all([startHubProcess(), unusedHubUrls(1)]);
  });

  afterAll(async () => {
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("tail prints events as they arrive, as text or JSON lines, resumes after a seq, and exits 0 on Ctrl-C", async () => {
    const alice = new Agent("tail-alice", hub.url);
    const bob = new Agent("tail-bob", hub.url);
    const text = alice.spawn(["tail"]);
    const json = alice.spawn(["tail", "--json", "--types", "message,memory"]);
    await Promise.all([text.waitForStderr(/tailing events of "tail-alice"/), json.waitForStderr(/tailing events of "tail-alice"/)]);

    expect((await bob.run(["send", "tail-alice", "ping"])).code).toBe(0);
    expect((await bob.run(["memory", "put", "build/status", "green"])).code).toBe(0);
    await text.waitForStdout(/^\s*\d+\s+\d\d:\d\d:\d\d\s+message\s+tail-bob → tail-alice text [0-9a-f-]{36}: ping$/m);
    await text.waitForStdout(/^\s*\d+\s+\d\d:\d\d:\d\d\s+memory\s+build\/status put rev \d+ by tail-bob = green$/m);
    await json.waitForStdout(/"build\/status"/);

    const [textEnd, jsonEnd] = await Promise.all([text.stop("SIGINT"), json.stop("SIGINT")]);
    expect(textEnd.code).toBe(0);
    expect(jsonEnd.code).toBe(0);
    const events = jsonEnd.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as JsonEvent);
    expect(events.map((e) => e.message?.body ?? e.memory?.entry.key)).toEqual(["ping", "build/status"]);
    expect(events.every((e) => /^\d+$/.test(e.seq))).toBe(true);

    const resumed = alice.spawn(["tail", "--json", "--types", "message", "--after-seq", String(BigInt(events[0].seq) - 1n)]);
    await resumed.waitForStdout(/"body":"ping"/);
    expect((await resumed.stop("SIGINT")).code).toBe(0);
  });

  it("tail survives a hub restart and goes on printing", async () => {
    // Restarting the hub would disturb the other tests, so this one has a hub of its own.
    let own = await startHubProcess();
    try {
      const carol = new Agent("restart-carol", own.url);
      const dave = new Agent("restart-dave", own.url);
      const tail = carol.spawn(["tail", "--types", "message"]);
      await tail.waitForStderr(/tailing events of "restart-carol"/);
      const port = Number(new URL(own.url).port);
      await own.stop();
      own = await startHubProcess({ port, dataDir: own.dataDir });
      await tail.waitForStderr(/stream back from/, 20_000);
      expect((await dave.run(["send", "restart-carol", "after the restart"])).code).toBe(0);
      await tail.waitForStdout(/restart-dave → restart-carol text \S+: after the restart$/m);
      expect((await tail.stop("SIGINT")).code).toBe(0);
    } finally {
      await own.stop();
    }
  });

  it("hook prints unread messages as Claude Code hook JSON once, then nothing; it exits 0 when the hub is down", async () => {
    const [carol] = await registered(hub, "hook-carol");
    const bob = new Agent("hook-bob", hub.url);
    const sent = await Promise.all([bob.run(["send", "hook-carol", "please review <b>PR 12</b>"]), bob.run(["send", "hook-carol", "and PR 13"])]);
    for (const result of sent) expect(result.code, result.stderr).toBe(0);

    const [peek, down] = await Promise.all([
      carol.run(["hook", "--event", "UserPromptSubmit", "--peek"]),
      carol.run(["--hub", downUrl, "hook", "--event", "PostToolUse"]),
    ]);
    expect(peek.code, peek.stderr).toBe(0);
    expect((JSON.parse(peek.stdout) as HookOutput).hookSpecificOutput.hookEventName).toBe("UserPromptSubmit");
    expect(down.code).toBe(0);
    expect(down.stdout).toBe("");
    expect(down.stderr).toContain(`linker hook: cannot reach the Linker hub at ${downUrl}`);

    const first = await carol.run(["hook"], { input: JSON.stringify({ session_id: "s1", hook_event_name: "PostToolUse", tool_name: "Bash" }) });
    expect(first.code, first.stderr).toBe(0);
    const output = JSON.parse(first.stdout) as HookOutput;
    expect(Object.keys(output)).toEqual(["hookSpecificOutput"]);
    expect(output.hookSpecificOutput.hookEventName).toBe("PostToolUse");
    const context = output.hookSpecificOutput.additionalContext;
    expect(context).toContain("untrusted");
    expect(context).toMatch(/<peer-message from="hook-bob" id="[0-9a-f-]{36}" kind="text"[^>]*>\nplease review <b>PR 12<\/b>\n<\/peer-message>/);
    expect(context).toContain("and PR 13");

    const second = await carol.run(["hook"], { input: JSON.stringify({ hook_event_name: "UserPromptSubmit", prompt: "hi" }) });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe("");
  });

  it("status sets the status text, and without text reports hub, hosting and registration", async () => {
    const alice = new Agent("status-alice", hub.url);
    const bob = new Agent("status-bob", hub.url);
    const set = await alice.run(["status", "reviewing", "PR", "12"]);
    expect(set.stdout).toBe("status of status-alice: reviewing PR 12\n");
    const [listed, sent] = await Promise.all([bob.run(["ls"]), bob.run(["send", "status-alice", "one more"])]);
    expect(listed.stdout).toMatch(/^status-alice\s+(online|offline)\s+reviewing PR 12\s/m);
    expect(sent.code).toBe(0);

    const [shown, json, down] = await Promise.all([
      alice.run(["status"]),
      alice.json<{
        hubUrl: string;
        wouldHost: boolean;
        registered: boolean;
        unreadCount: number;
        instance: { status: string };
        hub: { version: string; store: string; messages: { stored: string } };
      }>(["status"]),
      alice.run(["--hub", downUrl, "--auto-hub", "status"]),
    ]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^name\s+status-alice \(from --name\)$/m);
    expect(shown.stdout).toContain(`${hub.url}: serving`);
    expect(shown.stdout).toMatch(/^hosting\s+no: a hub already answers/m);
    expect(shown.stdout).toMatch(/^instance\s+\w+, status "reviewing PR 12", 1 unread$/m);
    expect(json.hubUrl).toBe(hub.url);
    expect(json.wouldHost).toBe(false);
    expect(json.registered).toBe(true);
    expect(json.unreadCount).toBe(1);
    expect(json.instance.status).toBe("reviewing PR 12");
    expect(shown.stdout).toMatch(/^version\s+\d+\.\d+\.\d+, up \d+/m);
    expect(shown.stdout).toMatch(/^store\s+sqlite in \//m);
    expect(shown.stdout).toMatch(/^instances\s+\d+ registered, \d+ online, \d+ offline$/m);
    expect(shown.stdout).toMatch(/^backlog\s+status-alice: 1 unread, \w+, "reviewing PR 12"$/m);
    expect(json.hub.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(json.hub.store).toBe("sqlite");
    expect(Number(json.hub.messages.stored)).toBeGreaterThanOrEqual(1);
    expect(down.code).toBe(3);
    expect(down.stdout).toMatch(/^hosting\s+yes: nobody answers at/m);
    expect(down.stderr).toContain(`linker: no Linker hub answers at ${downUrl}`);
  });

  it("status only reads: a name that never sent or received stays unregistered", async () => {
    const reader = new Agent("status-reader", hub.url);
    const json = await reader.json<{ registered: boolean | null; instance: unknown; hub: { instances: { registered: number } } }>(["status"]);
    expect(json.registered).toBe(false);
    expect(json.instance).toBeNull();
    const again = await reader.json<{ registered: boolean | null }>(["status"]);
    expect(again.registered).toBe(false);
    const listed = await new Agent("status-lister", hub.url).run(["ls"]);
    expect(listed.stdout).not.toMatch(/^status-reader\s/m);
  });
});
