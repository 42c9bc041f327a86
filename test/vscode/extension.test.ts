import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Message, MessageKind } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { type Task, TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { LinkerClient, MemorySessionStore } from "@linker/client";
import { activate, deactivate } from "../../packages/vscode/src/extension.js";
import type { ClaudeTeamApi } from "../../packages/vscode/src/extension-api.js";
import { MemoryItem } from "../../packages/vscode/src/views/memory-view.js";
import { type MessagesElement, ThreadItem } from "../../packages/vscode/src/views/messages-view.js";
import { TaskGroupItem, TaskItem } from "../../packages/vscode/src/views/tasks-view.js";
import { startTestHub, tempDir } from "../client/support/hubs.js";
import { commands, fake, fakeDocument, Selection, Uri, workspace } from "./fake-vscode.js";
import { waitFor } from "./wait-for.js";

const ME = "me-window";
let hub: Awaited<ReturnType<typeof startTestHub>>;
let peer: LinkerClient;
let api: ClaudeTeamApi;
const subscriptions: { dispose(): unknown }[] = [];
const peerInbox: Message[] = [];
const peerTasks: Task[] = [];

/** A quick pick answer choosing the item whose target is `name`. */
const pick = (name: string) => (items: readonly { target?: string }[]) => items.find((item) => item.target === name);

/** Replies the peer sent; each must have finished before the hub closes. */
const peerReplies: Array<Promise<unknown>> = [];

beforeAll(async () => {
  fake.reset();
  hub = await startTestHub();
  workspace.name = "shop";
  workspace.workspaceFolders = [{ uri: Uri.file("/work/shop"), name: "shop", index: 0 }];
  fake.settings.set("claudeTeam.hubUrls", [hub.url]);
  fake.settings.set("claudeTeam.autoHub", false);
  fake.settings.set("claudeTeam.dataDir", tempDir());
  fake.settings.set("claudeTeam.windowName", ME);
  peer = await LinkerClient.connect({ name: "peer", hubs: hub.url, sessions: new MemorySessionStore() });
  peer.on("message", ({ message }) => {
    peerInbox.push(message);
    if (message.kind === MessageKind.QUERY && message.recipient === "peer") peerReplies.push(peer.reply(message, { body: `pong: ${message.body}` }));
  });
  peer.on("task", ({ change }) => change.task && peerTasks.push(change.task));
  api = await activate({ subscriptions } as never);
  await api.whenConnected(10_000);
});

afterAll(async () => {
  await Promise.all(peerReplies);
  await deactivate();
  for (const subscription of subscriptions) subscription.dispose();
  await peer.close();
  await hub.close();
});

beforeEach(() => {
  fake.answers.length = 0;
  fake.shown.length = 0;
});

describe("activation", () => {
  it("registers the seed's commands and shows the mode in the status bar", () => {
    for (const id of ["sendQuery", "assignTask", "broadcastContext", "requestHelp", "shareSelection", "setMemory", "showWindows", "showLog"]) {
      expect(fake.commands.has(`claudeTeam.${id}`), id).toBe(true);
    }
    expect(api.connection.name).toBe(ME);
    expect(api.statusBar.item.text).toBe("$(plug) Linker: client");
  });

  it("lists the online instances in the Windows view", async () => {
    await api.views.windows.refresh();
    const items = api.views.windows.getChildren();
    expect(items.map((item) => [item.label, item.contextValue])).toEqual([
      [ME, "self"],
      ["peer", "instance.online"],
    ]);
    expect(String(items[0].description)).toBe("this window · shop");
  });
});

describe("messaging commands", () => {
  it("Send Query: picks an online instance and a template, and returns the answer", async () => {
    fake.answers.push(pick("peer"), "Sync request");
    const reply = await commands.executeCommand<Message | undefined>("claudeTeam.sendQuery");
    expect(reply?.body).toMatch(/^pong: Sync request: what are you working on/);
    expect(fake.prompts).toContain("Send Query to");
    expect(api.threads.thread(reply!.threadId)?.messages).toHaveLength(2);
    expect(peerInbox.at(-1)?.attachment?.content.case).toBe("context");
  });

  it("Send Query to an offline instance says so and offers to leave a message", async () => {
    const offline = await LinkerClient.connect({ name: "sleeper", hubs: hub.url, sessions: new MemorySessionStore() });
    await offline.unregister();
    const reply = await commands.executeCommand("claudeTeam.sendQuery", { target: "sleeper", query: "are you there?" });
    expect(reply).toBeUndefined();
    expect(api.lastError()).toMatch(/sleeper is offline, so nobody can answer now/);
    expect(fake.shown.some((shown) => shown.level === "warning" && shown.buttons.includes("Send as a message"))).toBe(true);
  });

  it("a peer's message appears in the Messages view, unread first, and is answered inline", async () => {
    await peer.send({ recipient: ME, body: "can you look at the cart?" });
    const message = await waitFor("the message", () => api.threads.threads().flatMap((t) => t.messages).find((m) => m.body === "can you look at the cart?"));
    const [first] = (await api.views.messages.getChildren()) as ThreadItem[];
    expect(first.thread.id).toBe(message.threadId);
    expect(first.contextValue).toBe("thread.unread");
    const children = (await api.views.messages.getChildren(first as MessagesElement)) as { label: string; contextValue: string }[];
    expect(children.map((child) => [child.label, child.contextValue])).toEqual([["peer: can you look at the cart?", "message.unread"]]);
    expect(api.statusBar.item.text).toMatch(/\$\(mail\) 1$/);
    expect(fake.shown.some((shown) => shown.text === "peer says: can you look at the cart?")).toBe(true);

    const sent = await commands.executeCommand<Message | undefined>("claudeTeam.reply", first, "on it");
    expect(sent).toMatchObject({ recipient: "peer", replyTo: message.id, threadId: message.threadId });
    await waitFor("the reply at the peer", () => peerInbox.some((m) => m.body === "on it"));
    expect(api.threads.unreadCount()).toBe(0);
  });

  it("Broadcast Context, Share Selection and Request Help reach the peer", async () => {
    fake.setActiveEditor({ document: fakeDocument("/work/shop/src/cart.ts", "line 1\nconst total = 1;\nline 3"), selection: new Selection(1, 0, 1, 16) });
    await commands.executeCommand("claudeTeam.broadcastContext");
    const context = await waitFor("the context", () => peerInbox.find((m) => m.kind === MessageKind.CONTEXT));
    expect(context.attachment?.content.value).toMatchObject({ projectName: "shop", currentFile: "src/cart.ts" });

    fake.answers.push(pick("peer"), "look");
    await commands.executeCommand("claudeTeam.shareSelection");
    const code = await waitFor("the code", () => peerInbox.find((m) => m.kind === MessageKind.CODE));
    expect(code.body).toBe("look");
    expect(code.attachment?.content.value).toMatchObject({ language: "typescript", code: "const total = 1;", path: "src/cart.ts:2" });

    await commands.executeCommand("claudeTeam.requestHelp", "tests are flaky");
    const help = await waitFor("the help request", () => peerInbox.find((m) => m.body === `Help wanted by ${ME}: tests are flaky`));
    expect(help.kind).toBe(MessageKind.QUERY);
    expect(help.recipient).toBe("*");
  });
});

describe("task commands and the Tasks view", () => {
  async function itemOf(group: "to-me" | "by-me" | "open", taskId: string): Promise<TaskItem> {
    return waitFor(`task ${taskId} in ${group}`, () => {
      const heading = (api.views.tasks.getChildren() as TaskGroupItem[]).find((item) => item.group === group)!;
      return (api.views.tasks.getChildren(heading) as TaskItem[]).find((item) => item.task.id === taskId);
    });
  }

  it("starts and completes a task the peer assigned, and the peer sees the result", async () => {
    const task = await peer.createTask({ title: "Fix the cart", description: "totals are off", assignee: ME });
    const item = await itemOf("to-me", task.id);
    expect(item.contextValue).toBe("task startable workable");
    await commands.executeCommand("claudeTeam.startTask", item);
    expect((await itemOf("to-me", task.id)).contextValue).toBe("task workable");
    fake.answers.push("fixed in cart.ts");
    await commands.executeCommand("claudeTeam.completeTask", await itemOf("to-me", task.id));
    await waitFor("the peer's view", () => peerTasks.find((t) => t.id === task.id && t.status === TaskStatus.COMPLETED && t.result === "fixed in cart.ts"));
    const done = await itemOf("to-me", task.id);
    expect(done.description).toMatch(/^completed · from peer/);
    expect(api.views.tasks.getChildren(done).map((detail) => detail.label)).toEqual(["Description", "Result"]);
  });

  it("fails, cancels and claims", async () => {
    const failing = await peer.createTask({ title: "Port to Deno", assignee: ME });
    await commands.executeCommand("claudeTeam.failTask", await itemOf("to-me", failing.id), "out of scope");
    expect((await peer.getTask({ taskId: failing.id })).status).toBe(TaskStatus.FAILED);

    fake.answers.push(pick("peer"), "Review the cart", "");
    const mine = await commands.executeCommand<Task | undefined>("claudeTeam.assignTask");
    expect(mine?.assignee).toBe("peer");
    const byMe = await itemOf("by-me", mine!.id);
    expect(byMe.contextValue).toBe("task cancelable");
    await commands.executeCommand("claudeTeam.cancelTask", byMe, "not needed");
    expect((await peer.getTask({ taskId: mine!.id })).status).toBe(TaskStatus.CANCELED);

    const open = await peer.createTask({ title: "Anyone: update deps" });
    const openItem = await itemOf("open", open.id);
    expect(openItem.contextValue).toBe("task claimable");
    await commands.executeCommand("claudeTeam.claimTask", openItem);
    expect((await peer.getTask({ taskId: open.id })).assignee).toBe(ME);
  });

  it("reports an illegal move instead of applying it", async () => {
    const task = await peer.createTask({ title: "Done already", assignee: ME });
    await peer.cancelTask({ taskId: task.id });
    const item = await itemOf("to-me", task.id);
    const result = await commands.executeCommand("claudeTeam.completeTask", new TaskItem({ ...item.task, status: TaskStatus.PENDING }, "to-me", ME), "x");
    expect(result).toBeUndefined();
    expect(fake.shown.some((shown) => shown.level === "error" && shown.text.startsWith("Complete Task:"))).toBe(true);
  });
});

describe("memory commands and the Memory view", () => {
  it("creates a key, follows the peer's change, and refuses a stale edit", async () => {
    fake.answers.push("api/url", "http://localhost:8080");
    const created = await commands.executeCommand<{ revision: bigint } | undefined>("claudeTeam.setMemory");
    expect(created?.revision).toBeGreaterThan(0n);
    const stale = api.views.memory.getChildren().find((item) => item.entry.key === "api/url")!;
    expect(String(stale.description)).toBe(`http://localhost:8080 · rev ${created!.revision}`);

    await peer.putMemory({ key: "api/url", value: "http://peer:9090", expectedRevision: created!.revision });
    await waitFor("the peer's value in the view", () => api.views.memory.get("api/url")?.value === "http://peer:9090");

    fake.answers.push("http://mine:1");
    const edited = await commands.executeCommand("claudeTeam.editMemory", stale);
    expect(edited).toBeUndefined();
    expect(fake.shown.some((shown) => shown.level === "warning" && shown.text.startsWith("api/url was changed by peer meanwhile"))).toBe(true);
    expect((await peer.getMemory({ key: "api/url" }))?.value).toBe("http://peer:9090");

    const fresh = api.views.memory.getChildren().find((item) => item.entry.key === "api/url")!;
    fake.answers.push("http://mine:2");
    await commands.executeCommand("claudeTeam.editMemory", fresh);
    expect((await peer.getMemory({ key: "api/url" }))?.value).toBe("http://mine:2");

    expect(await commands.executeCommand("claudeTeam.deleteMemory", api.views.memory.getChildren().find((item) => item.entry.key === "api/url") as MemoryItem, true)).toBe(true);
    expect(await peer.getMemory({ key: "api/url" })).toBeUndefined();
  });
});

describe("auto-responder in the extension", () => {
  it("answers the peer's status query when autoRespond is turned on", async () => {
    fake.changeSetting("claudeTeam.autoRespond", true);
    const { reply } = await peer.ask({ recipient: ME, body: "status?", timeoutMs: 5_000 });
    expect(reply?.body).toMatch(/^Status:\nProject: shop/);
    expect(reply?.metadata.autoAnswer).toBe("heuristic:status");
  });
});
