import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { beforeEach, describe, expect, it } from "vitest";
import { type Message, MessageKind, MessageSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import type { LinkerClient } from "@linker/client";
import { AutoResponder, classifyQuery } from "../../packages/vscode/src/auto-responder.js";
import { ClaudeCliError, type ClaudeRunOptions } from "../../packages/vscode/src/claude-cli.js";
import { readSettings, type Settings } from "../../packages/vscode/src/settings.js";
import { findDeclarations } from "../../packages/vscode/src/workspace-facts.js";
import { fake, workspace } from "./fake-vscode.js";

const root = mkdtempSync(join(tmpdir(), "responder-"));
mkdirSync(join(root, "src"));
mkdirSync(join(root, "node_modules", "dep"), { recursive: true });
writeFileSync(join(root, "package.json"), JSON.stringify({ name: "shop", version: "2.3.4", dependencies: { react: "^18.2.0" } }));
writeFileSync(
  join(root, "src", "types.ts"),
  ["export interface User {", "  id: string;", "  roles: Array<{ name: string }>;", "}", "", "export type Id = string;", "export type Handler = (id: Id) => void;", "export enum Color { Red, Blue }", ""].join("\n"),
);
writeFileSync(join(root, "node_modules", "dep", "index.ts"), "export interface Hidden {}\n");

interface Sent {
  to: string;
  body: string;
  metadata: Record<string, string>;
}

/** A LinkerClient stand-in that records replies and acks. */
function fakeClient(name = "me") {
  const sent: Sent[] = [];
  const acked: string[] = [];
  const client = {
    name,
    async reply(to: Pick<Message, "id" | "sender">, request: { body?: string; metadata?: Record<string, string> }) {
      sent.push({ to: to.sender, body: request.body ?? "", metadata: request.metadata ?? {} });
      return { message: undefined };
    },
    async ack(request: { messageIds: string[] }) {
      acked.push(...request.messageIds);
      return {};
    },
  };
  return { client: client as unknown as LinkerClient, sent, acked };
}

function query(body: string, overrides: MessageInitShape<typeof MessageSchema> = {}): Message {
  return create(MessageSchema, { id: `q-${Math.random()}`, sender: "alice", recipient: "me", kind: MessageKind.QUERY, body, ...overrides });
}

function responder(settings: Partial<Settings>, client: LinkerClient, runClaude?: (options: ClaudeRunOptions) => Promise<string>) {
  const reports: string[] = [];
  const full = { ...readSettings(workspace.getConfiguration("claudeTeam")), autoRespond: true, ...settings };
  const auto = new AutoResponder({
    settings: () => full,
    client: () => client,
    context: () => ({ projectName: "shop", currentFile: "src/types.ts", recentFiles: ["src/types.ts"], gitBranch: "main", errors: [] }),
    workspaceRoot: () => root,
    activity: () => "Working on: checkout",
    log: { debug() {}, info() {}, warn() {}, error() {} },
    report: (text) => reports.push(text),
    runClaude,
  });
  return { auto, reports };
}

beforeEach(() => fake.reset());

describe("query classification (the seed's patterns)", () => {
  it.each([
    ["what version of react do you use?", "version"],
    ["send me the User interface", "interface"],
    ["which types do you export?", "interface"],
    ["what are you working on?", "context"],
    ["share your current context", "context"],
    ["any progress on the migration?", "status"],
    ["status please", "status"],
    ["how should we name things?", undefined],
  ])("%s → %s", (text, kind) => {
    expect(classifyQuery(text)).toBe(kind);
  });
});

describe("heuristic answers", () => {
  it("reports the version from package.json and the dependency asked about", async () => {
    const { auto } = responder({}, fakeClient().client);
    expect(await auto.answer("what version of react are you on?")).toEqual({ text: "shop is at version 2.3.4.\nreact: ^18.2.0", source: "heuristic:version" });
  });

  it("returns the definition of a named interface, or lists the exported types", async () => {
    const { auto } = responder({}, fakeClient().client);
    const named = await auto.answer("please send the User interface");
    expect(named?.text).toBe("src/types.ts:1\nexport interface User {\n  id: string;\n  roles: Array<{ name: string }>;\n}");
    const listed = await auto.answer("what types do you have?");
    expect(listed?.text).toContain("interface User (src/types.ts:1)");
    expect(listed?.text).toContain("enum Color");
    expect(listed?.text).not.toContain("Hidden");
  });

  it("answers context and status queries from the workspace", async () => {
    const { auto } = responder({}, fakeClient().client);
    expect((await auto.answer("what's your current context?"))?.text).toContain("Branch: main");
    expect((await auto.answer("status?"))?.text).toContain("Working on: checkout");
  });

  it("extracts type aliases without swallowing what follows", async () => {
    const declarations = await findDeclarations(root);
    expect(declarations.find((d) => d.name === "Id")?.text).toBe("export type Id = string;");
    expect(declarations.find((d) => d.name === "Handler")?.text).toBe("export type Handler = (id: Id) => void;");
  });
});

describe("AutoResponder.handle", () => {
  it("answers a direct query with reply_to and marks it read", async () => {
    const { client, sent, acked } = fakeClient();
    const { auto } = responder({}, client);
    const message = query("what version are you?");
    await auto.handle(message);
    expect(sent).toEqual([{ to: "alice", body: "shop is at version 2.3.4.", metadata: { autoAnswer: "heuristic:version" } }]);
    expect(acked).toEqual([message.id]);
    await auto.handle(message);
    expect(sent).toHaveLength(1);
  });

  it("ignores everything when off, and texts, broadcasts, read and own messages when on", async () => {
    const { client, sent } = fakeClient();
    await responder({ autoRespond: false }, client).auto.handle(query("version?"));
    const { auto } = responder({}, client);
    await auto.handle(query("version?", { kind: MessageKind.TEXT }));
    await auto.handle(query("version?", { recipient: "*" }));
    await auto.handle(query("version?", { sender: "me" }));
    await auto.handle(query("version?", { readAt: { seconds: 1n, nanos: 0 } }));
    expect(sent).toEqual([]);
  });

  it("runs claude for what the heuristics cannot answer, with the query and both contexts", async () => {
    const { client, sent } = fakeClient();
    const prompts: ClaudeRunOptions[] = [];
    const { auto } = responder({ useClaudeCli: true, claudePath: "/opt/claude", claudeTimeoutSeconds: 7 }, client, async (options) => {
      prompts.push(options);
      return "use kebab-case";
    });
    await auto.handle(query("how should we name files?", { attachment: { content: { case: "context", value: { projectName: "web", gitBranch: "dev" } } } }));
    expect(sent).toEqual([{ to: "alice", body: "use kebab-case", metadata: { autoAnswer: "claude" } }]);
    expect(prompts[0]).toMatchObject({ command: "/opt/claude", timeoutMs: 7_000, cwd: root });
    expect(prompts[0].prompt).toContain("how should we name files?");
    expect(prompts[0].prompt).toContain("Their context:\nProject: web\nBranch: dev");
    expect(prompts[0].prompt).toContain("Your workspace:\nProject: shop");
  });

  it("reports a claude failure to the asker and the user instead of staying silent", async () => {
    const { client, sent, acked } = fakeClient();
    const { auto, reports } = responder({ useClaudeCli: true }, client, async () => {
      throw new ClaudeCliError("claude did not answer within 120 s and was stopped (SIGTERM)", "timeout");
    });
    await auto.handle(query("how should we name files?"));
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toMatch(/^Automatic answer failed: claude did not answer within 120 s/);
    expect(sent[0].metadata).toEqual({ autoAnswer: "claude", error: "timeout" });
    expect(acked).toEqual([]);
    expect(reports[0]).toContain("could not answer alice's query automatically");
  });

  it("leaves a query no heuristic matches for a person when claude is off", async () => {
    const { client, sent } = fakeClient();
    await responder({ useClaudeCli: false }, client).auto.handle(query("how should we name files?"));
    expect(sent).toEqual([]);
  });
});
