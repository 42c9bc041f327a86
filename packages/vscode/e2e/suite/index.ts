import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import type { Message } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { Task } from "@linker/protocol/gen/linker/v1/task_pb.js";
import type { ClaudeTeamApi } from "../../src/extension-api.js";
import type { ThreadItem } from "../../src/views/messages-view.js";
import type { TaskGroupItem, TaskItem } from "../../src/views/tasks-view.js";
import { type DriverRequest, E2E_CONFIG_ENV, type E2eConfig } from "../e2e-config.js";
import { PEER_CLAUDE_QUESTION, PEER_GREETING, PEER_REQUESTS, PEER_TASK_TITLE } from "../peer-protocol.js";

const EXTENSION_ID = "linker.claude-team";
/** Bound of every wait in the suite. */
const WAIT_MS = 20_000;
const TASK_COMPLETED = 3;
const TASK_IN_PROGRESS = 2;

function log(text: string): void {
  console.log(`[e2e] ${text}`);
}

/** Polls `probe` every 100 ms until it returns a value, failing after `timeoutMs` with `what`. */
async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && (value as unknown) !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let requests = 0;

/** Asks the driver (outside VS Code) to do something and waits for its answer file. */
async function askDriver(config: E2eConfig, request: DriverRequest, timeoutMs = 60_000): Promise<void> {
  requests += 1;
  const id = requests;
  writeFileSync(join(config.signalDir, `request-${id}.json`), JSON.stringify(request));
  const answer = await waitFor(`the driver's answer to ${request.kind}`, () => {
    const path = join(config.signalDir, `response-${id}.json`);
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as { ok: boolean; error?: string }) : undefined;
  }, timeoutMs);
  if (!answer.ok) throw new Error(`the driver could not ${request.kind}: ${answer.error}`);
}

/** The newest message from `sender` whose body satisfies `test`. */
function messageFrom(api: ClaudeTeamApi, sender: string, test: (body: string) => boolean): Message | undefined {
  for (const thread of api.threads.threads()) {
    const found = [...thread.messages].reverse().find((message) => message.sender === sender && test(message.body));
    if (found) return found;
  }
  return undefined;
}

async function tell(api: ClaudeTeamApi, peer: string, body: string): Promise<void> {
  const sent = await vscode.commands.executeCommand<Message | undefined>("claudeTeam.sendMessage", { target: peer, body });
  assert.ok(sent, `sending "${body}" failed: ${api.lastError()}`);
}

/** The suite VS Code's extension host runs (extensionTestsPath): drives the real extension against a real hub and peer. */
export async function run(): Promise<void> {
  const config = JSON.parse(readFileSync(process.env[E2E_CONFIG_ENV] ?? "", "utf8")) as E2eConfig;
  const { peer } = config;

  log("activating the extension");
  const extension = vscode.extensions.getExtension<ClaudeTeamApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  const api = await extension.activate();
  await api.whenConnected(30_000);
  assert.equal(api.connection.name, config.windowName);
  assert.equal(api.connection.mode, "hub", "the first window hosts the hub");
  assert.match(api.statusBar.item.text, /Linker: hub/);
  // The .vsix carries no native addon: the extension host cannot load SQLite, so the hub runs in a child process.
  log(`hosting path: ${api.connection.hostingPath}`);
  assert.match(api.connection.hostingPath ?? "", /^in a child process \(\S+\/node, Node v22\.\d+\.\d+, node:sqlite \(SQLite 3\.\d+\.\d+\), pid \d+\)$/);
  assert.match(String(api.statusBar.item.tooltip), /in a child process/);

  log("waiting for the peer");
  await waitFor(`${peer} online in the Windows view`, async () => {
    await api.views.windows.refresh();
    return api.views.windows.online().find((instance) => instance.name === peer);
  });
  const windowItems = api.views.windows.getChildren();
  const peerItem = windowItems.find((item) => item.instance.name === peer);
  assert.ok(peerItem, "the peer is listed");
  assert.match(String(peerItem.description), /online/);
  const selfItem = windowItems.find((item) => item.instance.name === config.windowName);
  assert.ok(selfItem, "this window is listed");
  assert.match(String(selfItem.description), new RegExp(`this window · billing-app · ⎇ ${config.gitBranch}`));

  log("a second window connects as a client");
  await askDriver(config, { kind: "second-window" });
  await waitFor(`${config.secondWindow} online in the Windows view`, async () => {
    await api.views.windows.refresh();
    return api.views.windows.online().find((instance) => instance.name === config.secondWindow);
  });

  log("a CLI agent (bin/linker.js) messages this window, writes memory and assigns it a task");
  await askDriver(config, { kind: "cli-agent" });
  await waitFor("the CLI agent's message", () => messageFrom(api, config.cliAgent, (body) => body === "hello from the cli"));
  await waitFor("the CLI agent's memory key in the Memory view", () => api.views.memory.get("cli/answer")?.value === "42");
  await waitFor("the CLI agent's task in the Tasks view", () => api.views.tasks.list("to-me").find((task) => task.title === "Check the hosting path"));

  log("Send Query: answered by the peer");
  const reply = await vscode.commands.executeCommand<Message | undefined>("claudeTeam.sendQuery", { target: peer, query: "ping from vscode" });
  assert.ok(reply, `no answer: ${api.lastError()}`);
  assert.equal(reply.body, "pong: ping from vscode");
  assert.equal(reply.sender, peer);
  const queryThread = api.threads.thread(reply.threadId);
  assert.ok(queryThread && queryThread.messages.length === 2, "the query and its answer form a thread");

  log("Send Query with a template");
  const templated = await vscode.commands.executeCommand<Message | undefined>("claudeTeam.sendQuery", {
    target: peer,
    template: "interface",
    values: { interfaceName: "Invoice" },
  });
  assert.match(templated?.body ?? "", /^pong: Please send me the current definition of Invoice/);

  log("Send Query to an offline instance fails clearly");
  const offline = await vscode.commands.executeCommand<Message | undefined>("claudeTeam.sendQuery", { target: config.offlineInstance, query: "are you there?" });
  assert.equal(offline, undefined);
  assert.match(api.lastError() ?? "", new RegExp(`${config.offlineInstance} is offline`));

  log("a peer's message appears in the Messages view");
  await tell(api, peer, PEER_REQUESTS.messageMe);
  const greeting = await waitFor("the peer's greeting", () => messageFrom(api, peer, (body) => body === PEER_GREETING));
  const threads = (await api.views.messages.getChildren()) as ThreadItem[];
  const greetingThread = threads.find((item) => item.thread.id === greeting.threadId);
  assert.ok(greetingThread, "the greeting's thread is in the view");
  assert.equal(threads[0], greetingThread, "unread threads come first");
  assert.equal(greetingThread.contextValue, "thread.unread");
  const greetingItems = await api.views.messages.getChildren(greetingThread);
  assert.ok(greetingItems.some((item) => item.label === `${peer}: ${PEER_GREETING}`));
  assert.match(api.statusBar.item.text, /\$\(mail\) \d+/);

  log("reply inline from the thread");
  const answer = await vscode.commands.executeCommand<Message | undefined>("claudeTeam.reply", greetingThread, "hello back");
  assert.equal(answer?.recipient, peer);
  assert.equal(answer?.replyTo, greeting.id);
  assert.equal(api.threads.get(greeting.id)?.readAt !== undefined, true, "replying marks the message read");

  log("a task assigned by the peer is completed from the Tasks view");
  await tell(api, peer, PEER_REQUESTS.assignMeATask);
  const assigned = await waitFor("the peer's task", () => api.views.tasks.list("to-me").find((task) => task.title === PEER_TASK_TITLE));
  const groups = api.views.tasks.getChildren() as TaskGroupItem[];
  const mine = groups.find((group) => group.group === "to-me");
  assert.ok(mine);
  const taskItem = (api.views.tasks.getChildren(mine) as TaskItem[]).find((item) => item.task.id === assigned.id);
  assert.ok(taskItem);
  assert.match(String(taskItem.contextValue), /startable/);
  const started = await vscode.commands.executeCommand<Task | undefined>("claudeTeam.startTask", taskItem);
  assert.equal(started?.status, TASK_IN_PROGRESS);
  await vscode.commands.executeCommand("workbench.view.extension.linker");
  await vscode.commands.executeCommand("claudeTeam.tasks.focus");
  const result = "Release notes are in docs/releases/1.4.2.md";
  await askDriver(config, { kind: "complete-task", title: PEER_TASK_TITLE, result });
  const completed = await waitFor("the task completed", () => {
    const task = api.views.tasks.get(assigned.id);
    return task?.status === TASK_COMPLETED ? task : undefined;
  });
  assert.equal(completed.result, result);
  await waitFor("the peer's confirmation", () => messageFrom(api, peer, (body) => body === `peer saw “${PEER_TASK_TITLE}” completed: ${result}`));

  log("Assign Task to the peer");
  const delegated = await vscode.commands.executeCommand<Task | undefined>("claudeTeam.assignTask", { target: peer, title: "Review the invoice API", description: "" });
  assert.equal(delegated?.assignee, peer);
  assert.ok(api.views.tasks.list("by-me").some((task) => task.id === delegated?.id));

  log("Set Memory with compare-and-set");
  const key = "api/base-url";
  const first = await vscode.commands.executeCommand<{ revision: bigint } | undefined>("claudeTeam.setMemory", { key, value: "http://localhost:8080" });
  assert.ok(first, `Set Memory failed: ${api.lastError()}`);
  await tell(api, peer, PEER_REQUESTS.changeMemory);
  await waitFor("the peer's change in the Memory view", () => api.views.memory.get(key)?.value === "http://peer-changed:9090");
  const lost = await vscode.commands.executeCommand("claudeTeam.setMemory", { key, value: "http://stale", expectedRevision: first.revision, onConflict: "cancel" });
  assert.equal(lost, undefined, "a stale write is not applied");
  assert.match(api.lastError() ?? "", new RegExp(`changed by ${peer} meanwhile`));
  const memoryItem = api.views.memory.getChildren().find((item) => item.entry.key === key);
  assert.ok(memoryItem);
  assert.match(String(memoryItem.description), /peer-changed/);
  const edited = await vscode.commands.executeCommand<{ value: string } | undefined>("claudeTeam.setMemory", { key, value: "http://localhost:8081" });
  assert.equal(edited?.value, "http://localhost:8081");
  await vscode.commands.executeCommand("claudeTeam.setMemory", { key: "team/release", value: "1.4.2 ships Friday" });

  log("Broadcast Context carries the git branch and active file");
  const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, "src", "invoice.ts"));
  const editor = await vscode.window.showTextDocument(document);
  const broadcast = await vscode.commands.executeCommand<{ recipients: string[] } | undefined>("claudeTeam.broadcastContext");
  assert.ok(broadcast?.recipients.includes(peer), `broadcast recipients: ${broadcast?.recipients.join(", ")}`);
  await waitFor("the peer's view of the context", () =>
    messageFrom(api, peer, (body) => body === `peer saw context: project=billing-app branch=${config.gitBranch} file=src/invoice.ts`),
  );

  log("Share Selection sends the code");
  editor.selection = new vscode.Selection(1, 0, 5, 1);
  const shared = await vscode.commands.executeCommand<Message | undefined>("claudeTeam.shareSelection", { target: peer, body: "our Invoice type" });
  assert.ok(shared, `Share Selection failed: ${api.lastError()}`);
  await waitFor("the peer's receipt of the code", () => messageFrom(api, peer, (body) => body.startsWith("peer saw code from src/invoice.ts:2 (typescript, 5 lines)")));

  log("Request Help is broadcast and answered");
  const help = await vscode.commands.executeCommand<{ message?: Message } | undefined>("claudeTeam.requestHelp", "the invoice totals are off by one cent");
  assert.ok(help?.message);
  await waitFor("an answer to the help request", () => messageFrom(api, peer, (body) => body.startsWith("pong: Help wanted by")));

  log("the auto-responder answers the peer's queries");
  await tell(api, peer, PEER_REQUESTS.askMyVersion);
  const version = await waitFor("the peer's report of the version answer", () => messageFrom(api, peer, (body) => body.startsWith("peer got:") && body.includes("version")));
  assert.match(version.body, new RegExp(`billing-app is at version ${config.workspaceVersion.replace(/\./g, "\\.")}`));
  await tell(api, peer, PEER_REQUESTS.askClaude);
  const viaClaude = await waitFor("the peer's report of the claude answer", () => messageFrom(api, peer, (body) => body.startsWith("peer got: fake claude")));
  assert.equal(viaClaude.body, `peer got: fake claude answers: ${PEER_CLAUDE_QUESTION}`);

  log("Show Log");
  await vscode.commands.executeCommand("claudeTeam.showLog");

  log("sidebar screenshot");
  await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  await vscode.commands.executeCommand("workbench.action.closePanel");
  await vscode.commands.executeCommand("notifications.clearAll");
  await vscode.commands.executeCommand("workbench.view.extension.linker");
  const [newest] = (await api.views.messages.getChildren()) as ThreadItem[];
  await api.treeViews.messages.reveal(newest, { expand: true, select: false, focus: false });
  await askDriver(config, { kind: "screenshot" });
  await askDriver(config, { kind: "snapshot" });
  log("all steps passed");
}
