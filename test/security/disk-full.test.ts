import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAgent } from "../support/clients.js";
import { errorOf } from "../support/codes.js";
import { EventReader } from "../support/event-reader.js";
import { killAll, launchHub, removeTempDirs, transports } from "../e2e/harness.js";
import { tempDir } from "../support/temp-dir.js";

/** A small tmpfs is a real full disk; mounting one needs root (CI runs as root). */
function mountSmallDisk(dir: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const root = tempDir("linker-disk-full-");
const mounted = mountSmallDisk(root);
if (!mounted && process.getuid?.() === 0) throw new Error(`root could not mount a tmpfs at ${root}`);

/** Finding 8: after "database or disk is full" the hub answered INTERNAL (or stalled) and writes did not resume. */
describe.skipIf(!mounted)("a full disk", { timeout: 60_000 }, () => {
  const filler = join(root, "filler");
  beforeAll(() => mkdirSync(join(root, "hub"), { recursive: true }));
  afterAll(async () => {
    await killAll();
    removeTempDirs();
    execFileSync("umount", [root]);
    rmSync(root, { recursive: true, force: true });
  });

  it("fails writes fast with RESOURCE_EXHAUSTED, keeps reads working, and writes again once space returns", async () => {
    const hub = await launchHub({ dataDir: join(root, "hub"), args: ["--send-rate", "0"] });
    const alice = await registerAgent(transports(hub.url, "connect"), "alice");
    const bob = await registerAgent(transports(hub.url, "grpc"), "bob");
    await alice.client.putMemory({ key: "before", value: "kept" });
    const stream = new EventReader(bob.client, 0n);
    await stream.caughtUp();

    const { bavail, bsize } = statfsSync(root);
    writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 300_000)));
    let refused;
    for (let round = 0; round < 40 && !refused; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => alice.client.putMemory({ key: `fill/${round}/${i}`, value: "x".repeat(4000) }, { timeoutMs: 5_000 })),
      );
      refused = results.find((r) => r.status === "rejected");
    }
    expect(refused, "the disk never filled").toBeDefined();
    const error = await errorOf(alice.client.send({ recipient: "bob", body: "no room" }, { timeoutMs: 5_000 }));
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toMatch(/disk is full.*free space.*resume by themselves/);

    // Reads go on while the disk is full.
    expect((await alice.client.getMemory({ key: "before" }, { timeoutMs: 5_000 })).entry?.value).toBe("kept");
    expect((await bob.client.listInstances({}, { timeoutMs: 5_000 })).instances.map((i) => i.name)).toEqual(["alice", "bob"]);

    // Space returns: writes succeed again with no restart, and the stream delivers them.
    rmSync(filler);
    await alice.client.send({ recipient: "bob", body: "room again" }, { timeoutMs: 5_000 });
    const delivered = await stream.until((e) => e.payload.case === "message" && e.payload.value.body === "room again");
    expect(delivered.length).toBeGreaterThan(0);
    expect(hub.child.exitCode).toBeNull();
  });
});
