import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/cli-process.js";
import { type HubProcess, LINKER_BIN, startHubProcess } from "../support/hub-process.js";
import { tempDir } from "../support/temp-dir.js";
import { McpSession, text } from "./mcp-session.js";
import { freePort } from "../support/free-port.js";

/** The MCP messages a client sends first: initialize, initialized, and one tool call. */
const OPENING = [
  { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "stress", version: "1" } } },
  { jsonrpc: "2.0", method: "notifications/initialized" },
  { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "linker_register", arguments: { description: "racing" } } },
];

/** Starts `linker mcp` as `name`, sends the opening messages at once, and kills it with SIGKILL after `afterMs`. */
function startAndKill(name: string, hub: string, home: string, afterMs: number): Promise<void> {
  const child: ChildProcess = spawn(process.execPath, [LINKER_BIN, "--name", name, "--hub", hub, "mcp"], {
    env: { ...process.env, LINKER_HOME: home, LINKER_LOG_LEVEL: "silent" },
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.stdin!.on("error", () => undefined);
  child.stdin!.write(OPENING.map((message) => `${JSON.stringify(message)}\n`).join(""));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  setTimeout(() => child.kill("SIGKILL"), afterMs);
  return exited;
}

/** Kill points spread over a start (loading, hosting the hub, Register in flight, stream opening), with jitter. */
function killPoints(count: number, spanMs: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round((i / count) * spanMs + Math.random() * (spanMs / count)));
}

/** The name is not locked: a fresh server of the same home reclaims it, and its stored token is the name's session. */
async function expectUsable(name: string, hub: string, home: string, sessions: McpSession[]): Promise<void> {
  const session = await McpSession.start(name, hub, home);
  sessions.push(session);
  const listed = await session.call("linker_list_instances");
  expect(listed.isError, text(listed)).toBeFalsy();
  expect(text(listed)).toMatch(new RegExp(`^online ${name} \\(you\\)`, "m"));
  expect(await session.ok("linker_register", { description: "after the storm" })).toMatch(new RegExp(`^Registered as ${name}: after the storm`));
  // One session record (a kill between writing a temporary file and linking it may leave the .tmp file).
  const files = readdirSync(join(home, "sessions")).filter((file) => file.startsWith(`${name}-`) && file.endsWith(".json"));
  expect(files).toHaveLength(1);
  const stored = JSON.parse(readFileSync(join(home, "sessions", files[0]), "utf8")) as { token: string };
  // The CLI of the same home acts with that stored token, without registering.
  const inbox = await runCli(["--name", name, "--hub", hub, "inbox"], { home });
  expect(inbox.code, inbox.stderr).toBe(0);
  expect(stored.token).toMatch(/^lk_[A-Za-z0-9_-]{43}$/);
  await session.close();
}

describe("registration never leaves a name locked", { timeout: 120_000 }, () => {
  let hub: HubProcess;
  const sessions: McpSession[] = [];

  beforeAll(async () => {
    hub = await startHubProcess();
  });

  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    await hub?.stop();
  });

  it("answers many concurrent first tool calls, linker_register among them, with one session", async () => {
    const home = tempDir("linker-stress-calls-");
    const session = await McpSession.start("swarm", hub.url, home);
    sessions.push(session);
    const calls = Array.from({ length: 24 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return session.call("linker_register", { description: `call ${i}` });
        case 1:
          return session.call("linker_list_instances");
        case 2:
          return session.call("linker_set_status", { status: `busy ${i}` });
        default:
          return session.call("linker_get_messages");
      }
    });
    const results = await Promise.all(calls);
    for (const result of results) expect(result.isError, text(result)).toBeFalsy();
    await session.close();
    await expectUsable("swarm", hub.url, home, sessions);
  });

  it("survives servers killed at any point of their start, also two at once", async () => {
    const home = tempDir("linker-stress-kill-");
    for (const afterMs of killPoints(12, 900)) {
      await Promise.all([startAndKill("phoenix", hub.url, home, afterMs), afterMs % 2 === 0 ? startAndKill("phoenix", hub.url, home, afterMs / 2) : Promise.resolve()]);
    }
    await expectUsable("phoenix", hub.url, home, sessions);
  });

  it("survives servers killed while they start and host the machine's hub themselves", async () => {
    const home = tempDir("linker-stress-host-");
    const url = `http://127.0.0.1:${await freePort()}`;
    for (const afterMs of killPoints(10, 1_200)) await startAndKill("host-phoenix", url, home, afterMs);
    await expectUsable("host-phoenix", url, home, sessions);
  });
});
