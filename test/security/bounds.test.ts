import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { RetryInfoSchema } from "@linker/protocol/gen/google/rpc/retry_info_pb.js";
import { registerAgent } from "../support/clients.js";
import { codeOf, errorOf } from "../support/codes.js";
import { EventReader } from "../support/event-reader.js";
import { createTestHub, storeKinds, type TestHub } from "../support/test-hub.js";

/** Finding 7: unbounded instances and memory, ListInstances in one reply, presence history replayed, no default rate. */
describe.each(storeKinds)("bounds and fairness (%s store)", (kind) => {
  let hub: TestHub;
  afterEach(() => hub.close());

  it("caps the instances a hub holds, and a released name makes room", async () => {
    hub = await createTestHub(kind, { limits: { maxInstances: 3 }, adminKey: "bounds-admin-key-0123456789" });
    for (const name of ["a1", "a2", "a3"]) await hub.agent(name);
    const refused = await errorOf(hub.agent("a4"));
    expect(refused.code).toBe(Code.ResourceExhausted);
    expect(refused.rawMessage).toMatch(/limit of 3 instances.*--max-instances/);
    // Reclaiming an existing name is never refused by the cap.
    const again = await errorOf(hub.agent("a1"));
    expect(again.code).toBe(Code.PermissionDenied);
  });

  it("pages ListInstances by name", async () => {
    hub = await createTestHub(kind);
    const viewer = await hub.agent("viewer");
    for (let i = 0; i < 7; i++) await registerAgent(hub.transport, `p-${i}`, { labels: { group: "paged" } });
    const names: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await viewer.client.listInstances({ labels: { group: "paged" }, pageSize: 3, pageToken: token });
      expect(page.instances.length).toBeLessThanOrEqual(3);
      names.push(...page.instances.map((i) => i.name));
      token = page.nextPageToken;
      pages += 1;
    } while (token !== "");
    expect(names).toEqual(["p-0", "p-1", "p-2", "p-3", "p-4", "p-5", "p-6"]);
    expect(pages).toBe(3);
    expect(await codeOf(viewer.client.listInstances({ pageSize: 1001 }))).toBe(Code.InvalidArgument);
  });

  it("replays each instance's latest presence only, however often it changed", async () => {
    hub = await createTestHub(kind);
    const busy = await hub.agent("flapper");
    for (let i = 0; i < 20; i++) await busy.client.setStatus({ status: `step ${i}` });
    const late = await hub.agent("late");
    const replay = await new EventReader(late.client, 0n, [EventType.PRESENCE]).caughtUp();
    const flapper = replay.filter((e) => e.payload.case === "presence" && e.payload.value.instance?.name === "flapper");
    expect(flapper).toHaveLength(1);
    expect(flapper[0].payload.value).toMatchObject({ instance: { status: "step 19" } });
  });

  it("caps memory keys and total bytes, and an update that does not grow still fits", async () => {
    hub = await createTestHub(kind, { limits: { maxMemoryKeys: 3, maxMemoryBytes: 64 * 1024 } });
    const alice = await hub.agent("alice");
    for (let i = 0; i < 3; i++) await alice.client.putMemory({ key: `k${i}`, value: "v" });
    expect((await errorOf(alice.client.putMemory({ key: "k3", value: "v" }))).rawMessage).toMatch(/limit of 3 keys/);
    await alice.client.putMemory({ key: "k0", value: "w" });
    await alice.client.deleteMemory({ key: "k2" });
    const big = await errorOf(alice.client.putMemory({ key: "k2", value: "x".repeat(70 * 1024) }));
    expect(big.code).toBe(Code.ResourceExhausted);
    expect(big.rawMessage).toMatch(/more than its limit of 65536 bytes/);
  });

  it("limits each instance's send rate by default and says when to retry", async () => {
    hub = await createTestHub(kind, { limits: { sendBurst: 5 } });
    expect(hub.config.limits.sendRatePerSecond).toBeGreaterThan(0);
    const alice = await hub.agent("alice");
    const bob = await hub.agent("bob");
    for (let i = 0; i < 5; i++) await alice.client.send({ recipient: "bob", body: `m${i}` });
    const refused = await errorOf(alice.client.send({ recipient: "bob", body: "one too many" }));
    expect(refused.code).toBe(Code.ResourceExhausted);
    expect(refused.rawMessage).toMatch(/retry in \d+ ms/);
    const [hint] = refused.findDetails(RetryInfoSchema);
    expect(hint?.retryDelay).toBeDefined();
    expect(refused.metadata.get("retry-after")).toMatch(/^\d+$/);
    // Bob's own rate is his: the flood of another instance does not use it up.
    await bob.client.send({ recipient: "alice", body: "still fine" });
    hub.clock.advance(1000);
    await alice.client.send({ recipient: "bob", body: "after the wait" });
  });
});
