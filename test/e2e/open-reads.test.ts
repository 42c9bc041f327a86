import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LinkerService, TaskScope } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { RunningHub } from "../../packages/hub/src/start-hub.js";
import { startTestHub } from "../client/support/hubs.js";
import { bearer, registerAgent } from "../support/clients.js";
import { codeOf, errorOf } from "../support/codes.js";

describe("open reads on a real hub without credentials", () => {
  let hub: RunningHub;
  const transport = (interceptors: Parameters<typeof createConnectTransport>[0]["interceptors"] = [], host?: string, origin?: string) =>
    createConnectTransport({
      baseUrl: hub.url,
      httpVersion: "1.1",
      interceptors: [
        ...(interceptors ?? []),
        (next) => (req) => {
          if (host) req.header.set("host", host);
          if (origin) req.header.set("origin", origin);
          return next(req);
        },
      ],
    });

  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.close();
  });

  it("serves ListInstances, memory and tasks to a caller without a session, and registers nobody", async () => {
    const alice = await registerAgent((interceptors) => transport(interceptors), "alice");
    await alice.client.putMemory({ key: "api/port", value: "8080" });
    const task = (await alice.client.createTask({ title: "open work" })).task!;
    const anonymous = createClient(LinkerService, transport());
    expect((await anonymous.listInstances({})).instances.map((i) => i.name)).toEqual(["alice"]);
    expect((await anonymous.getMemory({ key: "api/port" })).entry?.value).toBe("8080");
    expect((await anonymous.listMemory({})).entries.map((e) => e.key)).toEqual(["api/port"]);
    expect((await anonymous.getTask({ taskId: task.id })).task?.title).toBe("open work");
    expect((await anonymous.listTasks({ scope: TaskScope.OPEN })).tasks.map((x) => x.id)).toEqual([task.id]);
    const mine = await errorOf(anonymous.listTasks({ scope: TaskScope.ASSIGNED_TO_ME }));
    expect(mine.code).toBe(Code.Unauthenticated);
    expect(mine.message).toContain("Register");
    expect(await codeOf(anonymous.listMessages({}))).toBe(Code.Unauthenticated);
    expect((await alice.client.listInstances({})).instances.map((i) => i.name)).toEqual(["alice"]);
  });

  it("keeps acting as the session's instance when one is presented, and refuses a forged one", async () => {
    const bob = await registerAgent((interceptors) => transport(interceptors), "bob");
    const assigned = (await bob.client.createTask({ title: "mine", assignee: "bob" })).task!;
    expect((await bob.client.listTasks({ scope: TaskScope.ASSIGNED_TO_ME })).tasks.map((x) => x.id)).toEqual([assigned.id]);
    const forged = createClient(LinkerService, transport([bearer(() => `lk_${"x".repeat(43)}`)]));
    expect(await codeOf(forged.listInstances({}))).toBe(Code.Unauthenticated);
  });

  it("refuses them to a page of another origin and to a host name that is not this machine's", async () => {
    const page = createClient(LinkerService, transport([], undefined, "http://evil.example"));
    expect(await codeOf(page.listInstances({}))).toBe(Code.PermissionDenied);
    const rebound = createClient(LinkerService, transport([], "evil.example:3847"));
    expect(await codeOf(rebound.getMemory({ key: "api/port" }))).toBe(Code.PermissionDenied);
  });
});
