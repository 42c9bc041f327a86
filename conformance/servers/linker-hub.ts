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
 * With `--replicas=N` it runs N hubs (`linker hub --store postgres`) on one
 * fresh database instead, answers with all their addresses (the first as
 * host:port, the others as more_hubs) and restarts all of them together. The
 * database is made on the server `--postgres-url=URL` names (and dropped at
 * the end), or in a throwaway cluster of its own when there is none.
 *
 * Usage: node --import tsx conformance/servers/linker-hub.ts [--replicas=N [--postgres-url=URL]] [hub flags...]
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  type HubSettings,
  ServerCompatRequestSchema,
  type ServerCompatResponse,
  ServerCompatResponseSchema,
} from "@linker/protocol/gen/linker/conformance/v1/server_compat_pb.js";
import { FrameReader, writeFrame } from "../protocol/size-delimited.js";
import { createDatabase, dropDatabase, type PostgresCluster, startPostgresCluster } from "../../test/support/postgres-cluster.js";

const LINKER_BIN = resolve(import.meta.dirname, "../../bin/linker.js");
const FAULTY_HUB = resolve(import.meta.dirname, "faulty-hub.ts");
/** `--name=value` options of this program (not of `linker hub`). */
const own = (name: string) => process.argv.slice(2).find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const replicaCount = Number(own("replicas") ?? 0);
const postgresServer = own("postgres-url");
const extraArgs = process.argv.slice(2).filter((arg) => !/^--(replicas|postgres-url)=/.test(arg));
if (!Number.isInteger(replicaCount) || replicaCount < 0 || replicaCount > 8) throw new Error("--replicas takes a number from 1 to 8");
if (replicaCount > 0 && extraArgs.some((arg) => arg.startsWith("--fault-"))) throw new Error("the faulty hub runs alone, not as replicas");
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

function startHub(dataDir: string, port: number, settings: HubSettings, storeFlags: string[] = []): Promise<RunningHub> {
  const child = spawn(
    process.execPath,
    [...hubCommand, `--port=${port}`, `--data-dir=${dataDir}`, ...storeFlags, ...settingFlags(settings), ...extraArgs],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, LINKER_LOG_LEVEL: process.env.LINKER_LOG_LEVEL ?? "warn", ...(settings.adminKey ? { LINKER_ADMIN_KEY: settings.adminKey } : {}) },
    },
  );
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  return new Promise((done, fail) => {
    let stdout = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /listening on https?:\/\/(\S+):(\d+)/.exec(stdout);
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
let hubs: RunningHub[] = [];
let settings: HubSettings | undefined;
/** The throwaway cluster, when no --postgres-url was given. */
let cluster: PostgresCluster | undefined;
/** The database the replicas share. */
let database: string | undefined;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    for (const hub of hubs) hub.child.kill("SIGKILL");
    cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(1);
  });
}

/** Starts the hub, or every replica: the first alone (it migrates the new database), then the others together. */
async function startHubs(current: HubSettings): Promise<RunningHub[]> {
  if (replicaCount === 0) return [await startHub(dataDir, 0, current)];
  if (!database) {
    if (!postgresServer) cluster = await startPostgresCluster();
    database = await createDatabase(postgresServer ?? cluster!.url, "linker_conformance");
  }
  const replica = (k: number) => {
    const folder = join(dataDir, `replica-${k}`);
    mkdirSync(folder, { recursive: true });
    return startHub(folder, 0, current, ["--store=postgres", `--postgres-url=${database}`]);
  };
  const first = await replica(0);
  const rest = await Promise.allSettled(Array.from({ length: replicaCount - 1 }, (_, k) => replica(k + 1)));
  const started = [first, ...rest.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []))];
  const failed = rest.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all(started.map((hub) => stopHub(hub, true)));
    throw failed.reason;
  }
  return started;
}

const reply = (response: Partial<Omit<ServerCompatResponse, "$typeName">>) =>
  writeFrame(
    process.stdout,
    toBinary(ServerCompatResponseSchema, { $typeName: "linker.conformance.v1.ServerCompatResponse", host: "", port: 0, error: "", moreHubs: [], ...response }),
  );

try {
  for (;;) {
    const frame = await reader.next();
    if (!frame) break;
    const { command } = fromBinary(ServerCompatRequestSchema, frame);
    try {
      if (command.case === "start") {
        if (hubs.length > 0) throw new Error("the hub is already running");
        settings = command.value;
        hubs = await startHubs(settings);
      } else if (command.case === "restart") {
        if (hubs.length === 0 || !settings) throw new Error("restart before start");
        const abrupt = command.value.abrupt;
        await Promise.all(hubs.splice(0).map((hub) => stopHub(hub, abrupt)));
        hubs = await startHubs(settings);
      } else {
        throw new Error("the request carries no command");
      }
      const [first, ...more] = hubs;
      reply({
        host: first.host,
        port: first.port,
        moreHubs: more.map(({ host, port }) => ({ $typeName: "linker.conformance.v1.HubAddress", host, port })),
      });
    } catch (err) {
      reply({ error: (err as Error).message });
    }
  }
} finally {
  await Promise.all(hubs.map((hub) => stopHub(hub, false)));
  if (database && postgresServer) await dropDatabase(database).catch(() => undefined);
  cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
