/**
 * npm run fuzz: generated and mutated inputs against a real hub process, on
 * every public surface (gRPC, Connect binary, Connect JSON, /mcp, health,
 * reflection). Fails on any crash, hang, reset, HTTP 5xx or UNKNOWN/INTERNAL/
 * DATA_LOSS answer, and on any state change after a batch whose every request
 * was rejected. `--count N` per surface (default 100000), `--surface a,b`,
 * `--seed S`, `--concurrency C`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { FuzzContext } from "./fuzz-context.js";
import { type FuzzAnswer, type FuzzRequest, HttpExchange } from "./http-exchange.js";
import { digestText, hubState } from "./hub-state.js";
import { Random } from "./random.js";
import { healthRequest, reflectionRequest } from "./surfaces/health-and-reflection.js";
import { connectBinaryRequest, connectJsonRequest, grpcRequest } from "./surfaces/linker-rpc.js";
import { mcpRequest } from "./surfaces/mcp.js";
import { succeeded, violation } from "./verdict.js";

const SURFACES: Record<string, (random: Random, ctx: FuzzContext) => FuzzRequest> = {
  grpc: grpcRequest,
  "connect-binary": connectBinaryRequest,
  "connect-json": connectJsonRequest,
  mcp: mcpRequest,
  health: healthRequest,
  reflection: reflectionRequest,
};
const ADMIN_KEY = `fuzz-admin-${process.pid}-0123456789abcdef`;
const BATCH = 16;
/** Every this many batches, one runs against a settled state and is checked for changes. */
const PROBE_EVERY = 8;

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    surface: { type: "string" },
    seed: { type: "string" },
    concurrency: { type: "string", default: String(BATCH) },
  },
});
const count = Number(values.count);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
const surfaces = values.surface ? values.surface.split(",") : Object.keys(SURFACES);
const concurrency = Number(values.concurrency);
for (const name of surfaces) if (!SURFACES[name]) throw new Error(`unknown surface ${name}; one of ${Object.keys(SURFACES).join(", ")}`);

interface HubChild {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

async function startHub(dataDir: string): Promise<HubChild> {
  const bin = resolve(import.meta.dirname, "../bin/linker.js");
  const child = spawn(process.execPath, [bin, "hub", "--port", "0", "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("LINKER_"))), LINKER_ADMIN_KEY: ADMIN_KEY, LINKER_LOG_LEVEL: "warn" },
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  const url = await new Promise<string>((done, fail) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) done(match[1]);
    });
    child.once("exit", (code) => fail(new Error(`the hub exited (${code}) before listening:\n${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

async function json(url: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Registers the fuzz agents and opens MCP sessions, so requests reach past authentication. */
async function setUp(url: string): Promise<FuzzContext> {
  const tokens: string[] = [];
  for (const name of ["fuzz-agent", "fuzz-peer"]) tokens.push(String((await json(url, "/linker.v1.LinkerService/Register", { name }))["sessionToken"]));
  const mcpSessions: string[] = [];
  for (const name of ["fuzz-mcp-1", "fuzz-mcp-2"]) {
    const res = await fetch(`${url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "x-linker-name": name },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "fuzz", version: "1" } } }),
    });
    await res.text();
    const id = res.headers.get("mcp-session-id");
    if (!id) throw new Error(`could not open an MCP session: HTTP ${res.status}`);
    mcpSessions.push(id);
  }
  return { url, tokens, adminKey: ADMIN_KEY, mcpSessions };
}

interface Finding {
  rule: string;
  request: FuzzRequest;
  answer?: FuzzAnswer;
}

function describe(finding: Finding): string {
  const { request } = finding;
  return [
    `  ${finding.rule}`,
    `    ${request.surface} ${request.method} ${request.path} (HTTP/${request.http})`,
    `    headers: ${JSON.stringify(Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, v.length > 120 ? `${v.slice(0, 120)}…` : v])))}`,
    `    body (base64): ${Buffer.from(request.body).toString("base64").slice(0, 600)}`,
  ].join("\n");
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "linker-fuzz-"));
  const hub = await startHub(dataDir);
  const exchange = new HttpExchange(hub.url);
  const state = hubState(hub.url);
  const findings: Finding[] = [];
  const started = Date.now();
  console.log(`fuzzing ${hub.url}: ${count} inputs per surface (${surfaces.join(", ")}), seed ${seed}`);
  try {
    const ctx = await setUp(hub.url);
    for (const [index, name] of surfaces.entries()) {
      const random = new Random(seed + index * 7919);
      const make = SURFACES[name];
      const surfaceStart = Date.now();
      let sent = 0;
      let rejected = 0;
      let checkedBatches = 0;
      let batches = 0;
      let reported = Date.now();
      while (sent < count && findings.length < 20) {
        if (Date.now() - reported > 10_000) {
          reported = Date.now();
          process.stderr.write(`  ${name}: ${sent} of ${count}\n`);
        }
        // Every PROBE_EVERY-th batch runs against a settled state: if all its requests are refused,
        // the state must not have moved.
        const probe = batches++ % PROBE_EVERY === 0;
        const before = probe ? await state.settled() : undefined;
        const batch = Array.from({ length: Math.min(concurrency, count - sent) }, () => make(random, ctx));
        const answers = await Promise.all(batch.map((req) => exchange.send(req)));
        sent += batch.length;
        let anySucceeded = false;
        answers.forEach((answer, i) => {
          const rule = violation(answer, batch[i]);
          if (rule) findings.push({ rule, request: batch[i], answer });
          if (succeeded(answer)) anySucceeded = true;
          else rejected += 1;
        });
        if (hub.child.exitCode !== null || hub.child.signalCode !== null) {
          findings.push({ rule: `the hub process died (${hub.child.exitCode ?? hub.child.signalCode})`, request: batch[0] });
          break;
        }
        if (before && !anySucceeded) {
          checkedBatches += 1;
          const after = await state.settled();
          if (await state.changed(before, after)) findings.push({ rule: `rejected requests changed the hub's state: ${digestText(before)} → ${digestText(after)}`, request: batch[0] });
        }
      }
      const seconds = (Date.now() - surfaceStart) / 1000;
      console.log(`  ${name}: ${sent} inputs in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s), ${rejected} rejected, ${checkedBatches} all-rejected batches checked for state changes`);
    }
    const health = await fetch(`${hub.url}/healthz`).then((res) => res.status, () => 0);
    if (health !== 200) findings.push({ rule: `the hub no longer answers /healthz (${health})`, request: { surface: "end", method: "GET", path: "/healthz", headers: {}, body: new Uint8Array(), http: "1.1" } });
  } finally {
    exchange.close();
    hub.child.kill("SIGTERM");
    await new Promise((done) => (hub.child.exitCode !== null ? done(undefined) : hub.child.once("exit", done)));
    rmSync(dataDir, { recursive: true, force: true });
  }
  const total = ((Date.now() - started) / 1000).toFixed(1);
  if (findings.length > 0) {
    console.log(`\n${findings.length} findings (seed ${seed}):\n${findings.map(describe).join("\n")}`);
    const errors = hub.stderr().split("\n").filter((line) => /"level":50|"level":60|Error/.test(line)).slice(-5);
    if (errors.length > 0) console.log(`\nhub errors:\n${errors.join("\n")}`);
    console.log(`\nfuzz: ${surfaces.length} surfaces in ${total} s`);
    console.log(`${surfaces.length - new Set(findings.map((f) => f.request.surface)).size} passed, ${new Set(findings.map((f) => f.request.surface)).size} failed`);
    process.exit(1);
  }
  console.log(`\nfuzz: ${surfaces.length} surfaces, ${count} inputs each, in ${total} s: no crash, hang, reset, 5xx or INTERNAL, no state change from a rejected request`);
  console.log(`${surfaces.length} passed, 0 failed`);
}

await main();
