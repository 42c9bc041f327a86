import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { type Figure, figure } from "./bench-report.js";
import { sleep } from "./load-patterns.js";
import { freePort } from "../test/support/free-port.js";

const ROOT = resolve(import.meta.dirname, "..");
const AGENT_SCRIPT = join(ROOT, "scripts/agent-process.ts");

/** How the hub takeover scenario runs. */
export interface HubTakeoverOptions {
  /** Rounds, each with three fresh agent processes on a fresh port and data folder. */
  runs: number;
  /** Each agent sends one message every this many milliseconds, to the others in turn. */
  sendIntervalMs: number;
  /** Messages flow this long before the hosting agent is killed, milliseconds. */
  flowBeforeKillMs: number;
  /** Messages keep flowing this long after both survivors recovered, milliseconds. */
  flowAfterRecoveryMs: number;
}

/** Defaults: 5 rounds, a message every 20 ms per agent, 500 ms of flow before the kill and 500 ms after recovery. */
export const defaultHubTakeoverOptions: HubTakeoverOptions = {
  runs: 5,
  sendIntervalMs: 20,
  flowBeforeKillMs: 500,
  flowAfterRecoveryMs: 500,
};

/** Agent names; the one that wins the port hosts the hub. */
const AGENT_NAMES = ["agent-1", "agent-2", "agent-3"];
/** Upper bound of the autoHub's random wait before a takeover (HubSupervisor default). */
const MAX_TAKEOVER_DELAY_MS = 2_000;
/** Time allowed for three agents to start and elect a hub. */
const READY_TIMEOUT_MS = 20_000;
/** Time allowed for a survivor to recover after the kill. */
const RECOVERY_TIMEOUT_MS = 15_000;
/** Time allowed for the rest of a round (stopping the flow, the end markers). */
const STEP_TIMEOUT_MS = 10_000;

/** One JSON line an agent printed, with the bench's clock when it arrived. */
type AgentLine = { type: string; name: string; at: number; seenAt: number } & Record<string, unknown>;

/** An agent-process child (scripts/agent-process.ts). */
interface Agent {
  name: string;
  child: ChildProcess;
  lines: AgentLine[];
  stderr(): string;
  command(line: string): void;
  waitFor(test: (line: AgentLine) => boolean, timeoutMs: number, what: string): Promise<AgentLine>;
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
const dataDirs = new Set<string>();

process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

function startAgent(name: string, url: string, dataDir: string): Agent {
  const child = spawn(process.execPath, ["--conditions=linker-source", "--import", "tsx", AGENT_SCRIPT, name, url, dataDir], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, LINKER_LOG_LEVEL: "warn", LINKER_HOME: dataDir },
  });
  running.add(child);
  const lines: AgentLine[] = [];
  let stderr = "";
  const watchers = new Set<() => void>();
  let exited = false;
  const exit = new Promise<void>((done) =>
    child.once("exit", () => {
      exited = true;
      running.delete(child);
      for (const watcher of [...watchers]) watcher();
      done();
    }),
  );
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin!.on("error", () => undefined);
  createInterface({ input: child.stdout! }).on("line", (text) => {
    const seenAt = performance.now();
    try {
      lines.push({ ...(JSON.parse(text) as AgentLine), seenAt });
    } catch {
      lines.push({ type: "garbage", name, at: Date.now(), seenAt, text });
    }
    for (const watcher of [...watchers]) watcher();
  });
  return {
    name,
    child,
    lines,
    stderr: () => stderr,
    command(line) {
      if (!exited) child.stdin!.write(`${line}\n`);
    },
    waitFor(test, timeoutMs, what) {
      return new Promise<AgentLine>((done, fail) => {
        const finish = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        const check = () => {
          const found = lines.find(test);
          if (found) {
            finish();
            done(found);
          } else if (exited) {
            finish();
            fail(new Error(`${name} exited before ${what}; last lines:\n${tail(lines)}\nstderr:\n${stderr.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          fail(new Error(`${name}: no ${what} within ${timeoutMs} ms; last lines:\n${tail(lines)}\nstderr:\n${stderr.slice(-2000)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exit;
    },
  };
}

function tail(lines: readonly AgentLine[]): string {
  return lines
    .slice(-10)
    .map((line) => JSON.stringify(line))
    .join("\n");
}

/** How one survivor came back after the kill. */
export interface SurvivorRecovery {
  /** Agent name. */
  name: string;
  /** True when this survivor started the new hub. */
  tookOver: boolean;
  /** `durationMs` of its `recovered` event: stream break to caught-up, on its own clock. */
  recoveredMs: number;
  /** `stats.lastRecoveryMs` right after that event. */
  lastRecoveryMs: number;
  /** Kill (bench clock) to the bench reading the survivor's first caught-up line after it. */
  killToCaughtUpMs: number;
}

/** One round: three agents, a kill of the hosting one, two recoveries, a delivery check. */
export interface TakeoverRound {
  /** The agent that hosted the hub and was killed. */
  killed: string;
  /** The survivor that took the hub over. */
  takenOverBy: string;
  /** The two survivors. */
  survivors: SurvivorRecovery[];
  /** Sends that returned OK, to a survivor, from any agent (the killed one before the kill included). */
  acknowledged: number;
  /** Of those, messages a survivor never received. */
  lost: number;
  /** Messages a survivor received more than once. */
  duplicated: number;
  /** Sends by survivors that failed (not acknowledged, so not counted as lost). */
  sendFailures: number;
  /** First send failure, if any. */
  firstSendFailure?: string;
}

const linesOf = (agent: Agent, type: string) => agent.lines.filter((line) => line.type === type);

/** Runs one round on a fresh port and data folder; every agent is killed at the end, also on error. */
export async function runTakeoverRound(options: HubTakeoverOptions): Promise<TakeoverRound> {
  const url = `http://127.0.0.1:${await freePort()}`;
  const dataDir = mkdtempSync(join(tmpdir(), "linker-bench-takeover-"));
  dataDirs.add(dataDir);
  const agents = AGENT_NAMES.map((name) => startAgent(name, url, dataDir));
  try {
    const ready = await Promise.all(agents.map((agent) => agent.waitFor((l) => l.type === "ready", READY_TIMEOUT_MS, "ready")));
    const hosts = agents.filter((_agent, i) => ready[i].hosting === true);
    if (hosts.length !== 1) throw new Error(`expected one hosting agent, got ${hosts.length}`);
    const host = hosts[0];
    const survivors = agents.filter((agent) => agent !== host);

    for (const agent of agents) {
      const peers = agents.filter((other) => other !== agent).map((other) => other.name);
      agent.command(`flow ${options.sendIntervalMs} ${peers.join(",")}`);
    }
    await Promise.all(agents.map((agent) => agent.waitFor((l) => l.type === "sent", STEP_TIMEOUT_MS, "a first send")));
    await sleep(options.flowBeforeKillMs);

    const killedAt = performance.now();
    await host.kill();

    const recovered = await Promise.all(
      survivors.map((agent) => agent.waitFor((l) => l.type === "recovered" && l.seenAt > killedAt, RECOVERY_TIMEOUT_MS, "recovery after the kill")),
    );
    const recoveries: SurvivorRecovery[] = survivors.map((agent, i) => {
      const caughtUp = agent.lines.find((l) => (l.type === "caught-up" || l.type === "recovered") && l.seenAt > killedAt)!;
      const event = recovered[i];
      if (event.hubChanged !== true) throw new Error(`${agent.name} recovered without a hub change`);
      return {
        name: agent.name,
        tookOver: event.hosting === true,
        recoveredMs: Number(event.durationMs),
        lastRecoveryMs: Number(event.lastRecoveryMs),
        killToCaughtUpMs: Number((caughtUp.seenAt - killedAt).toFixed(1)),
      };
    });
    const takers = recoveries.filter((r) => r.tookOver);
    if (takers.length !== 1) throw new Error(`expected one survivor to take over, got ${takers.length}`);

    await sleep(options.flowAfterRecoveryMs);
    for (const agent of survivors) agent.command("stop");
    await Promise.all(survivors.map((agent) => agent.waitFor((l) => l.type === "flow-stopped", STEP_TIMEOUT_MS, "the end of the flow")));
    // An end marker to each survivor, sent after every other message: once it arrived, everything stored before it has.
    const [a, b] = survivors;
    a.command(`send ${b.name} end-${a.name}`);
    b.command(`send ${a.name} end-${b.name}`);
    await b.waitFor((l) => l.type === "message" && l.body === `end-${a.name}`, STEP_TIMEOUT_MS, `end-${a.name}`);
    await a.waitFor((l) => l.type === "message" && l.body === `end-${b.name}`, STEP_TIMEOUT_MS, `end-${b.name}`);

    let acknowledged = 0;
    let lost = 0;
    let duplicated = 0;
    for (const survivor of survivors) {
      const expected = agents.flatMap((agent) => linesOf(agent, "sent").filter((l) => l.to === survivor.name).map((l) => String(l.id)));
      const counts = new Map<string, number>();
      for (const line of linesOf(survivor, "message")) counts.set(String(line.id), (counts.get(String(line.id)) ?? 0) + 1);
      acknowledged += expected.length;
      lost += expected.filter((id) => !counts.has(id)).length;
      duplicated += [...counts.values()].filter((count) => count > 1).length;
    }
    const failures = survivors.flatMap((agent) => linesOf(agent, "send-failed"));
    return {
      killed: host.name,
      takenOverBy: takers[0].name,
      survivors: recoveries,
      acknowledged,
      lost,
      duplicated,
      sendFailures: failures.length,
      firstSendFailure: failures[0] ? String(failures[0].error) : undefined,
    };
  } finally {
    await Promise.all(agents.map((agent) => agent.kill()));
    rmSync(dataDir, { recursive: true, force: true });
    dataDirs.delete(dataDir);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Min, median and max of `values`. */
function spread(values: readonly number[]): { min: number; median: number; max: number } {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

const ms = (value: number) => `${Math.round(value).toLocaleString("en-US")} ms`;

/**
 * Hub takeover time: three agent processes with autoHub share a port and a
 * data folder; the one hosting the hub is SIGKILLed while every agent sends a
 * message every 20 ms. For each survivor it measures the kill to its event
 * stream being caught up again, as the client reports it (`recovered`
 * durationMs) and as the bench sees it (kill → first caught-up line), and
 * checks that every acknowledged message reached its recipient once. No raw
 * baseline exists for this figure.
 */
export async function measureHubTakeover(
  options: HubTakeoverOptions = defaultHubTakeoverOptions,
  log: (line: string) => void = () => undefined,
): Promise<{ figures: Figure[]; notes: string[] }> {
  const rounds: TakeoverRound[] = [];
  for (let i = 0; i < options.runs; i++) {
    const round = await runTakeoverRound(options);
    rounds.push(round);
    log(
      `bench: takeover ${i + 1}/${options.runs}: killed ${round.killed}, ${round.takenOverBy} took over; ` +
        round.survivors.map((s) => `${s.name} ${ms(s.recoveredMs)} (bench ${ms(s.killToCaughtUpMs)})`).join(", ") +
        `; ${round.acknowledged} acknowledged, ${round.lost} lost`,
    );
  }
  const survivors = rounds.flatMap((round) => round.survivors);
  const byEvent = spread(survivors.map((s) => s.recoveredMs));
  const byBench = spread(survivors.map((s) => s.killToCaughtUpMs));
  const acknowledged = rounds.reduce((sum, r) => sum + r.acknowledged, 0);
  const lost = rounds.reduce((sum, r) => sum + r.lost, 0);
  const duplicated = rounds.reduce((sum, r) => sum + r.duplicated, 0);
  const sendFailures = rounds.reduce((sum, r) => sum + r.sendFailures, 0);
  const samples = `${survivors.length} survivors`;
  const details = { runs: rounds, samples: survivors.length, maxTakeoverDelayMs: MAX_TAKEOVER_DELAY_MS, sendIntervalMs: options.sendIntervalMs };

  const caveat = `the random 0–${MAX_TAKEOVER_DELAY_MS / 1000} s wait dominates: ≈${Math.round(MAX_TAKEOVER_DELAY_MS / 3)} ms expected`;
  const figures: Figure[] = [];
  for (const [clock, values, label] of [
    ["recovered", byEvent, "recovered event"],
    ["bench-clock", byBench, "bench clock"],
  ] as const) {
    for (const stat of ["min", "median", "max"] as const) {
      const extra = stat === "min" ? `, ${samples}` : stat === "median" && clock === "recovered" ? `; ${caveat}` : "";
      figures.push(
        figure({
          id: `takeover.${clock}.${stat}`,
          name: `Hub takeover: SIGKILL → caught up, ${stat} (${label}${extra})`,
          unit: "ms",
          linker: values[stat],
          baseline: Number.NaN,
          details: clock === "recovered" && stat === "median" ? details : undefined,
        }),
      );
    }
  }
  figures.push(
    figure({
      id: "takeover.lost",
      name: `Hub takeover: acknowledged messages lost (of ${acknowledged.toLocaleString("en-US")})`,
      unit: "msgs",
      linker: lost,
      baseline: Number.NaN,
      target: { kind: "max-value", value: 1 },
      details: {
        acknowledged,
        lost,
        duplicated,
        errors: sendFailures,
        firstError: rounds.find((r) => r.firstSendFailure)?.firstSendFailure,
      },
    }),
    figure({
      id: "takeover.duplicated",
      name: "Hub takeover: messages delivered twice",
      unit: "msgs",
      linker: duplicated,
      baseline: Number.NaN,
      target: { kind: "max-value", value: 1 },
    }),
  );

  const tookOver = new Map<string, number>();
  for (const round of rounds) tookOver.set(round.takenOverBy, (tookOver.get(round.takenOverBy) ?? 0) + 1);
  const notes = [
    `Hub takeover: ${options.runs} rounds, each with 3 fresh agent processes (LinkerClient, autoHub) on one free port and one temp data folder; ` +
      `each agent sends a message every ${options.sendIntervalMs} ms to the others in turn; the agent hosting the hub is SIGKILLed ` +
      `${options.flowBeforeKillMs} ms into the flow. No raw baseline exists for this figure (n/a). ` +
      `The time is dominated by the random 0–${MAX_TAKEOVER_DELAY_MS / 1000} s wait before a takeover: the first survivor to finish its wait ` +
      `takes over, so the expected wait is the minimum of two uniform waits, ≈ ${Math.round(MAX_TAKEOVER_DELAY_MS / 3)} ms; ` +
      `the other survivor follows within about one 100 ms probe interval. "recovered event" = the survivor's own durationMs (stream break → caught up); ` +
      `"bench clock" = performance.now() at the kill → the bench reading the survivor's caught-up line.`,
    `Hub takeover rounds: ` +
      rounds
        .map(
          (r, i) =>
            `#${i + 1} killed ${r.killed}, ${r.takenOverBy} took over (` +
            r.survivors.map((s) => `${s.name} ${Math.round(s.recoveredMs)}/${Math.round(s.killToCaughtUpMs)} ms`).join(", ") +
            `)`,
        )
        .join("; ") +
      ` [recovered event/bench clock]. Took over: ${[...tookOver].map(([name, count]) => `${name} ×${count}`).join(", ")}. ` +
      `Delivery: ${acknowledged} acknowledged messages to survivors, ${lost} lost, ${duplicated} delivered twice, ${sendFailures} failed sends.`,
  ];
  return { figures, notes };
}
