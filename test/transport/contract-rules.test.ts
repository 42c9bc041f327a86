import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { afterEach, describe, expect, it } from "vitest";
import { BroadcastRequestSchema, SendRequestSchema, UpdateTaskRequestSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { createTestHub, type TestHub } from "../support/test-hub.js";

/** The rule ids a request breaks, as any protovalidate implementation reads them from the contract. */
function brokenRules(schema: Parameters<ReturnType<typeof createValidator>["validate"]>[0], init: object): string[] {
  const result = createValidator().validate(schema, create(schema, init as never));
  return result.kind === "invalid" ? result.violations.map((v) => v.ruleId) : [];
}

/**
 * Cross-field rules live in the contract as protovalidate CEL, so every
 * client and tool that reads the proto knows them; the hub answers them
 * INVALID_ARGUMENT with the rule's message and stores nothing.
 */
describe("cross-field rules in the contract", () => {
  let t: TestHub;
  afterEach(async () => {
    await t?.close();
  });

  it("are written in the proto, where protovalidate finds them", () => {
    expect(brokenRules(SendRequestSchema, { recipient: "bob" })).toEqual(["send.content"]);
    expect(brokenRules(SendRequestSchema, { recipient: "bob", body: "x", kind: MessageKind.RESPONSE })).toEqual(["send.response_reply_to"]);
    expect(brokenRules(SendRequestSchema, { recipient: "bob", attachment: {} })).toEqual(["required"]);
    expect(brokenRules(SendRequestSchema, { recipient: "bob", attachment: { content: { case: "code", value: { code: "x" } } } })).toEqual([]);
    expect(brokenRules(BroadcastRequestSchema, {})).toEqual(["broadcast.content"]);
    expect(brokenRules(UpdateTaskRequestSchema, { taskId: "t" })).toEqual(["update_task.change"]);
    expect(brokenRules(UpdateTaskRequestSchema, { taskId: "t", result: "r" })).toEqual(["update_task.result_status"]);
    expect(brokenRules(UpdateTaskRequestSchema, { taskId: "t", result: "r", status: TaskStatus.IN_PROGRESS })).toEqual(["update_task.result_status"]);
    expect(brokenRules(UpdateTaskRequestSchema, { taskId: "t", result: "r", status: TaskStatus.FAILED })).toEqual([]);
  });

  it("are answered INVALID_ARGUMENT with the rule's message, and nothing is stored", async () => {
    t = await createTestHub("sqlite");
    const alice = await t.agent("alice");
    await t.agent("bob");
    const head = (await alice.client.heartbeat({})).headSeq;
    const refusal = async (call: Promise<unknown>) => {
      const err = await call.then(() => undefined, (e: unknown) => ConnectError.from(e));
      return [err?.code, err?.rawMessage];
    };
    expect(await refusal(alice.client.send({ recipient: "bob" }))).toEqual([Code.InvalidArgument, expect.stringContaining("a message needs a body or an attachment")]);
    expect(await refusal(alice.client.send({ recipient: "bob", body: "yes", kind: MessageKind.RESPONSE }))).toEqual([
      Code.InvalidArgument,
      expect.stringContaining("a RESPONSE needs reply_to"),
    ]);
    expect(await refusal(alice.client.broadcast({}))).toEqual([Code.InvalidArgument, expect.stringContaining("a message needs a body or an attachment")]);
    const { task } = await alice.client.createTask({ title: "rules", assignee: "alice" });
    const revision = task!.revision;
    expect(await refusal(alice.client.updateTask({ taskId: task!.id }))).toEqual([Code.InvalidArgument, expect.stringContaining("nothing to update")]);
    expect(await refusal(alice.client.updateTask({ taskId: task!.id, result: "early" }))).toEqual([
      Code.InvalidArgument,
      expect.stringContaining("a result can only be set with status COMPLETED or FAILED"),
    ]);
    expect((await alice.client.getTask({ taskId: task!.id })).task).toMatchObject({ revision, result: "" });
    expect((await alice.client.listMessages({})).messages).toEqual([]);
    // Only the task's creation moved the log.
    expect((await alice.client.heartbeat({})).headSeq).toBe(head + 1n);
  });
});
