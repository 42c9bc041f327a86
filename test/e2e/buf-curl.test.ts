import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PresenceChangeKind } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { registerAgent } from "../support/clients.js";
import { recordStream } from "./event-recorder.js";
import {
  BUF_BIN,
  bufCurl,
  CONNECT_FLAGS,
  GRPC_FLAGS,
  type Hub,
  killAll,
  launchHub,
  removeTempDirs,
  spawnTracked,
  transports,
} from "./harness.js";

/** buf curl's flags for each protocol, with no proto files: everything comes from reflection. */
const PROTOCOL_FLAGS = [
  { protocol: "grpc (h2c)", flags: GRPC_FLAGS },
  { protocol: "connect (HTTP/1.1)", flags: CONNECT_FLAGS },
] as const;

/** Splits buf curl's output (pretty-printed JSON documents, one after another) into values. */
function jsonDocuments(text: string): unknown[] {
  return text
    .split(/^}\n/m)
    .filter((chunk) => chunk.trim() !== "")
    .map((chunk) => JSON.parse(`${chunk}}`));
}

function parseOne(stdout: string): Record<string, unknown> {
  const docs = jsonDocuments(stdout);
  expect(docs).toHaveLength(1);
  return docs[0] as Record<string, unknown>;
}

let hub: Hub;
let counter = 0;
/** A name no other test in this file uses. */
const uniqueName = (prefix: string) => `${prefix}-${++counter}`;

async function curl(flags: readonly string[], method: string, body: unknown, token?: string) {
  const args = [...flags, "-d", JSON.stringify(body)];
  if (token !== undefined) args.push("-H", `Authorization: Bearer ${token}`);
  return bufCurl([...args, `${hub.url}/${method}`]);
}

async function register(flags: readonly string[], name: string): Promise<string> {
  const result = await curl(flags, "linker.v1.LinkerService/Register", { name });
  expect(result.code, result.stderr).toBe(0);
  const response = parseOne(result.stdout) as { sessionToken: string; instance: { name: string } };
  expect(response.instance.name).toBe(name);
  expect(response.sessionToken).toMatch(/^lk_/);
  return response.sessionToken;
}

describe("buf curl against the hub, with no proto files", () => {
  beforeAll(async () => {
    hub = await launchHub({ args: ["--presence-ttl", "1"] });
  });
  afterEach(() => killAll([hub]));
  afterAll(async () => {
    await killAll();
    removeTempDirs();
  });

  it.each(PROTOCOL_FLAGS)("lists services and methods by reflection over $protocol", async ({ flags }) => {
    const services = await bufCurl([...flags, "--list-services", hub.url]);
    expect(services.code, services.stderr).toBe(0);
    expect(services.stdout.trim().split("\n").sort()).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "linker.v1.LinkerService",
    ]);

    const methods = await bufCurl([...flags, "--list-methods", hub.url]);
    expect(methods.code, methods.stderr).toBe(0);
    const listed = methods.stdout.trim().split("\n");
    for (const method of LinkerService.methods) expect(listed).toContain(`linker.v1.LinkerService/${method.name}`);
    expect(listed).toContain("grpc.health.v1.Health/Check");
  });

  it("also answers reflection v1alpha", async () => {
    const services = await bufCurl([...GRPC_FLAGS, "--reflect-protocol", "grpc-v1alpha", "--list-services", hub.url]);
    expect(services.code, services.stderr).toBe(0);
    expect(services.stdout).toContain("linker.v1.LinkerService");
  });

  it.each(PROTOCOL_FLAGS)("registers, then sends with a bearer token over $protocol", async ({ flags }) => {
    const receiver = uniqueName("receiver");
    const sender = uniqueName("sender");
    const receiverToken = await register(flags, receiver);
    const senderToken = await register(flags, sender);

    const sent = await curl(flags, "linker.v1.LinkerService/Send", { recipient: receiver, body: "hello from buf curl" }, senderToken);
    expect(sent.code, sent.stderr).toBe(0);
    const message = (parseOne(sent.stdout) as { message: { id: string; sender: string; recipient: string; body: string } }).message;
    expect(message).toMatchObject({ sender, recipient: receiver, body: "hello from buf curl" });

    const listed = await curl(flags, "linker.v1.LinkerService/ListMessages", {}, receiverToken);
    expect(listed.code, listed.stderr).toBe(0);
    const inbox = parseOne(listed.stdout) as { messages: Array<{ id: string; sender: string }> };
    expect(inbox.messages.map((m) => [m.id, m.sender])).toEqual([[message.id, sender]]);

    const anonymous = await curl(flags, "linker.v1.LinkerService/Send", { recipient: receiver, body: "no token" });
    expect(anonymous.code).not.toBe(0);
    expect(JSON.parse(anonymous.stderr)).toMatchObject({ code: "unauthenticated", message: expect.stringContaining("Bearer") });
  });

  it.each(PROTOCOL_FLAGS)("follows a Subscribe stream over $protocol, and the hub releases it when buf curl dies", async ({ flags }) => {
    const receiver = uniqueName("follower");
    const sender = uniqueName("poster");
    const receiverToken = await register(flags, receiver);
    const senderToken = await register(flags, sender);

    const watcher = await registerAgent(transports(hub.url, "grpc"), uniqueName("watcher"));
    const watching = recordStream(watcher.client, watcher.registered.headSeq);
    await watching.caughtUp;

    const follow = spawnTracked(BUF_BIN, [
      "curl",
      ...flags,
      "-H",
      `Authorization: Bearer ${receiverToken}`,
      "-d",
      "{}",
      `${hub.url}/linker.v1.LinkerService/Subscribe`,
    ]);
    await follow.waitForStdout(/"caughtUp"/);

    const body = `live event for ${receiver}`;
    const sent = await curl(flags, "linker.v1.LinkerService/Send", { recipient: receiver, body }, senderToken);
    expect(sent.code, sent.stderr).toBe(0);
    const id = (parseOne(sent.stdout) as { message: { id: string } }).message.id;

    await follow.waitForStdout(new RegExp(`"body": "${body}"[\\s\\S]*?\\n}\\n`));
    const seenBeforeKill = watching.events.length;
    expect(await follow.stop("SIGKILL")).toBe("SIGKILL");

    // The hub notices the dead connection and releases the stream: the follower goes offline.
    await watching.until(`${receiver} to leave after its stream was killed`, (events) =>
      events.slice(seenBeforeKill).some((e) => e.presence?.name === receiver && e.presence.change === PresenceChangeKind.LEFT),
    );
    await watching.cancel();

    const items = jsonDocuments(follow.stdout()) as Array<{
      event?: { seq: string; message?: { id: string; seq: string; sender: string; recipient: string; body: string } };
      caughtUp?: { seq: string };
    }>;
    const caughtUpAt = items.findIndex((item) => item.caughtUp !== undefined);
    expect(caughtUpAt).toBeGreaterThanOrEqual(0);
    const live = items.slice(caughtUpAt + 1).filter((item) => item.event?.message !== undefined);
    expect(live).toHaveLength(1);
    expect(live[0].event!.message).toMatchObject({ id, sender, recipient: receiver, body });
    expect(live[0].event!.message!.seq).toBe(live[0].event!.seq);
    const seqs = items.flatMap((item) => (item.event ? [BigInt(item.event.seq)] : []));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
  });

  it.each(PROTOCOL_FLAGS)("reports health SERVING over $protocol", async ({ flags }) => {
    for (const service of ["", "linker.v1.LinkerService"]) {
      const result = await curl(flags, "grpc.health.v1.Health/Check", { service });
      expect(result.code, result.stderr).toBe(0);
      expect(parseOne(result.stdout)).toEqual({ status: "SERVING" });
    }
    const unknown = await curl(flags, "grpc.health.v1.Health/Check", { service: "nope.v1.Nope" });
    expect(unknown.code).not.toBe(0);
    expect(JSON.parse(unknown.stderr)).toMatchObject({ code: "not_found" });
  });
});
