/**
 * Linker's hub as a server under test. Reads ServerCompatRequests from stdin
 * and answers each with a ServerCompatResponse on stdout (size-delimited):
 * `start` runs `linker hub` on a free port with a fresh SQLite data folder and
 * the requested limits; `restart` stops it (SIGKILL when abrupt) and starts it
 * again on the same data, on a new port, so clients reach the new process
 * through fresh connections. Arguments are passed on to `linker hub`; with
 * a `--fault-*` argument the hub is faulty-hub.ts instead, which breaks named
 * behaviours on purpose. The hub stops when stdin closes.
 *
 * Usage: node --import tsx conformance/servers/linker-hub.ts [hub flags...]
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  type HubSettings,
  ServerCompatRequestSchema,
  type ServerCompatResponse,
  ServerCompatResponseSchema,
} from "@linker/protocol/gen/linker/conformance/v1/server_compat_pb.js";
import { FrameReader, writeFrame } from "../protocol/size-delimited.js";

const LINKER_BIN = resolve(import.meta.dirname, "../../bin/linker.js");
const FAULTY_HUB = resolve(import.meta.dirname, "faulty-hub.ts");
const extraArgs = process.argv.slice(2);
/** The hub program: `linker hub`, or the faulty hub when a fault is asked for. */
const hubCommand = extraArgs.some((arg) => arg.startsWith("--fault-"))
  ? ["--conditions=linker-source", "--import", "tsx", FAULTY_HUB]
  : [LINKER_BIN, "hub"];

interface RunningHub {
  child: ChildProcess;
  host: string;
  port: number;
  exited: Promise<void>;
}

function settingFlags(settings: HubSettings): string[] {
  const flags: [string, number][] = [
    ["--presence-ttl", settings.presenceTtlSeconds],
    ["--max-message-bytes", settings.maxMessageBytes],
    ["--max-memory-value-bytes", settings.maxMemoryValueBytes],
    ["--max-backlog", settings.maxBacklogPerInstance],
    ["--ask-timeout", settings.askDefaultTimeoutMs],
    ["--ask-max-timeout", settings.askMaxTimeoutMs],
    ["--send-rate", settings.sendRatePerSecond],
    ["--send-burst", settings.sendBurst],
  ];
  return flags.filter(([, value]) => value > 0).map(([flag, value]) => `${flag}=${value}`);
}

function startHub(dataDir: string, port: number, settings: HubSettings): Promise<RunningHub> {
  const child = spawn(
    process.execPath,
    [...hubCommand, `--port=${port}`, `--data-dir=${dataDir}`, ...settingFlags(settings), ...extraArgs],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, LINKER_LOG_LEVEL: process.env.LINKER_LOG_LEVEL ?? "warn" } },
  );
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  return new Promise((done, fail) => {
    let stdout = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /listening on http:\/\/(\S+):(\d+)/.exec(stdout);
      if (match) done({ child, host: match[1].replace(/^\[|\]$/g, ""), port: Number(match[2]), exited });
    });
    child.once("exit", (code, signal) => fail(new Error(`linker hub exited (${signal ?? code}) before listening`)));
  });
}

/** Time a hub gets to shut down gracefully before it is killed. */
const STOP_GRACE_MS = 5_000;

async function stopHub(hub: RunningHub, abrupt: boolean): Promise<void> {
  if (hub.child.exitCode !== null || hub.child.signalCode !== null) return;
  hub.child.kill(abrupt ? "SIGKILL" : "SIGTERM");
  const timer = setTimeout(() => hub.child.kill("SIGKILL"), STOP_GRACE_MS);
  await hub.exited;
  clearTimeout(timer);
}

const dataDir = mkdtempSync(join(tmpdir(), "linker-conformance-hub-"));
const reader = new FrameReader(process.stdin);
let hub: RunningHub | undefined;
let settings: HubSettings | undefined;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    hub?.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(1);
  });
}

const reply = (response: Partial<Omit<ServerCompatResponse, "$typeName">>) =>
  writeFrame(process.stdout, toBinary(ServerCompatResponseSchema, { $typeName: "linker.conformance.v1.ServerCompatResponse", host: "", port: 0, error: "", ...response }));

try {
  for (;;) {
    const frame = await reader.next();
    if (!frame) break;
    const { command } = fromBinary(ServerCompatRequestSchema, frame);
    try {
      if (command.case === "start") {
        if (hub) throw new Error("the hub is already running");
        settings = command.value;
        hub = await startHub(dataDir, 0, settings);
      } else if (command.case === "restart") {
        if (!hub || !settings) throw new Error("restart before start");
        await stopHub(hub, command.value.abrupt);
        hub = await startHub(dataDir, 0, settings);
      } else {
        throw new Error("the request carries no command");
      }
      reply({ host: hub.host, port: hub.port });
    } catch (err) {
      reply({ error: (err as Error).message });
    }
  }
} finally {
  if (hub) await stopHub(hub, false);
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
