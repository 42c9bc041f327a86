import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { TaskScope } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { TaskChangeKind, TaskPriority, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { codeOf } from "../support/codes.js";
import { EventReader } from "../support/event-reader.js";
import { createTestHub, storeKinds, type TestHub } from "../support/test-hub.js";

describe.each(storeKinds)("tasks (%s store)", (kind) => {
  let t: TestHub;
  afterEach(async () => {
    await t.close();
  });

  it("hands a task to an assignee and tells both sides about every change", async () => {
    t = await createTestHub(kind);
    const lead = await t.agent("lead");
    const dev = await t.agent("dev");
    const leadEvents = new EventReader(lead.client, 0n, [EventType.TASK]);
    const devEvents = new EventReader(dev.client, 0n, [EventType.TASK]);
    await Promise.all([leadEvents.caughtUp(), devEvents.caughtUp()]);
    const { task } = await lead.client.createTask({ title: "Implement OAuth", assignee: "dev", priority: TaskPriority.HIGH });
    expect(task).toMatchObject({ status: TaskStatus.PENDING, assigner: "lead", assignee: "dev", revision: 1n });
    await dev.client.updateTask({ taskId: task!.id, status: TaskStatus.IN_PROGRESS, note: "starting" });
    const done = await dev.client.updateTask({ taskId: task!.id, status: TaskStatus.COMPLETED, result: "merged in #12" });
    expect(done.task).toMatchObject({ status: TaskStatus.COMPLETED, result: "merged in #12", revision: 3n });
    expect(done.task?.notes.map((n) => [n.author, n.text])).toEqual([["dev", "starting"]]);
    for (const reader of [leadEvents, devEvents]) {
      const events = await reader.take(3);
      expect(events.map((e) => e.payload.case === "task" && [e.payload.value.kind, e.payload.value.task?.status])).toEqual([
        [TaskChangeKind.CREATED, TaskStatus.PENDING],
        [TaskChangeKind.UPDATED, TaskStatus.IN_PROGRESS],
        [TaskChangeKind.UPDATED, TaskStatus.COMPLETED],
      ]);
      reader.close();
    }
  });

  it("accepts only legal moves, from the right instance", async () => {
    t = await createTestHub(kind);
    const lead = await t.agent("lead");
    const dev = await t.agent("dev");
    const other = await t.agent("other");
    const { task } = await lead.client.createTask({ title: "t", assignee: "dev" });
    const id = task!.id;
    expect(await codeOf(other.client.updateTask({ taskId: id, status: TaskStatus.IN_PROGRESS }))).toBe(Code.PermissionDenied);
    expect(await codeOf(lead.client.updateTask({ taskId: id, status: TaskStatus.IN_PROGRESS }))).toBe(Code.PermissionDenied);
    expect(await codeOf(dev.client.updateTask({ taskId: id, status: TaskStatus.CANCELED }))).toBe(Code.InvalidArgument);
    expect(await codeOf(dev.client.updateTask({ taskId: id }))).toBe(Code.InvalidArgument);
    expect(await codeOf(dev.client.updateTask({ taskId: id, result: "done?" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(dev.client.updateTask({ taskId: id, status: TaskStatus.IN_PROGRESS, expectedRevision: 7n }))).toBe(Code.Aborted);
    await dev.client.updateTask({ taskId: id, status: TaskStatus.FAILED, result: "blocked", expectedRevision: 1n });
    expect(await codeOf(dev.client.updateTask({ taskId: id, status: TaskStatus.IN_PROGRESS }))).toBe(Code.FailedPrecondition);
    expect(await codeOf(dev.client.updateTask({ taskId: id, status: TaskStatus.FAILED, result: "overwritten" }))).toBe(Code.FailedPrecondition);
    expect(await codeOf(dev.client.updateTask({ taskId: id, status: TaskStatus.COMPLETED, result: "done after all" }))).toBe(Code.FailedPrecondition);
    expect(await codeOf(lead.client.cancelTask({ taskId: id }))).toBe(Code.FailedPrecondition);
    await lead.client.updateTask({ taskId: id, note: "thanks anyway" });
    expect(await codeOf(other.client.updateTask({ taskId: id, note: "me too" }))).toBe(Code.PermissionDenied);
    expect((await other.client.getTask({ taskId: id })).task).toMatchObject({ status: TaskStatus.FAILED, result: "blocked", revision: 3n });
    expect(await codeOf(lead.client.createTask({ title: "for nobody", assignee: "ghost" }))).toBe(Code.NotFound);
    expect(await codeOf(lead.client.getTask({ taskId: "missing" }))).toBe(Code.NotFound);
    expect(await codeOf(lead.client.createTask({ title: "" }))).toBe(Code.InvalidArgument);
  });

  it("answers every pair of states by the state machine: legal moves change the task, the rest change nothing", async () => {
    t = await createTestHub(kind);
    const lead = await t.agent("lead");
    const dev = await t.agent("dev");
    const S = TaskStatus;
    const active = [S.PENDING, S.IN_PROGRESS];
    const states = [S.PENDING, S.IN_PROGRESS, S.COMPLETED, S.FAILED, S.CANCELED];
    /** The machine as DESIGN.md states it: PENDING → IN_PROGRESS → COMPLETED / FAILED / CANCELED, never back, nothing after the end. */
    const legal = (from: TaskStatus, to: TaskStatus) => active.includes(from) && (to !== S.PENDING || from === S.PENDING);
    const move = (id: string, to: TaskStatus) =>
      to === S.CANCELED ? lead.client.cancelTask({ taskId: id }) : dev.client.updateTask({ taskId: id, status: to, ...(to === S.COMPLETED || to === S.FAILED ? { result: "r" } : {}) });
    const reach = async (from: TaskStatus): Promise<string> => {
      const { task } = await lead.client.createTask({ title: `from ${S[from]}`, assignee: "dev" });
      if (from === S.COMPLETED || from === S.FAILED) await dev.client.updateTask({ taskId: task!.id, status: S.IN_PROGRESS });
      if (from !== S.PENDING) await move(task!.id, from);
      return task!.id;
    };
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const from of states) {
      for (const to of states) {
        const id = await reach(from);
        const before = (await dev.client.getTask({ taskId: id })).task!;
        expect(before.status).toBe(from);
        const code = await codeOf(move(id, to));
        const after = (await dev.client.getTask({ taskId: id })).task!;
        outcomes.push(`${S[from]} → ${S[to]}: ${code === undefined ? `ok, now ${S[after.status]}` : `${Code[code]}, revision ${after.revision - before.revision} later`}`);
        expected.push(`${S[from]} → ${S[to]}: ${legal(from, to) ? `ok, now ${S[to]}` : `${Code[Code.FailedPrecondition]}, revision 0 later`}`);
      }
    }
    expect(outcomes).toEqual(expected);
  });

  it("gives an open task to exactly one of many concurrent claimers", async () => {
    t = await createTestHub(kind);
    const lead = await t.agent("lead");
    const workers = await Promise.all(Array.from({ length: 6 }, (_, i) => t.agent(`worker${i}`)));
    const { task } = await lead.client.createTask({ title: "whoever is free" });
    expect(task?.assignee).toBe("");
    const results = await Promise.allSettled(workers.map((w) => w.client.claimTask({ taskId: task!.id })));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(await codeOf(Promise.reject(r.reason))).toBe(Code.FailedPrecondition);
    const final = (await lead.client.getTask({ taskId: task!.id })).task!;
    expect(workers.map((w) => w.name)).toContain(final.assignee);
    expect(final.revision).toBe(2n);
  });

  it("lets only the assigner cancel", async () => {
    t = await createTestHub(kind);
    const lead = await t.agent("lead");
    const dev = await t.agent("dev");
    const { task } = await lead.client.createTask({ title: "t", assignee: "dev" });
    expect(await codeOf(dev.client.cancelTask({ taskId: task!.id }))).toBe(Code.PermissionDenied);
    const canceled = await lead.client.cancelTask({ taskId: task!.id, reason: "scope changed" });
    expect(canceled.task).toMatchObject({ status: TaskStatus.CANCELED });
    expect(canceled.task?.notes.at(-1)?.text).toBe("scope changed");
  });

  it("lists tasks by scope and status, newest first, in pages", async () => {
    t = await createTestHub(kind);
    const lead = await t.agent("lead");
    const dev = await t.agent("dev");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await lead.client.createTask({ title: `assigned ${i}`, assignee: "dev" })).task!.id);
    await lead.client.createTask({ title: "open one" });
    await dev.client.updateTask({ taskId: ids[0], status: TaskStatus.IN_PROGRESS });
    const mine = await dev.client.listTasks({ scope: TaskScope.ASSIGNED_TO_ME, pageSize: 2 });
    expect(mine.tasks.map((task) => task.title)).toEqual(["assigned 2", "assigned 1"]);
    const rest = await dev.client.listTasks({ scope: TaskScope.ASSIGNED_TO_ME, pageSize: 2, pageToken: mine.nextPageToken });
    expect(rest.tasks.map((task) => task.title)).toEqual(["assigned 0"]);
    expect((await dev.client.listTasks({ scope: TaskScope.OPEN })).tasks.map((task) => task.title)).toEqual(["open one"]);
    expect((await lead.client.listTasks({ scope: TaskScope.ASSIGNED_BY_ME })).tasks).toHaveLength(4);
    const inProgress = await lead.client.listTasks({ statuses: [TaskStatus.IN_PROGRESS] });
    expect(inProgress.tasks.map((task) => task.id)).toEqual([ids[0]]);
    expect(await codeOf(lead.client.listTasks({ pageToken: "abc" }))).toBe(Code.InvalidArgument);
  });
});
