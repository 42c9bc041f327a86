import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { registerAgent } from "../support/clients.js";
import { assertIncreasing, recordStream, type SeenEvent } from "./event-recorder.js";
import { codeName, connectErrorOf, freePort, killAll, launchHub, removeTempDirs, tempDir, transports } from "./harness.js";

/** Messages the sender sends, one after another. */
const TOTAL = 300;
/** The hub is killed once this many sends have returned OK. */
const KILL_AFTER_OK = 120;
/** Attempts per message before the sender gives up. */
const MAX_ATTEMPTS = 5;

interface Acked {
  index: number;
  id: string;
  duplicate: boolean;
}

describe("crash recovery: SIGKILL mid-flow, restart on the same data dir and port", () => {
  afterEach(() => killAll());
  afterAll(removeTempDirs);

  it.each([
    { sender: "grpc", subscriber: "connect" },
    { sender: "connect", subscriber: "grpc" },
  ] as const)(
    "sender over $sender, subscriber over $subscriber: every acknowledged send is delivered once, in order, with no gap",
    async ({ sender: senderProtocol, subscriber: subscriberProtocol }) => {
      const port = await freePort();
      const dataDir = tempDir();
      let hub = await launchHub({ port, dataDir });
      const url = hub.url;
      const sender = await registerAgent(transports(url, senderProtocol), "sender");
      const receiver = await registerAgent(transports(url, subscriberProtocol), "receiver");

      const before = recordStream(receiver.client, 0n);
      await before.caughtUp;

      const acked: Acked[] = [];
      const failures: Array<{ index: number; attempt: number; code: string }> = [];
      let killIssued = false;
      let markRestarted!: () => void;
      const restarted = new Promise<void>((resolve) => (markRestarted = resolve));
      let markKilled!: () => void;
      const killed = new Promise<void>((resolve) => (markKilled = resolve));

      const sending = (async () => {
        for (let index = 0; index < TOTAL; index++) {
          for (let attempt = 1; ; attempt++) {
            const pending = sender.client.send({ recipient: "receiver", body: `m-${index}`, idempotencyKey: `k-${index}` });
            if (!killIssued && acked.length === KILL_AFTER_OK) {
              killIssued = true;
              // The send above is on its way; the kill lands while it is in flight
              // (sometimes before the hub stores it, sometimes after).
              setTimeout(() => {
                hub.child.kill("SIGKILL");
                markKilled();
              }, 1);
            }
            try {
              const response = await pending;
              acked.push({ index, id: response.message!.id, duplicate: response.duplicate });
              break;
            } catch (err) {
              const error = ConnectError.from(err);
              if (!killIssued) throw new Error(`send ${index} failed before the hub was killed: ${error.message}`);
              failures.push({ index, attempt, code: codeName(error.code) });
              if (attempt >= MAX_ATTEMPTS) throw new Error(`send ${index} failed ${attempt} times after restart: ${error.message}`);
              await restarted;
            }
          }
        }
      })();
      sending.catch(() => undefined);

      await Promise.race([killed, sending]);
      expect(killIssued, "the sender finished before the kill").toBe(true);
      expect(await hub.exited).toBe("SIGKILL");
      const cut = await before.ended;
      expect(cut, "the live stream must end with an error when the hub dies").toBeInstanceOf(ConnectError);

      const seenBefore = [...before.events];
      assertIncreasing(seenBefore, "stream before the crash");
      expect(seenBefore.length).toBeGreaterThan(0);
      const lastSeq = seenBefore[seenBefore.length - 1].seq;

      hub = await launchHub({ port, dataDir });
      expect(hub.url).toBe(url);
      markRestarted();

      // Sessions survive: the old tokens still authenticate, and resume_token reclaims the name.
      const heartbeat = await receiver.client.heartbeat({});
      expect(heartbeat.headSeq).toBeGreaterThanOrEqual(lastSeq);
      const reclaimed = await receiver.client.register({ name: "receiver", resumeToken: receiver.token });
      expect(reclaimed.reclaimed).toBe(true);
      expect(reclaimed.sessionToken).toBe(receiver.token);
      const taken = await connectErrorOf(receiver.client.register({ name: "sender" }));
      expect(codeName(taken.code)).toBe(codeName(Code.PermissionDenied));

      const after = recordStream(receiver.client, lastSeq);
      await sending;
      expect(acked.length).toBe(TOTAL);
      expect(failures.length, "at least the in-flight send or the next one must have failed").toBeGreaterThan(0);

      const ackedIds = new Set(acked.map((a) => a.id));
      const seenIds = () => new Set([...seenBefore, ...after.events].flatMap((e) => (e.messageId ? [e.messageId] : [])));
      await after
        .until(
          `all ${TOTAL} acknowledged messages`,
          () => {
            const seen = seenIds();
            return [...ackedIds].every((id) => seen.has(id));
          },
          5_000,
        )
        .catch((err: Error) => {
          const seen = seenIds();
          const missing = acked.filter((a) => !seen.has(a.id)).map((a) => a.index);
          throw new Error(`${err.message}; acknowledged but never delivered: message indices ${missing.join(", ")}`);
        });
      await after.cancel();
      const seenAfter = [...after.events];

      // The resumed stream starts after the cursor and only increases.
      assertIncreasing(seenAfter, "resumed stream");
      expect(seenAfter[0].seq).toBeGreaterThan(lastSeq);

      // No message is seen twice across the two streams; every index exactly once, in send order.
      const messages = [...seenBefore, ...seenAfter].filter((e): e is SeenEvent & { messageId: string } => e.messageId !== undefined);
      const ids = messages.map((m) => m.messageId);
      expect(new Set(ids).size, "a message id was delivered twice").toBe(ids.length);
      expect(messages.map((m) => m.body)).toEqual(Array.from({ length: TOTAL }, (_, i) => `m-${i}`));
      // A retried send whose first attempt was stored came back as a duplicate with the same id.
      for (const a of acked) expect(ids).toContain(a.id);

      // No gap: together the two streams hold exactly what the store replays up to the last seq seen.
      const seen = [...seenBefore, ...seenAfter];
      const maxSeen = seen[seen.length - 1].seq;
      const replay = recordStream(receiver.client, 0n);
      await replay.caughtUp;
      await replay.cancel();
      const stored = replay.events.filter((e) => e.seq <= maxSeen);
      expect(seen.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
      expect(seen.map((e) => e.messageId ?? e.kind)).toEqual(stored.map((e) => e.messageId ?? e.kind));

      // The sender's session also survived: it sent after the restart with its old token.
      const afterRestart = acked.filter((a) => a.index >= KILL_AFTER_OK);
      expect(afterRestart.length).toBeGreaterThan(0);
      const inbox = await receiver.client.listMessages({ limit: 500 });
      expect(inbox.messages.length).toBe(TOTAL);
    },
  );
});
