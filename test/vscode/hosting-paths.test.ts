import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LinkerClient, MemorySessionStore, NoHostingPathError, probeHub } from "@linker/client";
import { bundleHubProcess } from "../../packages/vscode/bundle.js";
import { findOnPath, HOSTING_ADVICE, windowHostingCandidates } from "../../packages/vscode/src/hosting-paths.js";
import { HubConnection } from "../../packages/vscode/src/hub-connection.js";
import type { Log } from "../../packages/vscode/src/output-log.js";
import { readSettings, type Settings } from "../../packages/vscode/src/settings.js";
import { LINKER_BIN } from "../support/hub-process.js";
import { nodeSqliteRuntime } from "../support/node-sqlite-runtime.js";
import { tempDir } from "../support/temp-dir.js";
import { fake, workspace } from "./fake-vscode.js";
import { waitFor } from "./wait-for.js";
import { freePort } from "../support/free-port.js";

const run = promisify(execFile);
const node22 = nodeSqliteRuntime();
/** What the in-process path says in desktop VS Code (the addon the repo builds is for Node 20). */
const ADDON_ERROR = "The module '/ext/node_modules/better-sqlite3/build/Release/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 130.";
const cleanup: (() => Promise<unknown>)[] = [];
let script: string;

beforeAll(async () => {
  script = await bundleHubProcess({ outfile: join(tempDir("hosting-paths-bundle-"), "hub-process.cjs") });
}, 60_000);
beforeEach(() => fake.reset());
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

/** A folder for PATH holding `node` → `target` (or nothing). */
function pathWith(target?: string): string {
  const dir = tempDir("hosting-paths-bin-");
  if (target) symlinkSync(target, join(dir, "node"));
  return dir;
}

function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (text: string) => lines.push(`${level}: ${text}`);
  return { lines, debug: add("debug"), info: add("info"), warn: add("warn"), error: add("error") };
}

const failingInProcess = async (): Promise<never> => {
  throw new Error(ADDON_ERROR);
};

describe("findOnPath", () => {
  it("finds an executable file, skips folders, non-executables and relative entries", () => {
    const dir = tempDir("find-on-path-");
    mkdirSync(join(dir, "a", "node"), { recursive: true });
    mkdirSync(join(dir, "b"));
    writeFileSync(join(dir, "b", "node"), "not executable");
    mkdirSync(join(dir, "c"));
    writeFileSync(join(dir, "c", "node"), "#!/bin/sh\n");
    chmodSync(join(dir, "c", "node"), 0o755);
    const PATH = ["relative/bin", join(dir, "a"), join(dir, "b"), join(dir, "c")].join(":");
    expect(findOnPath("node", { PATH }, "linux")).toBe(join(dir, "c", "node"));
    expect(findOnPath("node", { PATH: join(dir, "a") }, "linux")).toBeUndefined();
  });

  it("on Windows takes node.exe and never a .cmd shim", () => {
    const dir = tempDir("find-on-path-win-");
    writeFileSync(join(dir, "node.cmd"), "@echo off");
    expect(findOnPath("node", { Path: dir }, "win32")).toBeUndefined();
    writeFileSync(join(dir, "node.exe"), "MZ");
    expect(findOnPath("node", { Path: dir }, "win32")).toBe(join(dir, "node.exe"));
  });
});

describe("windowHostingCandidates", () => {
  it("tries the extension host, claudeTeam.nodePath, VS Code's runtime, then node on PATH", () => {
    const bin = pathWith(process.execPath);
    const candidates = windowHostingCandidates({ nodePath: "/opt/node22/bin/node", hubScript: script, inProcess: failingInProcess, execPath: "/opt/code/code", env: { PATH: bin } });
    expect(candidates.map((candidate) => [candidate.label, candidate.permanent ?? false])).toEqual([
      ["in the extension host", true],
      ["claudeTeam.nodePath (/opt/node22/bin/node)", false],
      ["VS Code's runtime (/opt/code/code)", false],
      [`node on PATH (${join(bin, "node")})`, false],
    ]);
  });

  it("explains a relative claudeTeam.nodePath, a missing node, and a PATH node that is VS Code's runtime", async () => {
    const site = { host: "127.0.0.1", port: 0, dataDir: tempDir() };
    const noNode = windowHostingCandidates({ nodePath: "node22", hubScript: script, inProcess: false, env: { PATH: pathWith() } });
    await expect(noNode[0].start(site)).rejects.toThrow("it must be an absolute path to a node executable");
    await expect(noNode[2].start(site)).rejects.toThrow("no node executable on PATH");
    const bin = pathWith(process.execPath);
    const same = windowHostingCandidates({ nodePath: "", hubScript: script, inProcess: false, execPath: process.execPath, env: { PATH: bin } });
    expect(same[1].label).toBe(`node on PATH (${join(bin, "node")})`);
    await expect(same[1].start(site)).rejects.toThrow("it is VS Code's runtime, tried above");
  });
});

describe("a window whose extension host cannot load the SQLite addon", () => {
  function window(settings: Partial<Settings>, PATH: string, log: Log): HubConnection {
    const full = { ...readSettings(workspace.getConfiguration("claudeTeam")), ...settings };
    const created = new HubConnection({
      settings: () => full,
      identity: async () => ({ project: "proj", description: "test window", workspace: { project: "proj" } }),
      log,
      hostingCandidates: (current) =>
        windowHostingCandidates({ nodePath: current.nodePath, hubScript: script, inProcess: failingInProcess, execPath: process.execPath, env: { ...process.env, PATH } }),
      retryDelayMs: 200,
    });
    cleanup.push(() => created.close());
    return created;
  }

  it("says why it cannot host and what to install, and falls back to connecting as a client", async () => {
    const hubPort = await freePort();
    const log = recordingLog();
    const first = window({ hubPort, dataDir: tempDir(), windowName: "first" }, pathWith(), log);
    await first.start();
    expect(first.mode).toBe("offline");
    expect(first.hostingError).toBe(
      new NoHostingPathError(
        [
          `in the extension host: ${ADDON_ERROR}`,
          `VS Code's runtime (${process.execPath}): ${process.execPath} cannot run the hub: Node ${process.version}: node:sqlite is missing; the hub needs Node 22.13 or newer`,
          "node on PATH: no node executable on PATH",
        ],
        HOSTING_ADVICE,
      ).message,
    );
    expect(log.lines.some((line) => line.startsWith("warn: this window cannot host the hub (no way to host the Linker hub here:"))).toBe(true);
  });

  it.skipIf(!node22)(
    "hosts through node on PATH; a second window and the CLI connect; closing it hands over with everything intact",
    async () => {
      const hubPort = await freePort();
      const hubUrl = `http://127.0.0.1:${hubPort}`;
      const dataDir = tempDir("hosting-paths-db-");
      const PATH = `${pathWith(node22)}:${process.env.PATH}`;
      const log = recordingLog();
      const first = window({ hubPort, dataDir, windowName: "first" }, PATH, log);
      await first.start();
      expect(first.mode).toBe("hub");
      expect(first.hostingPath).toMatch(new RegExp(`^in a child process \\(${join(PATH.split(":")[0], "node").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, Node v22\\.\\d+\\.\\d+, node:sqlite \\(SQLite 3\\.\\d+\\.\\d+\\), pid \\d+\\)$`));
      const choice = log.lines.filter((line) => line.startsWith("info: hosting the hub "));
      expect(choice).toHaveLength(1);
      expect(choice[0]).toContain(` — not in the extension host: ${ADDON_ERROR}; not VS Code's runtime (${process.execPath}): `);
      expect(choice[0]).toContain("node:sqlite is missing; the hub needs Node 22.13 or newer");

      const second = window({ hubPort, dataDir, windowName: "second" }, PATH, recordingLog());
      await second.start();
      expect(second.mode).toBe("client");
      const env = { ...process.env, LINKER_HUB_URL: hubUrl, LINKER_HOME: tempDir("hosting-paths-cli-") };
      await run(process.execPath, [LINKER_BIN, "--name", "cli-agent", "send", "first", "hello from the cli"], { env });
      await run(process.execPath, [LINKER_BIN, "--name", "cli-agent", "memory", "put", "cli/answer", "42"], { env });
      await second.require().send({ recipient: "first", body: "hello from the second window" });
      const task = await second.require().createTask({ title: "Review the hosting paths", assignee: "first" });
      await first.require().putMemory({ key: "team/release", value: "1.4.2" });
      const before = await first.require().listMessages({});
      expect(before.messages.map((message) => message.body)).toEqual(["hello from the cli", "hello from the second window"]);

      await first.close();
      await waitFor("the second window to take over", () => second.mode === "hub", 20_000);
      expect(second.hostingPath).toMatch(/^in a child process \(.*Node v22\./);
      expect(await probeHub(hubUrl)).toBe("serving");

      const reader = await LinkerClient.connect({ name: "reader", hubs: hubUrl, sessions: new MemorySessionStore() });
      cleanup.push(() => reader.close());
      expect((await reader.getMemory({ key: "cli/answer" }))?.value).toBe("42");
      expect((await reader.getMemory({ key: "team/release" }))?.value).toBe("1.4.2");
      expect((await reader.getTask({ taskId: task.id })).title).toBe("Review the hosting paths");
      const { stdout } = await run(process.execPath, [LINKER_BIN, "--name", "cli-agent", "memory", "get", "cli/answer"], { env });
      expect(stdout).toContain("42");
      const reopened = window({ hubPort, dataDir, windowName: "first" }, PATH, recordingLog());
      await reopened.start();
      expect(reopened.mode).toBe("client");
      const after = await reopened.require().listMessages({});
      expect(after.messages.map((message) => [message.id, message.body])).toEqual(before.messages.map((message) => [message.id, message.body]));
    },
    90_000,
  );
});
