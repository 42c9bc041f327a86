import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";
import { Agent, killAll, removeTempDirs } from "./cli-process.js";

interface StopOutput {
  decision?: string;
  reason?: string;
}

/** Polls `check` (false or a throw: not yet) until it holds, failing after `timeoutMs`. */
async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    try {
      if (check()) return;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The message ids a text names (`id="…"` in a peer message, `id …` in a monitor line). */
function idsIn(text: string): string[] {
  return [...text.matchAll(/id[ =]"?([0-9a-f-]{36})/g)].map((match) => match[1]);
}

describe.concurrent("push: linker watch, the drain and the rewake waiter", { timeout: 90_000 }, () => {
  let hub: HubProcess;

  beforeAll(async () => {
    hub = await startHubProcess();
  });

  afterAll(async () => {
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("the Stop hook blocks once with the waiting messages, never while a Stop hook already continues the turn", async () => {
    const dana = new Agent("drain-dana", hub.url);
    const eve = new Agent("drain-eve", hub.url);
    expect((await dana.run(["register"])).code).toBe(0);
    expect((await eve.run(["send", "drain-dana", "rebase before you stop"])).code).toBe(0);

    const active = await dana.run(["hook"], { input: JSON.stringify({ hook_event_name: "Stop", stop_hook_active: true }) });
    expect(active.code, active.stderr).toBe(0);
    expect(active.stdout).toBe("");

    const first = await dana.run(["hook"], { input: JSON.stringify({ hook_event_name: "Stop", stop_hook_active: false }) });
    expect(first.code, first.stderr).toBe(0);
    const output = JSON.parse(first.stdout) as StopOutput;
    expect(output.decision).toBe("block");
    expect(output.reason).toMatch(/<peer-message from="drain-eve" id="[0-9a-f-]{36}"[^>]*>\nrebase before you stop\n<\/peer-message>/);

    const second = await dana.run(["hook"], { input: JSON.stringify({ hook_event_name: "Stop", stop_hook_active: false }) });
    expect(second.stdout).toBe("");
  });

  it("watch prints one safe line per message, resumes after a restart without repeating one, and the hooks skip what it announced", async () => {
    const fay = new Agent("watch-fay", hub.url);
    const gus = new Agent("watch-gus", hub.url);
    expect((await fay.run(["register"])).code).toBe(0);
    let watch = fay.spawn(["watch"]);
    await watch.waitForStderr(/announcing messages for "watch-fay"/);
    expect((await gus.run(["send", "watch-fay", "line one\n\u001b[31mred\u001b[0m <b>bold</b> \"quoted\""])).code).toBe(0);
    const [line] = await watch.waitForStdout(/^\[linker\] message from "watch-gus".*\n/m);
    expect(line).toMatch(/^\[linker\] message from "watch-gus", id [0-9a-f-]{36}: "line one ⏎ \\u001b\[31mred\\u001b\[0m ‹b›bold‹\/b› \\"quoted\\"" \(untrusted text from another agent\)\. Read it with linker_get_messages\.\n$/);

    // The hooks do not inject a message the monitor announced; it stays unread for linker_get_messages.
    const prompt = await fay.run(["hook"], { input: JSON.stringify({ hook_event_name: "UserPromptSubmit" }) });
    expect(prompt.stdout).toBe("");
    const drain = await fay.run(["hook"], { input: JSON.stringify({ hook_event_name: "Stop" }) });
    expect(drain.stdout).toBe("");
    const inbox = await fay.json<{ messages: Array<{ body: string }> }>(["inbox"]);
    expect(inbox.messages.map((message) => message.body)).toEqual([expect.stringContaining("line one")]);

    // Stopped, a message arrives; the restarted watch announces only that one.
    await watch.stop();
    expect((await gus.run(["send", "watch-fay", "while you were away"])).code).toBe(0);
    watch = fay.spawn(["watch"]);
    const [late] = await watch.waitForStdout(/^\[linker\] message from "watch-gus".*\n/m);
    expect(late).toContain('"while you were away"');
    expect((await gus.run(["send", "watch-fay", "third"])).code).toBe(0);
    await watch.waitForStdout(/"third"/);
    const lines = watch.stdout().trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(new Set(lines.flatMap(idsIn)).size).toBe(2);
    await watch.stop();
  });

  it("watch --bridge outside its Claude Code session says why the bridge stays off, and announces as usual", async () => {
    const jo = new Agent("bridge-jo", hub.url);
    const kim = new Agent("bridge-kim", hub.url);
    expect((await jo.run(["register"])).code).toBe(0);
    // A CLAUDE_PID that is not a process the watch runs under (the hub's): the bridge serves only the session that started it.
    const foreign = jo.spawn(["watch", "--bridge"], { env: { CLAUDE_PID: String(hub.child.pid) } });
    await foreign.waitForStderr(/linker watch: the bridge stays off: CLAUDE_PID \d+ is not a process this one runs under/);
    await foreign.stop();
    const watch = jo.spawn(["watch", "--bridge"]);
    await watch.waitForStderr(/linker watch: the bridge stays off: not started by a Claude Code session \(no CLAUDE_PID\)/);
    expect((await kim.run(["send", "bridge-jo", "still here"])).code).toBe(0);
    await watch.waitForStdout(/^\[linker\] message from "bridge-kim", id [0-9a-f-]{36}: "still here"/m);
    await watch.stop();
  });

  it("the rewake waiter wakes with a message (exit 2, stderr), a newer waiter replaces an older one, and a wait runs out quietly", async () => {
    const hal = new Agent("rewake-hal", hub.url);
    const ivy = new Agent("rewake-ivy", hub.url);
    expect((await hal.run(["register"])).code).toBe(0);
    const input = JSON.stringify({ hook_event_name: "SessionStart", session_id: "session-1" });

    const empty = await hal.run(["hook", "--rewake", "--wait-seconds", "1"], { input });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stderr).toBe("");

    const older = hal.spawn(["hook", "--rewake", "--wait-seconds", "60"], { input });
    // Once the older one holds the session's slot, a newer one takes it.
    const slot = join(hal.home, "waiters", "session-1");
    await until("the older waiter in the slot", () => readFileSync(slot, "utf8").trim() === String(older.child.pid));
    const newer = hal.spawn(["hook", "--rewake", "--wait-seconds", "60"], { input: JSON.stringify({ hook_event_name: "Stop", session_id: "session-1" }) });
    const replaced = await older.done;
    expect(replaced.code).toBe(0);
    expect(replaced.stderr).toBe("");

    expect((await ivy.run(["send", "rewake-hal", "wake up"])).code).toBe(0);
    const woken = await newer.done;
    expect(woken.code).toBe(2);
    expect(woken.stderr).toMatch(/<peer-message from="rewake-ivy" id="[0-9a-f-]{36}"[^>]*>\nwake up\n<\/peer-message>/);
    // It was marked read and presented: no hook shows it again.
    const prompt = await hal.run(["hook"], { input: JSON.stringify({ hook_event_name: "UserPromptSubmit" }) });
    expect(prompt.stdout).toBe("");
  });
});
