import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { hubStarter, LinkerClient } from "@linker/client";
import { ensureHub, HubPortBusyError, HubSupervisor, probeHub } from "../../packages/client/src/hub-election.js";
import type { RunningHub } from "../../packages/hub/src/start-hub.js";
import { freePort } from "./support/agents.js";
import { quietLogger, startTestHub, tempDir } from "./support/hubs.js";

const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function loopbackUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

describe("probeHub", () => {
  it("tells a serving hub, an empty port and a stranger apart", async () => {
    const hub = await startTestHub();
    cleanups.push(() => hub.close());
    expect(await probeHub(hub.url)).toBe("serving");
    expect(await probeHub(await loopbackUrl())).toBe("unreachable");
    const stranger = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((done) => stranger.listen(0, "127.0.0.1", done));
    cleanups.push(() => new Promise((done) => stranger.close(done)));
    const { port } = stranger.address() as { port: number };
    expect(await probeHub(`http://127.0.0.1:${port}`)).toBe("unknown");
  });
});

describe("ensureHub", () => {
  it("lets exactly one of many racing processes start the hub; the others become clients", async () => {
    const url = await loopbackUrl();
    const dataDir = tempDir();
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => ensureHub({ url, dataDir, logger: quietLogger() })));
    const started = outcomes.filter((o) => o.hub);
    cleanups.push(() => Promise.all(started.map((o) => (o.hub as RunningHub).close())));
    expect(started).toHaveLength(1);
    expect(outcomes.filter((o) => o.role === "hub")).toHaveLength(1);
    expect(outcomes.filter((o) => o.role === "client")).toHaveLength(5);
    expect(await probeHub(url)).toBe("serving");
  });

  it("fails clearly when something that is not a hub holds the port", async () => {
    const stranger = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((done) => stranger.listen(0, "127.0.0.1", done));
    cleanups.push(() => new Promise((done) => stranger.close(done)));
    const { port } = stranger.address() as { port: number };
    const error = await ensureHub({ url: `http://127.0.0.1:${port}`, dataDir: tempDir(), logger: quietLogger(), timeoutMs: 300 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HubPortBusyError);
    expect((error as Error).message).toMatch(/in use but no Linker hub answers/);
  });

  it("refuses to run a hub for a URL off this machine", async () => {
    await expect(ensureHub({ url: "http://192.0.2.1:3847", dataDir: tempDir() })).rejects.toThrow(/loopback|127\.0\.0\.1/);
  });
});

describe("HubSupervisor", () => {
  it("converges on one new hub when the hosting process stops", async () => {
    const url = await loopbackUrl();
    const dataDir = tempDir();
    const supervisors = Array.from(
      { length: 4 },
      () => new HubSupervisor({ url, dataDir, logger: quietLogger(), maxTakeoverDelayMs: 300, pollIntervalMs: 20 }),
    );
    cleanups.push(() => Promise.all(supervisors.map((s) => s.close())));
    await Promise.all(supervisors.map((s) => s.ensure()));
    const host = supervisors.filter((s) => s.hosting);
    expect(host).toHaveLength(1);

    await host[0].close();
    const rest = supervisors.filter((s) => s !== host[0]);
    const outcomes = await Promise.all(rest.map((s) => s.recover()));
    expect(outcomes.filter((o) => o.started)).toHaveLength(1);
    expect(rest.filter((s) => s.hosting)).toHaveLength(1);
    expect(outcomes.every((o) => o.replaced)).toBe(true);
    expect(await probeHub(url)).toBe("serving");
  });

  it("keeps hosting when asked to recover while its own hub runs", async () => {
    const supervisor = new HubSupervisor({ url: await loopbackUrl(), dataDir: tempDir(), logger: quietLogger() });
    cleanups.push(() => supervisor.close());
    expect((await supervisor.ensure()).role).toBe("hub");
    expect(await supervisor.recover()).toMatchObject({ role: "hub", started: false, replaced: false });
  });

  it("elects again when the hub of its own process stopped listening", async () => {
    const url = await loopbackUrl();
    const supervisor = new HubSupervisor({ url, dataDir: tempDir(), logger: quietLogger(), maxTakeoverDelayMs: 50 });
    cleanups.push(() => supervisor.close());
    await supervisor.ensure();
    const first = supervisor.runningHub!;
    await first.close();
    expect(await supervisor.recover()).toMatchObject({ role: "hub", started: true, replaced: true });
    expect(supervisor.runningHub).not.toBe(first);
    expect(await probeHub(url)).toBe("serving");
  });
});

describe("LinkerClient with autoHub", () => {
  it("starts one hub for several clients, and another client takes over when its host closes", async () => {
    const url = await loopbackUrl();
    const dataDir = tempDir();
    const make = (name: string) =>
      new LinkerClient({ name, hubs: url, autoHub: { dataDir, start: hubStarter({ logger: quietLogger() }), maxTakeoverDelayMs: 300, pollIntervalMs: 20 } });
    const clients = ["a", "b", "c"].map(make);
    cleanups.push(() => Promise.all(clients.map((c) => c.close())));
    await Promise.all(clients.map((c) => c.connect()));
    const hosts = clients.filter((c) => c.hosting);
    expect(hosts).toHaveLength(1);
    const [x, y] = clients.filter((c) => c !== hosts[0]);

    const changed = [x.once("hub-changed"), y.once("hub-changed")];
    const recovered = [x.once("recovered"), y.once("recovered")];
    await hosts[0].close();
    const reasons = (await Promise.all(changed)).map((c) => c.reason).sort();
    expect(reasons).toEqual(["hosting", "takeover"]);
    expect([x, y].filter((c) => c.hosting)).toHaveLength(1);
    for (const event of await Promise.all(recovered)) expect(event.hubChanged).toBe(true);

    const delivered = y.once("message");
    const sent = await x.send({ recipient: y.name, body: "after the takeover" });
    expect((await delivered).message.id).toBe(sent.message?.id);
    expect(x.sessionLocation).toContain(dataDir);
  });
});
