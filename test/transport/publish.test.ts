import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { type PublishRequest, PublishRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { EventReader } from "../support/event-reader.js";
import { createTestHub, storeKinds, type TestHub } from "../support/test-hub.js";

async function* requests(list: PublishRequest[]): AsyncIterable<PublishRequest> {
  for (const request of list) yield request;
}

describe.each(storeKinds)("Publish (%s store)", (kind) => {
  let t: TestHub;
  afterEach(async () => {
    await t?.close();
  });

  it("stores every message in order and answers each in request order, errors included, without ending the stream", async () => {
    t = await createTestHub(kind);
    const alice = await t.agent("alice");
    const bob = await t.agent("bob");
    const list: PublishRequest[] = [];
    for (let i = 0; i < 300; i++) {
      const recipient = i === 100 ? "nobody" : "bob";
      const body = i === 200 ? "" : `m${i}`;
      list.push(create(PublishRequestSchema, { sequence: BigInt(i + 1), message: { case: "send", value: { recipient, body } } }));
    }
    list.push(create(PublishRequestSchema, { sequence: 1000n, message: { case: "send", value: { recipient: "bad name!", body: "x" } } }));
    list.push(create(PublishRequestSchema, { sequence: 1001n, message: { case: "broadcast", value: { body: "to all" } } }));
    const answers = [];
    for await (const answer of alice.client.publish(requests(list))) answers.push(answer);
    expect(answers.map((a) => a.sequence)).toEqual(list.map((r) => r.sequence));
    const failed = answers.filter((a) => a.outcome.case === "error").map((a) => [a.sequence, a.outcome.case === "error" ? a.outcome.value.code : 0]);
    expect(failed).toEqual([
      [101n, Code.NotFound],
      [201n, Code.InvalidArgument],
      [1000n, Code.InvalidArgument],
    ]);
    expect(answers.at(-1)?.outcome).toMatchObject({ case: "broadcasted", value: { recipients: ["bob"] } });
    const inbox = new EventReader(bob.client, 0n, [EventType.MESSAGE]);
    const events = await inbox.caughtUp();
    const expected = list.slice(0, 300).flatMap((r, i) => (i === 100 || i === 200 ? [] : [`m${i}`]));
    expect(EventReader.bodies(events)).toEqual([...expected, "to all"]);
    inbox.close();
  });

  it("needs a session, like every other RPC but Register", async () => {
    t = await createTestHub(kind);
    const { createClient } = await import("@connectrpc/connect");
    const { LinkerService } = await import("@linker/protocol/gen/linker/v1/linker_service_pb.js");
    const anonymous = createClient(LinkerService, t.transport());
    const call = async () => {
      for await (const _ of anonymous.publish(requests([create(PublishRequestSchema, { sequence: 1n, message: { case: "send", value: { recipient: "x", body: "y" } } })]))) break;
    };
    await expect(call()).rejects.toMatchObject({ code: Code.Unauthenticated });
  });
});
