import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { LinkerClient, type LinkerClientOptions, LinkerError, MemorySessionStore, type WireProtocol } from "@linker/client";
import type { RunningHub } from "../../packages/hub/src/start-hub.js";
import { freePort } from "./support/agents.js";
import { startTestHub } from "./support/hubs.js";

let hub: RunningHub;
const clients: LinkerClient[] = [];
let counter = 0;

beforeAll(async () => {
  hub = await startTestHub();
});

afterAll(async () => {
  await hub.close();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

async function connect(name: string, options: Partial<LinkerClientOptions> = {}): Promise<LinkerClient> {
  const client = new LinkerClient({ name, hubs: hub.url, sessions: new MemorySessionStore(), ...options });
  clients.push(client);
  await client.connect();
  return client;
}

function unique(name: string): string {
  counter += 1;
  return `${name}-${counter}`;
}

async function failure(promise: Promise<unknown>): Promise<LinkerError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(LinkerError);
  return error as LinkerError;
}

describe.each<WireProtocol>(["grpc", "connect", "grpc-web"])("LinkerClient over %s", (protocol) => {
  it("registers, sends, and delivers each message once with typed events", async () => {
    const alice = await connect(unique("alice"), { protocol });
    const bob = await connect(unique("bob"), { protocol });
    const received: string[] = [];
    bob.on("message", ({ message }) => received.push(message.body));
    const receipt = alice.once("receipt");
    const delivered = bob.once("message");

    const sent = await alice.send({ recipient: bob.name, body: "hello", threadId: "t-1" });
    expect(sent.message?.sender).toBe(alice.name);
    expect(sent.message?.idempotencyKey).not.toBe("");
    const { message } = await delivered;
    expect(message.id).toBe(sent.message?.id);
    expect(message.threadId).toBe("t-1");
    expect((await receipt).receipt.messageId).toBe(message.id);
    expect(received).toEqual(["hello"]);
    expect(bob.cursor).toBeGreaterThanOrEqual(message.seq);
    expect(bob.state).toBe("live");
  });
});

describe("LinkerClient RPC helpers", () => {
  it("answers an Ask with reply()", async () => {
    const asker = await connect(unique("asker"));
    const expert = await connect(unique("expert"));
    let replied: Promise<unknown> | undefined;
    expert.on("message", ({ message }) => {
      if (message.kind === MessageKind.QUERY) replied = expert.reply(message, { body: `answer to ${message.body}` });
    });
    const { query, reply } = await asker.ask({ recipient: expert.name, body: "what is 6*7?", timeoutMs: 5_000 });
    // The asker can have its answer before the replier's own Send returns.
    await replied;
    expect(reply?.body).toBe("answer to what is 6*7?");
    expect(reply?.replyTo).toBe(query?.id);
    expect(reply?.kind).toBe(MessageKind.RESPONSE);
  });

  it("broadcasts, lists, acks and pages a conversation", async () => {
    const a = await connect(unique("caster"));
    const b = await connect(unique("listener"));
    const got = b.once("message", ({ message }) => message.sender === a.name);
    const cast = await a.broadcast({ body: "to everyone" });
    expect(cast.recipients).toContain(b.name);
    await got;
    await a.send({ recipient: b.name, body: "direct" });
    const unread = await b.listMessages({ unreadOnly: true });
    expect(unread.messages.map((m) => m.body)).toEqual(["to everyone", "direct"]);
    const acked = await b.ack({ messageIds: unread.messages.map((m) => m.id) });
    expect(acked.acknowledged).toBe(2);
    expect(acked.unreadCount).toBe(0);
    const history = await b.getConversation({ selector: { case: "peer", value: a.name } });
    expect(history.messages.map((m) => m.body)).toEqual(["direct"]);
  });

  it("reads and writes shared memory, with compare-and-set conflicts as clear errors", async () => {
    const client = await connect(unique("memo"));
    const key = `notes/${client.name}`;
    expect(await client.getMemory({ key })).toBeUndefined();
    const created = await client.putMemory({ key, value: "v1", expectedRevision: 0n });
    expect(created.revision).toBeGreaterThan(0n);
    const conflict = await failure(client.putMemory({ key, value: "v2", expectedRevision: created.revision + 100n }));
    expect(conflict.code).toBe(Code.FailedPrecondition);
    expect(conflict.rpc).toBe("PutMemory");
    expect(conflict.memoryConflict?.currentRevision).toBe(created.revision);
    expect(conflict.hint).toMatch(/read it again/);
    expect((await client.getMemory({ key }))?.value).toBe("v1");
    const listed = await client.listMemory({ prefix: "notes/" });
    expect(listed.entries.map((e) => e.key)).toContain(key);
    expect(await client.deleteMemory({ key, expectedRevision: created.revision })).toBeGreaterThan(created.revision);
    expect(await client.getMemory({ key })).toBeUndefined();
  });

  it("creates, claims, updates and lists tasks", async () => {
    const boss = await connect(unique("boss"));
    const worker = await connect(unique("worker"));
    const taskEvent = worker.once("task");
    const task = await boss.createTask({ title: "write tests" });
    await taskEvent;
    const claimed = await worker.claimTask({ taskId: task.id });
    expect(claimed.assignee).toBe(worker.name);
    const done = await worker.updateTask({ taskId: task.id, status: TaskStatus.COMPLETED, result: "done" });
    expect(done.status).toBe(TaskStatus.COMPLETED);
    expect((await boss.getTask({ taskId: task.id })).result).toBe("done");
    const mine = await worker.listTasks({});
    expect(mine.tasks.map((t) => t.id)).toContain(task.id);
    const other = await boss.createTask({ title: "cancel me", assignee: worker.name });
    expect((await boss.cancelTask({ taskId: other.id, reason: "not needed" })).status).toBe(TaskStatus.CANCELED);
  });

  it("streams presence and offers events() as an async iterator", async () => {
    const watcher = await connect(unique("watcher"));
    const events = watcher.events({ types: ["presence", "message"] });
    const newcomer = await connect(unique("newcomer"));
    await newcomer.send({ recipient: watcher.name, body: "hi" });
    const seen: string[] = [];
    for await (const event of events) {
      if (event.type === "presence" && event.change.instance?.name === newcomer.name) {
        seen.push(`presence:${PresenceChangeKind[event.change.kind]}`);
      }
      if (event.type === "message") {
        seen.push(`message:${event.message.body}`);
        break;
      }
    }
    expect(seen).toContain("message:hi");
    expect(seen.some((s) => s.startsWith("presence:"))).toBe(true);
  });

  it("updates status and lists instances", async () => {
    const client = await connect(unique("status"));
    expect((await client.setStatus({ status: "busy" }))?.status).toBe("busy");
    const instances = await client.listInstances({ onlineOnly: true });
    expect(instances.find((i) => i.name === client.name)?.status).toBe("busy");
    expect((await client.heartbeat()).presenceTtlSeconds).toBeGreaterThan(0);
  });
});

describe("LinkerError", () => {
  it("names the RPC, hub URL, code and what to do for hub errors", async () => {
    const client = await connect(unique("err"));
    const error = await failure(client.send({ recipient: "nobody-here", body: "hello?" }));
    expect(error).toBeInstanceOf(ConnectError);
    expect(ConnectError.from(error)).toBe(error);
    expect(error.code).toBe(Code.NotFound);
    expect(error.rpc).toBe("Send");
    expect(error.hubUrl).toBe(hub.url);
    expect(error.hubFailure).toBe(false);
    expect(error.message).toContain(`Send at ${hub.url} failed`);
    expect(error.reason).toMatch(/no instance named "nobody-here"/);
    expect(error.toJSON()).toMatchObject({ code: "not_found", rpc: "Send", hubUrl: hub.url });
  });

  it("explains an Ask nobody can answer, without treating the hub as gone", async () => {
    const client = await connect(unique("lonely"));
    const offline = await connect(unique("offline"), { subscribe: false });
    await offline.unregister();
    const error = await failure(client.ask({ recipient: offline.name, body: "anyone?", timeoutMs: 1_000 }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.hubFailure).toBe(false);
    expect(error.hint).toMatch(/Send instead/);
  });

  it("rejects invalid input with INVALID_ARGUMENT", async () => {
    const client = await connect(unique("valid"));
    const error = await failure(client.send({ recipient: "not a valid name!", body: "x" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.hint).toMatch(/nothing was changed/);
  });

  it("refuses a taken name with PERMISSION_DENIED and a way out", async () => {
    const owner = await connect(unique("owner"));
    const error = await failure(connect(owner.name));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rpc).toBe("Register");
    expect(error.hint).toMatch(/another name/);
  });

  it("reports an unreachable hub quickly, with the URL and how to start one", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const client = new LinkerClient({ name: "nohub", hubs: url, sessions: false, connectRetryMs: 300 });
    clients.push(client);
    const error = await failure(client.connect());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.hubFailure).toBe(true);
    expect(error.hubUrl).toBe(url);
    expect(error.rpc).toBe("Register");
    expect(error.hint).toMatch(/linker hub/);
    expect(error.hint).toMatch(/autoHub/);
  });

  it("fails calls on a closed client", async () => {
    const client = await connect(unique("closed"));
    await client.close();
    const error = await failure(client.send({ recipient: "x", body: "y" }));
    expect(error.code).toBe(Code.Canceled);
    expect(error.hint).toMatch(/new LinkerClient/);
  });
});
