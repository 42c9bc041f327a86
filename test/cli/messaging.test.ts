import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";
import { Agent, killAll, removeTempDirs } from "./cli-process.js";

interface JsonMessage {
  id: string;
  sender: string;
  recipient: string;
  kind: string;
  body: string;
  threadId: string;
  replyTo: string;
}

interface JsonInbox {
  messages: JsonMessage[];
  unreadCount: number;
}

describe.concurrent("linker send, inbox, broadcast, thread, ask and reply", { timeout: 60_000 }, () => {
  let hub: HubProcess;
  /** Agents of one test, registered on the hub (each test uses its own names). */
  const registered = async (...names: string[]): Promise<Agent[]> => registeredOn(hub, ...names);
  const registeredOn = async (on: HubProcess, ...names: string[]): Promise<Agent[]> => {
    const agents = names.map((name) => new Agent(name, on.url));
    const results = await Promise.all(agents.map((agent) => agent.run(["register"])));
    for (const result of results) expect(result.stdout).toMatch(/^registered "/);
    return agents;
  };

  beforeAll(async () => {
    hub = await startHubProcess();
  });

  afterAll(async () => {
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("send stores a message the recipient's inbox shows until it is marked read", async () => {
    const [alice, bob] = await registered("send-alice", "send-bob");
    const sent = await alice.run(["send", "send-bob", "the", "API", "is", "on", "8080"]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^sent to send-bob: [0-9a-f-]{36} \(send-bob is offline; it gets the message when it comes back\)\n$/);

    const [peek, json] = await Promise.all([bob.run(["inbox"]), bob.json<JsonInbox>(["inbox"])]);
    expect(peek.stdout).toMatch(/^\S+\s+send-alice\s+text\s+[0-9a-f-]{36}\n {4}the API is on 8080\n\(1 unread\)\n$/);
    expect(json.messages.map((m) => [m.sender, m.body, m.kind])).toEqual([["send-alice", "the API is on 8080", "MESSAGE_KIND_TEXT"]]);
    expect(json.unreadCount).toBe(1);

    const read = await bob.run(["inbox", "--mark-read"]);
    expect(read.stdout).toContain("the API is on 8080");
    expect(read.stdout).toContain("(0 unread; 1 marked read)");
    const [after, all, piped] = await Promise.all([
      bob.run(["inbox"]),
      bob.json<JsonInbox>(["inbox", "--all", "--from", "send-alice"]),
      bob.json<{ message: JsonMessage; recipientOnline: boolean }>(["send", "send-alice", "-"], { input: "line one\nline two\n" }),
    ]);
    expect(after.stdout).toBe("no unread messages\n");
    expect(all.messages.map((m) => m.body)).toEqual(["the API is on 8080"]);
    expect([piped.message.sender, piped.message.body, piped.recipientOnline]).toEqual(["send-bob", "line one\nline two", false]);
  });

  it("broadcast reaches every other instance, and thread --with pages the history", async () => {
    // A broadcast reaches every registered instance, so it gets a hub of its own.
    const own = await startHubProcess({ args: ["--store", "memory"] });
    try {
      const [alice, bob, carol] = await registeredOn(own, "cast-alice", "cast-bob", "cast-carol");
      const sent = await carol.json<{ recipients: string[] }>(["broadcast", "standup in 5"]);
      expect(sent.recipients).toEqual(["cast-alice", "cast-bob"]);
      const aliceInbox = await alice.json<JsonInbox>(["inbox"]);
      expect(aliceInbox.messages.map((m) => [m.sender, m.recipient, m.body])).toEqual([["cast-carol", "*", "standup in 5"]]);

      for (const body of ["one", "two"]) expect((await carol.run(["send", "cast-bob", body])).code).toBe(0);
      const first = await bob.run(["thread", "--with", "cast-carol", "--limit", "1"]);
      expect(first.stdout).toMatch(/^\S+\s+cast-carol → cast-bob\s+text\s+[0-9a-f-]{36}\n {4}one\n\(more: linker thread --with cast-carol --page (\S+)\)\n$/);
      const token = /--page (\S+)\)/.exec(first.stdout)![1];
      const second = await bob.json<{ messages: JsonMessage[] }>(["thread", "--with", "cast-carol", "--limit", "1", "--page", token]);
      expect(second.messages.map((m) => m.body)).toEqual(["two"]);
    } finally {
      await own.stop();
    }
  });

  it("ask waits for the reply another identity sends with reply, and ls shows who is online", async () => {
    const [alice, bob] = await registered("ask-alice", "ask-bob");
    // bob stays online with an event stream; that is what Ask needs of its target.
    const bobTail = bob.spawn(["tail", "--types", "message"]);
    await bobTail.waitForStderr(/tailing events of "ask-bob"/);

    const ask = alice.spawn(["ask", "ask-bob", "which", "port?", "--timeout", "20s"]);
    await bobTail.waitForStdout(/ask-alice → ask-bob query [0-9a-f-]{36}: which port\?$/m);
    const inbox = await bob.json<JsonInbox>(["inbox"]);
    const query = inbox.messages.find((m) => m.kind === "MESSAGE_KIND_QUERY" && m.body === "which port?");
    expect(query, JSON.stringify(inbox)).toBeDefined();

    const reply = await bob.run(["reply", query!.id, "port", "8080"]);
    expect(reply.code, reply.stderr).toBe(0);
    expect(reply.stdout).toMatch(/^replied to ask-alice: [0-9a-f-]{36}\n$/);

    const answered = await ask.done;
    expect(answered.code, answered.stderr).toBe(0);
    expect(answered.stdout).toBe("port 8080\n");

    const [thread, listed] = await Promise.all([alice.json<{ messages: JsonMessage[] }>(["thread", query!.threadId]), alice.run(["ls"])]);
    expect(thread.messages.map((m) => [m.kind, m.body, m.replyTo])).toEqual([
      ["MESSAGE_KIND_QUERY", "which port?", ""],
      ["MESSAGE_KIND_RESPONSE", "port 8080", query!.id],
    ]);
    expect(listed.stdout).toMatch(/^NAME\s+PRESENCE\s+STATUS\s+WORKSPACE\s+LAST SEEN$/m);
    expect(listed.stdout).toMatch(/^ask-bob\s+online\s+-\s+\S+ on \S+\s+now$/m);
    expect(listed.stdout).toMatch(/^ask-alice \(you\)\s+(online|offline)\s/m);

    expect((await bobTail.stop("SIGINT")).code).toBe(0);
  });

  it("ask to an offline instance fails at once with status 3, and reply to an unknown id with 2", async () => {
    await registered("offline-carol");
    const alice = new Agent("offline-alice", hub.url);
    const [ask, reply] = await Promise.all([
      alice.run(["ask", "offline-carol", "anyone?"]),
      alice.run(["reply", "00000000-0000-4000-8000-000000000000", "hi"]),
    ]);
    expect(ask.code).toBe(3);
    expect(ask.stderr).toMatch(/^linker: .*"offline-carol" is offline/m);
    expect(ask.stderr).toMatch(/^ {2}hint: use `linker send` to leave a message/m);
    expect(reply.code).toBe(2);
    expect(reply.stderr).toMatch(/^linker: no message with id 00000000-0000-4000-8000-000000000000/m);
  });
});
