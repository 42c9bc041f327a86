import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Event, EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { EventReader } from "../support/event-reader.js";
import { createTestHub } from "../support/test-hub.js";

/** One step of a schedule: sends and broadcasts fired without waiting, subscribers opening between them, pauses. */
type Step = { op: "send"; from: number } | { op: "broadcast"; from: number } | { op: "subscribe"; cursorPick: number } | { op: "pause" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("send" as const), from: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("broadcast" as const), from: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("subscribe" as const), cursorPick: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.constant({ op: "pause" as const }) },
);

const seqsOf = (events: Event[]) => events.filter((e) => e.payload.case === "message").map((e) => e.seq);
const isMarker = (event: Event) => event.payload.case === "message" && event.payload.value.body === "end";

describe("Subscribe under interleaved commits", () => {
  it("replays then follows with no gap and no duplicate, from whatever cursor a subscriber opens at mid-traffic", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 40 }), async (steps) => {
        const t = await createTestHub("memory", { limits: { sendRatePerSecond: 10_000, sendBurst: 10_000 } });
        const readers: { reader: EventReader; cursor: bigint }[] = [];
        try {
          const recipient = await t.agent("r");
          const senders = await Promise.all([0, 1, 2].map((i) => t.agent(`s${i}`)));
          // Follows from the start as traffic commits; its seqs are the cursors later subscribers pick from.
          const follower = new EventReader(recipient.client, 0n, [EventType.MESSAGE]);
          await follower.caughtUp();
          const following = follower.until(isMarker);
          const inFlight: Promise<unknown>[] = [];
          let n = 0;
          for (const step of steps) {
            n++;
            if (step.op === "send") inFlight.push(senders[step.from].client.send({ recipient: "r", body: `m${n}` }));
            else if (step.op === "broadcast") inFlight.push(senders[step.from].client.broadcast({ body: `b${n}` }));
            else if (step.op === "pause") await new Promise((resolve) => setImmediate(resolve));
            else {
              const seen = [0n, ...seqsOf(follower.seen)];
              const cursor = seen[step.cursorPick % seen.length];
              readers.push({ reader: new EventReader(recipient.client, cursor, [EventType.MESSAGE]), cursor });
            }
          }
          await Promise.all(inFlight);
          await senders[0].client.send({ recipient: "r", body: "end" });
          const all = seqsOf(await following);
          expect(new Set(all).size).toBe(all.length);
          expect([...all].sort((a, b) => (a < b ? -1 : 1))).toEqual(all);
          expect(all.length).toBe(steps.filter((s) => s.op === "send" || s.op === "broadcast").length + 1);
          for (const { reader, cursor } of readers) {
            expect(seqsOf(await reader.until(isMarker))).toEqual(all.filter((seq) => seq > cursor));
          }
        } finally {
          for (const { reader } of readers) reader.close();
          await t.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
