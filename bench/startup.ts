/**
 * Start-up cost of what Claude Code runs: `linker hook` (on every prompt and
 * tool call) with and without a hub, and `linker mcp` from spawn to tools
 * listed, each as a median wall time beside a bare `node -e 0` measured in
 * the same run, interleaved so load from other work hits both alike.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type Figure, figure } from "./bench-report.js";
import { freePort } from "../test/support/free-port.js";

const LINKER_BIN = resolve(import.meta.dirname, "../bin/linker.js");

/** Runs per figure. */
const RUNS = 15;

/** What Claude Code writes to a hook's stdin. */
const HOOK_INPUT = JSON.stringify({ session_id: "bench", hook_event_name: "UserPromptSubmit", prompt: "hi" });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Wall time of one process from spawn to exit, in ms; `input` is written to its stdin, which is then closed. */
function timeProcess(args: string[], env: NodeJS.ProcessEnv, input = ""): Promise<{ ms: number; code: number | null; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ["pipe", "pipe", "ignore"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stdin.end(input);
  return new Promise((done) => child.once("close", (code) => done({ ms: performance.now() - started, code, stdout })));
}

/** Spawn of `linker mcp` to the answer of tools/list, in ms. */
async function timeToolsListed(env: Record<string, string>, hub: string): Promise<number> {
  const started = performance.now();
  const transport = new StdioClientTransport({ command: process.execPath, args: [LINKER_BIN, "--name", "bench-mcp", "--hub", hub, "mcp"], env, stderr: "ignore" });
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(transport);
  await client.listTools();
  const ms = performance.now() - started;
  await client.close();
  return ms;
}

/** A `linker hub` child process on a free port. */
async function startHub(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [LINKER_BIN, "hub", "--port", "0", "--data-dir", dataDir], { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, LINKER_LOG_LEVEL: "warn" } });
  const url = await new Promise<string>((done, fail) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) done(match[1]);
    });
    child.once("exit", (code) => fail(new Error(`linker hub exited (${code})`)));
  });
  return { url, child };
}

/** Measures the start-up figures. */
export async function measureStartup(log: (line: string) => void): Promise<{ figures: Figure[]; notes: string[] }> {
  const home = mkdtempSync(join(tmpdir(), "linker-bench-startup-"));
  const env = { ...(process.env as Record<string, string>), HOME: home, LINKER_HOME: join(home, ".linker"), LINKER_LOG_LEVEL: "warn" };
  const hub = await startHub(join(home, "hub"));
  try {
    const downHub = `http://127.0.0.1:${await freePort()}`;
    const as = (name: string, url: string, ...rest: string[]) => [LINKER_BIN, "--name", name, "--hub", url, ...rest];
    // A session stored the way linker mcp stores it. Every single loopback hub URL shares the
    // home's session key, so the same session serves the run against a hub that is down.
    const registered = await timeProcess(as("bench-hook", hub.url, "register"), env);
    if (registered.code !== 0) throw new Error(`linker register exited ${registered.code}`);
    const samples = { node: [] as number[], hookHub: [] as number[], hookDown: [] as number[], hookNoSession: [] as number[], mcp: [] as number[] };
    let checked = false;
    for (let i = 0; i < RUNS; i++) {
      samples.node.push((await timeProcess(["-e", "0"], env)).ms);
      const withHub = await timeProcess(as("bench-hook", hub.url, "hook"), env, HOOK_INPUT);
      if (withHub.code !== 0) throw new Error(`linker hook exited ${withHub.code}`);
      samples.hookHub.push(withHub.ms);
      samples.hookDown.push((await timeProcess(as("bench-hook", downHub, "hook"), env, HOOK_INPUT)).ms);
      samples.hookNoSession.push((await timeProcess(as("bench-nobody", hub.url, "hook"), env, HOOK_INPUT)).ms);
      samples.mcp.push(await timeToolsListed(env, hub.url));
      if (!checked) {
        // One message waiting: the hook must print it (then it is read, and the timed runs see an empty inbox).
        await timeProcess(as("bench-sender", hub.url, "send", "bench-hook", "ping"), env);
        const shown = await timeProcess(as("bench-hook", hub.url, "hook"), env, HOOK_INPUT);
        if (!shown.stdout.includes("ping")) throw new Error(`linker hook did not show a waiting message: ${shown.stdout}`);
        checked = true;
      }
    }
    const node = median(samples.node);
    log(`startup: node -e 0 median ${node.toFixed(0)} ms over ${RUNS} runs`);
    const hookFigure = (id: string, name: string, values: number[], target?: number) =>
      figure({ id, name, unit: "ms", linker: median(values), baseline: node, target: target ? { kind: "max-ratio", value: target } : undefined, details: { runs: values.length, min: Math.min(...values), max: Math.max(...values) } });
    const figures = [
      hookFigure("startup.hook.hub", "linker hook, hub running, nothing waiting (vs node -e 0)", samples.hookHub, 3),
      hookFigure("startup.hook.no-hub", "linker hook, no hub answering (vs node -e 0)", samples.hookDown, 3),
      hookFigure("startup.hook.no-session", "linker hook, no session stored (vs node -e 0)", samples.hookNoSession),
      figure({
        id: "startup.mcp.tools-listed",
        name: "linker mcp: spawn to tools listed (vs node -e 0)",
        unit: "ms",
        linker: median(samples.mcp),
        baseline: node,
        target: { kind: "max-value", value: 500 },
        details: { runs: samples.mcp.length, min: Math.min(...samples.mcp), max: Math.max(...samples.mcp) },
      }),
    ];
    const notes = [
      `Start-up: medians of ${RUNS} runs each, interleaved with a bare \`node -e 0\` (the baseline) so the machine's load hits both; the hook gets Claude Code's JSON on stdin; "no hub answering" is a refused connection; tools listed is an MCP SDK client's initialize and tools/list.`,
    ];
    return { figures, notes };
  } finally {
    hub.child.kill("SIGTERM");
    await new Promise((done) => hub.child.once("exit", done));
    rmSync(home, { recursive: true, force: true });
  }
}
