import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { registerAgent } from "../support/clients.js";
import { killAll, launchHub, removeTempDirs, spawnHub, tempDir, transports } from "../e2e/harness.js";

/** Finding 9: a zero-length or corrupt hub.db started an empty hub; a second hub on the same folder started with no warning. */
describe("the hub's data folder", { timeout: 60_000 }, () => {
  afterEach(() => killAll());
  afterAll(removeTempDirs);

  it.each([
    ["an emptied hub.db", Buffer.alloc(0), /is empty \(0 bytes\)/],
    ["a corrupt hub.db", Buffer.alloc(16384, 0x5a), /is corrupt or not a database/],
  ])("refuses %s, saying what to do, and --reset moves it aside and starts empty", async (_what, content, reason) => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "hub.db"), content);
    const refused = spawnHub({ dataDir });
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(reason);
    expect(refused.stderr()).toMatch(/restore it from a backup, or start the hub with --reset/);
    expect(refused.stdout()).not.toContain("listening");

    const reset = await launchHub({ dataDir, args: ["--reset"] });
    expect(readdirSync(dataDir).some((file) => /^hub\.db\.unusable-/.test(file))).toBe(true);
    const agent = await registerAgent(transports(reset.url, "grpc"), "fresh");
    expect(agent.registered.reclaimed).toBe(false);
  });

  it("a second hub on a folder another hub serves refuses, naming it; the first serves on", async () => {
    const dataDir = tempDir();
    const first = await launchHub({ dataDir });
    const alice = await registerAgent(transports(first.url, "grpc"), "alice");
    const second = spawnHub({ dataDir });
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(new RegExp(`another hub is serving the data folder .* \\(process ${first.child.pid} on `));
    expect(second.stderr()).toMatch(/stop it first/);
    expect((await alice.client.heartbeat({})).unreadCount).toBe(0);
  });

  it("a hub takes over a folder at once after the hub serving it was killed, with everything in it", async () => {
    const dataDir = tempDir();
    const first = await launchHub({ dataDir });
    const alice = await registerAgent(transports(first.url, "grpc"), "alice");
    const bobBefore = await registerAgent(transports(first.url, "grpc"), "bob");
    await alice.client.send({ recipient: "bob", body: "survives the crash" });
    await first.stop("SIGKILL");
    expect(existsSync(join(dataDir, "hub.lock"))).toBe(true);
    const second = await launchHub({ dataDir });
    const bob = await registerAgent(transports(second.url, "grpc"), "bob", { resumeToken: bobBefore.token });
    expect(bob.registered.reclaimed).toBe(true);
    expect((await bob.client.listMessages({})).messages.map((m) => m.body)).toEqual(["survives the crash"]);
  });
});
