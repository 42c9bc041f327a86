import { afterEach, describe, expect, it } from "vitest";
import { type AgentHandle, type AgentLine, freePort, killAllAgents, startAgent } from "./support/agents.js";
import { tempDir } from "./support/hubs.js";

afterEach(async () => {
  await killAllAgents();
});

const lines = (agent: AgentHandle, type: string) => agent.lines.filter((line) => line.type === type);
const received = (agent: AgentHandle) => lines(agent, "message");

/** Resolves once `agent` printed a message line for every id in `ids`. */
function receivedAll(agent: AgentHandle, ids: Set<string>, timeoutMs = 15_000): Promise<void> {
  return agent.waitUntil(
    (all) => {
      const got = new Set(all.filter((l) => l.type === "message").map((l) => l.id as string));
      for (const id of ids) if (!got.has(id)) return false;
      return true;
    },
    timeoutMs,
    `${ids.size} messages`,
  );
}

/** Ids of messages `from` sent to `to` whose send returned OK. */
function acknowledged(from: AgentHandle, to: string): Set<string> {
  return new Set(lines(from, "sent").filter((l) => l.to === to).map((l) => l.id as string));
}

/** Message ids `agent` printed more than once. */
function duplicates(agent: AgentHandle): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const line of received(agent)) {
    const id = line.id as string;
    if (seen.has(id)) twice.push(id);
    seen.add(id);
  }
  return twice;
}

describe("hub takeover between agent processes (autoHub)", () => {
  it("SIGKILL of the hosting agent: another takes over and every acknowledged message arrives exactly once", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const dataDir = tempDir("linker-takeover-");

    // All three race for the hub at once; binding the port decides.
    const agents = ["agent-1", "agent-2", "agent-3"].map((name) => startAgent(name, url, dataDir));
    const ready = await Promise.all(agents.map((agent) => agent.waitFor((l) => l.type === "ready", 30_000, "ready")));
    expect(ready.filter((l) => l.hosting === true)).toHaveLength(1);
    const host = agents[ready.findIndex((l) => l.hosting === true)];
    const [x, y] = agents.filter((agent) => agent !== host);

    x.command(`burst ${y.name} 150 x`);
    y.command(`burst ${x.name} 150 y`);
    host.command(`burst ${x.name} 150 h`);
    // Kill the hub while messages flow in all directions.
    await x.waitFor((l) => l.type === "sent" && l.body === "x-40", 30_000, "x-40 sent");
    await host.waitFor((l) => l.type === "sent", 30_000, "a send by the host");
    const killedAt = Date.now();
    await host.kill("SIGKILL");

    await Promise.all([x, y].map((agent) => agent.waitFor((l) => l.type === "burst-done", 60_000, "burst-done")));
    for (const agent of [x, y]) {
      expect(lines(agent, "send-failed"), `${agent.name} send failures`).toEqual([]);
      expect(lines(agent, "error"), `${agent.name} errors`).toEqual([]);
      expect(lines(agent, "sent")).toHaveLength(150);
    }

    // Exactly one survivor took the hub over; the other reconnected to it.
    const hosting = [x, y].flatMap((agent) => lines(agent, "hub-changed").filter((l) => l.reason === "hosting"));
    const takeovers = [x, y].flatMap((agent) => lines(agent, "hub-changed").filter((l) => l.reason === "takeover"));
    expect(hosting).toHaveLength(1);
    expect(takeovers).toHaveLength(1);
    expect(hosting[0].name).not.toBe(takeovers[0].name);

    // Every send that returned OK is delivered, once.
    const toX = new Set([...acknowledged(y, x.name), ...acknowledged(host, x.name)]);
    const toY = acknowledged(x, y.name);
    await receivedAll(x, toX);
    await receivedAll(y, toY);
    // A last message each way, sent after everything above, marks the end of the streams' replay.
    x.command(`send ${y.name} final-x`);
    y.command(`send ${x.name} final-y`);
    await x.waitFor((l) => l.type === "message" && l.body === "final-y", 30_000, "final-y");
    await y.waitFor((l) => l.type === "message" && l.body === "final-x", 30_000, "final-x");
    expect(duplicates(x)).toEqual([]);
    expect(duplicates(y)).toEqual([]);
    // Per sender, messages arrive in send order.
    const order = (agent: AgentHandle, prefix: string) =>
      received(agent)
        .map((l) => String(l.body))
        .filter((body) => body.startsWith(`${prefix}-`))
        .map((body) => Number(body.slice(prefix.length + 1)));
    for (const [agent, prefix] of [[x, "y"], [x, "h"], [y, "x"]] as const) {
      const sequence = order(agent, prefix);
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    }

    const recoveries = [x, y].map((agent) => lines(agent, "recovered").at(-1) as AgentLine);
    const caughtUpAfterKill = [x, y].map((agent) => (lines(agent, "caught-up").find((l) => l.at >= killedAt)?.at ?? NaN) - killedAt);
    console.log(
      `takeover: recovered durationMs ${recoveries.map((r) => `${r.name}=${r.durationMs}`).join(", ")}; kill -> caught-up ${caughtUpAfterKill.map((ms) => `${ms} ms`).join(", ")}`,
    );
    for (const recovery of recoveries) {
      expect(recovery.hubChanged).toBe(true);
      expect(recovery.durationMs as number).toBeLessThan(10_000);
    }
  }, 120_000);

  it("a restarted agent reclaims its name and gets what was sent to it while it was down", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const dataDir = tempDir("linker-takeover-");
    const host = startAgent("host", url, dataDir);
    expect((await host.waitFor((l) => l.type === "ready", 15_000, "ready")).hosting).toBe(true);
    let sleeper = startAgent("sleeper", url, dataDir);
    expect((await sleeper.waitFor((l) => l.type === "ready", 15_000, "ready")).hosting).toBe(false);
    host.command("send sleeper before");
    await sleeper.waitFor((l) => l.type === "message" && l.body === "before", 15_000, "before");
    // The cursor is otherwise written every 200 ms; a crash before that would replay "before" (at least once).
    sleeper.command("checkpoint");
    await sleeper.waitFor((l) => l.type === "checkpointed", 15_000, "checkpointed");
    await sleeper.kill("SIGKILL");

    host.command("burst sleeper 5 offline");
    await host.waitFor((l) => l.type === "burst-done", 15_000, "burst-done");
    sleeper = startAgent("sleeper", url, dataDir);
    const readyAgain = await sleeper.waitFor((l) => l.type === "ready", 15_000, "ready again");
    expect(readyAgain.reclaimed).toBe(true);
    expect(readyAgain.hosting).toBe(false);
    const offline = new Set(lines(host, "sent").filter((l) => String(l.body).startsWith("offline-")).map((l) => l.id as string));
    expect(offline.size).toBe(5);
    await receivedAll(sleeper, offline);
    expect(received(sleeper).map((l) => l.body)).toEqual(["offline-0", "offline-1", "offline-2", "offline-3", "offline-4"]);
  }, 60_000);
});
