import { create, toBinary, type JsonObject } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SendRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { LinkerClient, MemorySessionStore } from "../../packages/client/src/index.js";
import { type Agent, registerAgent } from "../support/clients.js";
import { codeOf } from "../support/codes.js";
import { killAll, launchHub, removeTempDirs, transports } from "../e2e/harness.js";

/** A JSON object nested `depth` levels deep. */
function nested(depth: number): JsonObject {
  let value: JsonObject = { leaf: "x" };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

/** Finding 2: a binary Send nesting its attachment 49 levels deep wedged the recipient's inbox. */
describe("no message can wedge a reader", () => {
  let url: string;
  let alice: Agent;
  let bob: Agent;
  beforeAll(async () => {
    const hub = await launchHub();
    url = hub.url;
    alice = await registerAgent(transports(url, "grpc"), "alice");
    bob = await registerAgent(transports(url, "connect"), "bob");
  });
  afterAll(async () => {
    await killAll();
    removeTempDirs();
  });

  it("refuses a Send or Broadcast nesting its data deeper than the limit, in binary and JSON, and stores nothing", async () => {
    const poison = { content: { case: "data" as const, value: nested(49) } };
    // The gRPC client encodes the request in binary, the Connect one as JSON.
    expect(toBinary(SendRequestSchema, create(SendRequestSchema, { recipient: "bob", body: "x", attachment: poison })).length).toBeGreaterThan(0);
    expect(await codeOf(alice.client.send({ recipient: "bob", body: "poison", attachment: poison }))).toBe(Code.InvalidArgument);
    expect(await codeOf(bob.client.send({ recipient: "alice", body: "poison", attachment: poison }))).toBe(Code.InvalidArgument);
    expect(await codeOf(alice.client.broadcast({ body: "poison for all", attachment: poison }))).toBe(Code.InvalidArgument);
    expect(await codeOf(alice.client.send({ recipient: "bob", body: "just over", attachment: { content: { case: "data", value: nested(17) } } }))).toBe(
      Code.InvalidArgument,
    );
    await alice.client.send({ recipient: "bob", body: "at the limit", attachment: { content: { case: "data", value: nested(16) } } });

    // Bob's inbox still reads.
    const listed = await bob.client.listMessages({});
    expect(listed.messages.map((m) => m.body)).toEqual(["at the limit"]);
  });

  it("a recipient on the TypeScript client library reads its inbox and its stream past a refused poison message", async () => {
    const carol = new LinkerClient({ name: "carol", hubs: [url], sessions: new MemorySessionStore(), hubKey: "poison-test" });
    try {
      await carol.connect();
      const arrived = carol.once("message", ({ message }) => message.body === "after the poison");
      const poison = { content: { case: "data" as const, value: nested(49) } };
      expect(await codeOf(alice.client.send({ recipient: "carol", body: "poison", attachment: poison }))).toBe(Code.InvalidArgument);
      await alice.client.send({ recipient: "carol", body: "after the poison" });
      const listed = await carol.listMessages({});
      expect(listed.messages.map((m) => m.body)).toEqual(["after the poison"]);
      expect((await arrived).message.body).toBe("after the poison");
    } finally {
      await carol.close();
    }
  });
});
