import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { connectErrorOf, transports, waitFor } from "../e2e/harness.js";
import { type Agent, registerAgent } from "../support/clients.js";
import { EventReader } from "../support/event-reader.js";
import { hasPostgres, type ReplicaSet, startReplicas } from "./replicas.js";

describe.skipIf(!hasPostgres)("across hub replicas on one PostgreSQL database", () => {
  let set: ReplicaSet;
  beforeAll(async () => {
    set = await startReplicas(3);
  }, 60_000);
  afterAll(async () => {
    for (const hub of set?.hubs ?? []) await hub.stop("SIGTERM");
  });
  const agentOn = (replica: number, name: string): Promise<Agent> => registerAgent(transports(set.hubs[replica].url, "grpc"), name);

  it("never skips or repeats an event while two writers on two replicas commit concurrently", { timeout: 90_000 }, async () => {
    const ROUNDS = 10;
    const PER_WRITER = 60;
    const watcher = await agentOn(2, "watcher");
    const stream = new EventReader(watcher.client, 0n, [EventType.MESSAGE]);
    await stream.caughtUp();
    const writers = await Promise.all([agentOn(0, "writer-a"), agentOn(1, "writer-b")]);
    const expected = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(
        writers.map(async (writer) => {
          const sends = Array.from({ length: PER_WRITER }, (_, i) => writer.client.send({ recipient: "watcher", body: `${writer.name}/${round}/${i}` }));
          for (const sent of await Promise.all(sends)) expected.add(sent.message!.body);
        }),
      );
    }
    const events = await stream.take(expected.size);
    const seqs = events.map((event) => event.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i] > seqs[i - 1], `seq ${seqs[i]} after ${seqs[i - 1]}`).toBe(true);
    const bodies = EventReader.bodies(events);
    expect(new Set(bodies).size).toBe(bodies.length);
    expect(new Set(bodies)).toEqual(expected);
    // A subscriber that resumes from any cursor gets exactly the rest, in the same order.
    const cut = seqs[Math.floor(seqs.length / 2)];
    const again = new EventReader(watcher.client, cut, [EventType.MESSAGE]);
    const rest = await again.take(seqs.filter((seq) => seq > cut).length);
    expect(rest.map((event) => event.seq)).toEqual(seqs.filter((seq) => seq > cut));
    again.close();
    stream.close();
  });

  it("streams a broadcast committed on one replica to its recipients on the others, once each", async () => {
    const listeners = await Promise.all([agentOn(1, "listener-1"), agentOn(2, "listener-2")]);
    const streams = listeners.map((listener) => new EventReader(listener.client, 0n, [EventType.MESSAGE]));
    for (const stream of streams) await stream.caughtUp();
    const announcer = await agentOn(0, "announcer");
    const sent = await announcer.client.broadcast({ body: "replicas, listen" });
    expect(sent.recipients).toEqual(expect.arrayContaining(["listener-1", "listener-2"]));
    const received = await Promise.all(streams.map((stream) => stream.until((event) => event.payload.case === "message" && event.payload.value.id === sent.message!.id)));
    expect(received.map((events) => events.at(-1)!.seq)).toEqual([received[0].at(-1)!.seq, received[0].at(-1)!.seq]);
    // What follows on the same streams comes once, after it.
    await announcer.client.send({ recipient: "listener-1", body: "after the broadcast" });
    const [next] = await streams[0].take(1);
    expect(EventReader.bodies([next])).toEqual(["after the broadcast"]);
    expect(streams[0].seen.filter((event) => event.payload.case === "message" && event.payload.value.id === sent.message!.id)).toHaveLength(1);
    await listeners[1].client.ack({ messageIds: [sent.message!.id] });
    expect((await listeners[0].client.listMessages({ unreadOnly: true })).messages.map((m) => m.body)).toContain("replicas, listen");
    expect((await listeners[1].client.listMessages({ unreadOnly: true })).messages.map((m) => m.body)).not.toContain("replicas, listen");
    for (const stream of streams) stream.close();
  });

  it("answers an Ask whose asker is on one replica and responder on another", async () => {
    const responder = await agentOn(1, "responder");
    const inbox = new EventReader(responder.client, 0n, [EventType.MESSAGE]);
    await inbox.caughtUp();
    const asker = await agentOn(0, "asker");
    await waitFor("the responder to be online on the asker's replica", async () => {
      const { instances } = await asker.client.listInstances({ onlineOnly: true });
      return instances.some((instance) => instance.name === "responder");
    });
    const asked = asker.client.ask({ recipient: "responder", body: "which port?", timeoutMs: 20_000 });
    const [query] = await inbox.until((event) => event.payload.case === "message" && event.payload.value.kind === MessageKind.QUERY);
    if (query.payload.case !== "message") throw new Error("expected the query");
    await responder.client.send({ recipient: "asker", body: "8080", kind: MessageKind.RESPONSE, replyTo: query.payload.value.id });
    const answer = await asked;
    expect(answer.reply?.body).toBe("8080");
    expect(answer.reply?.sender).toBe("responder");
    inbox.close();
  });

  it("counts an instance online on every replica as soon as its stream caught up or its heartbeat returned on one", { timeout: 60_000 }, async () => {
    const asker = await agentOn(0, "presence-asker");
    for (let round = 0; round < 10; round++) {
      const streaming = await agentOn(1, `streaming-${round}`);
      const beating = await agentOn(2, `beating-${round}`);
      const stream = new EventReader(streaming.client, 0n, [EventType.MESSAGE]);
      await stream.caughtUp();
      await beating.client.heartbeat({});
      // No waiting: the other replicas must already agree.
      const { instances } = await asker.client.listInstances({ onlineOnly: true });
      expect(instances.map((instance) => instance.name), `round ${round}`).toEqual(expect.arrayContaining([streaming.name, beating.name]));
      const sent = await asker.client.send({ recipient: streaming.name, body: "are you there?" });
      expect(sent.recipientOnline, `round ${round}`).toBe(true);
      const asked = await connectErrorOf(asker.client.ask({ recipient: beating.name, body: "anyone?", timeoutMs: 50 }));
      expect(asked.code, `round ${round}: ${asked.rawMessage}`).toBe(Code.DeadlineExceeded);
      stream.close();
    }
  });

  it("gives each of 100 open tasks to exactly one of the claimers racing on three replicas", { timeout: 60_000 }, async () => {
    const lead = await agentOn(0, "lead");
    const claimers = await Promise.all([0, 1, 2].map((replica) => agentOn(replica, `claimer-${replica}`)));
    const tasks = await Promise.all(Array.from({ length: 100 }, (_, i) => lead.client.createTask({ title: `task ${i}` })));
    const outcomes = await Promise.all(
      tasks.map(({ task }) =>
        Promise.allSettled(claimers.map((claimer) => claimer.client.claimTask({ taskId: task!.id }))),
      ),
    );
    for (const [i, results] of outcomes.entries()) {
      const won = results.filter((result) => result.status === "fulfilled");
      expect(won, `task ${i}`).toHaveLength(1);
      for (const lost of results.filter((result) => result.status === "rejected")) {
        expect((await connectErrorOf(Promise.reject((lost as PromiseRejectedResult).reason))).code).toBe(Code.FailedPrecondition);
      }
      const { task } = await lead.client.getTask({ taskId: tasks[i].task!.id });
      expect(task?.status).toBe(TaskStatus.PENDING);
      expect(task?.assignee).toBe((won[0] as PromiseFulfilledResult<{ task?: { assignee: string } }>).value.task?.assignee);
    }
  });

  it("lets exactly one compare-and-set win when replicas race on the same revision", { timeout: 60_000 }, async () => {
    const writers = await Promise.all([0, 1, 2].map((replica) => agentOn(replica, `cas-${replica}`)));
    for (let round = 0; round < 30; round++) {
      const key = `race/${round}`;
      const results = await Promise.allSettled(writers.map((writer) => writer.client.putMemory({ key, value: writer.name, expectedRevision: 0n })));
      const won = results.filter((result) => result.status === "fulfilled");
      expect(won, key).toHaveLength(1);
      const current = await writers[0].client.getMemory({ key });
      const next = await Promise.allSettled(writers.map((writer) => writer.client.putMemory({ key, value: `${writer.name}-2`, expectedRevision: current.entry!.revision })));
      expect(next.filter((result) => result.status === "fulfilled"), `${key} second round`).toHaveLength(1);
      for (const lost of next.filter((result) => result.status === "rejected")) {
        expect((await connectErrorOf(Promise.reject((lost as PromiseRejectedResult).reason))).code).toBe(Code.FailedPrecondition);
      }
    }
  });
});
