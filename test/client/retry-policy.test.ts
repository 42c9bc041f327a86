import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { isRepeatable } from "@linker/client";

/**
 * The retry policy of every RPC, pinned: the failover transport derives it
 * from the proto's idempotency levels, so lowering a level (or adding an RPC
 * without deciding) fails here, while buf breaking lets levels be raised.
 */
const POLICY: Record<string, "always" | "never" | "stream" | { yes: Record<string, unknown>; no: Record<string, unknown> }> = {
  Register: { yes: { resumeToken: "lk_x" }, no: { resumeToken: "" } },
  Unregister: "always",
  Heartbeat: "always",
  SetStatus: "always",
  ListInstances: "always",
  Send: { yes: { idempotencyKey: "k" }, no: { idempotencyKey: "" } },
  Broadcast: { yes: { idempotencyKey: "k" }, no: { idempotencyKey: "" } },
  Subscribe: "stream",
  Ack: "always",
  ListMessages: { yes: { markRead: true, unreadOnly: false }, no: { markRead: true, unreadOnly: true } },
  GetConversation: "always",
  Ask: "never",
  GetMemory: "always",
  PutMemory: { yes: { expectedRevision: undefined }, no: { expectedRevision: 3n } },
  DeleteMemory: "never",
  ListMemory: "always",
  CreateTask: "never",
  UpdateTask: "never",
  ClaimTask: "never",
  GetTask: "always",
  ListTasks: "always",
  CancelTask: "never",
  GetHubStatus: "always",
  WatchHub: "stream",
  // Each request carries its own idempotency key; publisher.ts resumes a broken stream without duplicates.
  Publish: "stream",
  GetHubConversation: "always",
  CreateKey: "never",
  ListKeys: "always",
  RevokeKey: "always",
  ReleaseName: "always",
  ListAuditEntries: "always",
};

describe("retry policy from the contract", () => {
  it("classifies every RPC of LinkerService", () => {
    expect(LinkerService.methods.map((m) => m.name).sort()).toEqual(Object.keys(POLICY).sort());
  });

  for (const method of LinkerService.methods) {
    const policy = POLICY[method.name];
    it(`${method.name}: ${typeof policy === "string" ? policy : "depends on the request"}`, () => {
      if (policy === "stream") {
        // The event stream resumes from its cursor by itself; the proto leaves it unmarked.
        expect(method.idempotency).toBe(MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN);
        return;
      }
      if (policy === "always") {
        expect(method.idempotency).not.toBe(MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN);
        expect(isRepeatable(method, {})).toBe(true);
      } else if (policy === "never") {
        expect(isRepeatable(method, {})).toBe(false);
      } else {
        expect(method.idempotency).toBe(MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN);
        expect(isRepeatable(method, policy.yes)).toBe(true);
        expect(isRepeatable(method, policy.no)).toBe(false);
      }
    });
  }

  it("marks reads NO_SIDE_EFFECTS and repeatable writes IDEMPOTENT", () => {
    const level = (name: string) => LinkerService.methods.find((m) => m.name === name)!.idempotency;
    for (const read of ["ListInstances", "GetConversation", "GetMemory", "ListMemory", "GetTask", "ListTasks", "GetHubStatus", "GetHubConversation"]) {
      expect(level(read)).toBe(MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS);
    }
    for (const write of ["Unregister", "Heartbeat", "SetStatus", "Ack"]) expect(level(write)).toBe(MethodOptions_IdempotencyLevel.IDEMPOTENT);
  });
});
