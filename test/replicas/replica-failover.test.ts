import type { LinkerClient } from "@linker/client";
import { describe, expect, it } from "vitest";
import { waitFor } from "../e2e/harness.js";
import { hasPostgres, replicaClient, rotation, startReplicas } from "./replicas.js";

const SENDERS = ["s1", "s2", "s3"];
const RECEIVERS = ["r1", "r2", "r3"];
const PER_PAIR = 40;

/** Messages a receiver's application got, per sender, as the numbers in their bodies. */
function collect(client: LinkerClient): Map<string, number[]> {
  const got = new Map<string, number[]>();
  client.on("message", ({ message }) => {
    const [sender, n] = message.body.split(":");
    if (!got.has(sender)) got.set(sender, []);
    got.get(sender)!.push(Number(n));
  });
  return got;
}

describe.skipIf(!hasPostgres)("hub replicas on PostgreSQL: one killed under load", () => {
  it("delivers every acknowledged Send exactly once, in order per pair, through the surviving replicas", { timeout: 120_000 }, async () => {
    const set = await startReplicas(3, ["--presence-ttl", "2"]);
    const receivers = await Promise.all(RECEIVERS.map((name, i) => replicaClient(name, rotation(set.hubs, i))));
    const received = receivers.map(collect);
    const senders = await Promise.all(SENDERS.map((name, i) => replicaClient(name, rotation(set.hubs, i + 1), { subscribe: false })));
    const acknowledged = new Map<string, number[]>();
    let sent = 0;
    const killed = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (sent < (SENDERS.length * RECEIVERS.length * PER_PAIR) / 3) return;
        clearInterval(check);
        set.hubs[0].child.kill("SIGKILL");
        resolve();
      }, 5);
    });
    await Promise.all(
      senders.flatMap((sender, s) =>
        RECEIVERS.map(async (recipient) => {
          const key = `${SENDERS[s]}->${recipient}`;
          acknowledged.set(key, []);
          for (let n = 0; n < PER_PAIR; n++) {
            try {
              await sender.rpc.send({ recipient, body: `${SENDERS[s]}:${n}` });
              acknowledged.get(key)!.push(n);
            } catch {
              // A Send that failed may or may not be stored; only acknowledged ones are promised.
            }
            sent += 1;
          }
        }),
      ),
    );
    await killed;
    expect(await set.hubs[0].exited).toBe("SIGKILL");
    for (const [r, recipient] of RECEIVERS.entries()) {
      for (const sender of SENDERS) {
        const promised = acknowledged.get(`${sender}->${recipient}`)!;
        await waitFor(`${recipient} to get every acknowledged message of ${sender}`, () => {
          const got = new Set(received[r].get(sender) ?? []);
          return promised.every((n) => got.has(n));
        }, 30_000);
        const got = received[r].get(sender)!;
        expect(new Set(got).size, `${sender}->${recipient} delivered twice`).toBe(got.length);
        expect(got, `${sender}->${recipient} out of order`).toEqual([...got].sort((a, b) => a - b));
      }
    }
    // The clients that started on the killed replica moved: r1's stream broke and recovered elsewhere, s3 sent through another hub.
    // A recovery counts once the new stream has caught up, which can be just after the last replayed message arrived.
    await waitFor("r1's stream to count its recovery", () => receivers[0].stats.recoveries >= 1, 30_000);
    expect(receivers[0].hubUrl).not.toBe(set.hubs[0].url);
    expect(senders[2].hubUrl).not.toBe(set.hubs[0].url);
    // Most sends succeed despite the kill: retries move to the next replica.
    const total = [...acknowledged.values()].reduce((n, list) => n + list.length, 0);
    expect(total).toBeGreaterThan(SENDERS.length * RECEIVERS.length * PER_PAIR * 0.9);
  });

  it("moves the streams of a replica that drains (SIGTERM) to the others, losing nothing", { timeout: 60_000 }, async () => {
    const set = await startReplicas(2);
    const bob = await replicaClient("bob", rotation(set.hubs, 0));
    const got = collect(bob);
    const alice = await replicaClient("alice", rotation(set.hubs, 1), { subscribe: false });
    for (let n = 0; n < 10; n++) await alice.rpc.send({ recipient: "bob", body: `alice:${n}` });
    const moved = bob.once("hub-changed");
    expect(await set.hubs[0].stop("SIGTERM")).toBe(0);
    expect((await moved).to).toBe(set.hubs[1].url);
    for (let n = 10; n < 20; n++) await alice.rpc.send({ recipient: "bob", body: `alice:${n}` });
    await waitFor("bob to get all 20", () => (got.get("alice")?.length ?? 0) >= 20, 20_000);
    expect(got.get("alice")).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });
});
