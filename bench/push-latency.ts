/**
 * Linker's part of waking a Claude Code session: from a Send to the line
 * `linker watch` prints (what a plugin monitor hands Claude Code), and from
 * a Send to the exit of an armed `linker hook --rewake` waiter (what an
 * asyncRewake hook hands it), each beside the same Send seen by an
 * in-process subscriber on the same hub (the stream itself, the baseline).
 * Claude Code's own part (reading the monitor, starting the turn) comes on
 * top; the Claude Code e2e suite prints it with LINKER_E2E_TIMINGS=1.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EventType } from "@linker/protocol/gen/linker/v1/event_pb.js";
import { LinkerClient, MemorySessionStore } from "@linker/client";
import { type Figure, figure } from "./bench-report.js";
import { summarizeLatency } from "./latency-stats.js";

const LINKER_BIN = resolve(import.meta.dirname, "../bin/linker.js");

/** Messages per figure (the watch prints 10 lines at once, then one every 3 s: the samples stay within the burst). */
const RUNS = 8;

/** Resolves with the first match of `pattern` in what `stream` prints from now on. */
function nextMatch(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<void> {
  return new Promise((done) => {
    let text = "";
    const listen = (chunk: Buffer | string) => {
      text += chunk.toString();
      if (pattern.test(text)) {
        stream.off("data", listen);
        done();
      }
    };
    stream.on("data", listen);
  });
}

/** Runs `linker <args>` to the end. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const child = spawn(process.execPath, [LINKER_BIN, ...args], { env, stdio: "ignore" });
  return new Promise((done) => child.once("close", done));
}

/** Measures the push figures. */
export async function measurePushLatency(log: (line: string) => void): Promise<{ figures: Figure[]; notes: string[] }> {
  const home = mkdtempSync(join(tmpdir(), "linker-bench-push-"));
  const env = { ...process.env, HOME: home, LINKER_HOME: join(home, ".linker"), LINKER_LOG_LEVEL: "warn" };
  const hub = spawn(process.execPath, [LINKER_BIN, "hub", "--port", "0", "--data-dir", join(home, "hub")], { env, stdio: ["ignore", "pipe", "ignore"] });
  const children: ChildProcess[] = [hub];
  const clients: LinkerClient[] = [];
  try {
    const url = await new Promise<string>((done, fail) => {
      let out = "";
      hub.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) done(match[1]);
      });
      hub.once("exit", (code) => fail(new Error(`linker hub exited (${code})`)));
    });
    const connect = async (name: string, subscribe: boolean) => {
      const client = new LinkerClient({ name, hubs: url, sessions: new MemorySessionStore(), subscribe, eventTypes: [EventType.MESSAGE] });
      clients.push(client);
      await client.connect();
      return client;
    };
    const sender = await connect("push-sender", false);
    const online = async (name: string, wanted: boolean) => {
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((done) => setTimeout(done, 20))) {
        if ((await sender.listInstances({ onlineOnly: true })).some((instance) => instance.name === name) === wanted) return;
      }
      throw new Error(`${name} did not go ${wanted ? "online" : "offline"}`);
    };
    const subscriber = await connect("push-stream", true);
    for (const name of ["push-watch", "push-rewake"]) if ((await run(["--hub", url, "--name", name, "register"], env)) !== 0) throw new Error(`linker register ${name} failed`);

    const stream: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const seen = new Promise<void>((done) => {
        const stop = subscriber.on("message", ({ message }) => {
          if (message.body === `s${i}`) {
            stop();
            done();
          }
        });
      });
      const t0 = performance.now();
      await sender.send({ recipient: "push-stream", body: `s${i}` });
      await seen;
      stream.push(performance.now() - t0);
    }

    const watch = spawn(process.execPath, [LINKER_BIN, "--hub", url, "--name", "push-watch", "watch"], { env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(watch);
    await nextMatch(watch.stderr!, /announcing messages/);
    const watched: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const line = nextMatch(watch.stdout!, new RegExp(`"w${i}"`));
      const t0 = performance.now();
      await sender.send({ recipient: "push-watch", body: `w${i}` });
      await line;
      watched.push(performance.now() - t0);
    }

    const rewoken: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const waiter = spawn(process.execPath, [LINKER_BIN, "--hub", url, "--name", "push-rewake", "hook", "--rewake", "--wait-seconds", "60"], { env, stdio: ["pipe", "ignore", "pipe"] });
      children.push(waiter);
      waiter.stdin!.end(JSON.stringify({ hook_event_name: "Stop", session_id: "bench" }));
      // Armed once its stream is up: the hub lists the name online while it is.
      await online("push-rewake", true);
      const exited = new Promise<number | null>((done) => waiter.once("close", done));
      const t0 = performance.now();
      await sender.send({ recipient: "push-rewake", body: `r${i}` });
      const code = await exited;
      if (code !== 2) throw new Error(`the rewake waiter exited ${code}, not 2`);
      rewoken.push(performance.now() - t0);
      await online("push-rewake", false);
    }

    const base = summarizeLatency(stream);
    const figures = [
      figure({ id: "push.watch-line.p50", name: "Send to the `linker watch` line, p50 (vs the same Send on a subscribed stream)", unit: "ms", linker: summarizeLatency(watched).p50, baseline: base.p50, details: { runs: RUNS, max: summarizeLatency(watched).max } }),
      figure({ id: "push.rewake-exit.p50", name: "Send to the armed rewake waiter's exit 2, p50 (vs the same Send on a subscribed stream)", unit: "ms", linker: summarizeLatency(rewoken).p50, baseline: base.p50, details: { runs: RUNS, max: summarizeLatency(rewoken).max } }),
    ];
    log(`push: stream p50 ${base.p50.toFixed(1)} ms, watch line p50 ${figures[0].linker.toFixed(1)} ms, rewake exit p50 ${figures[1].linker.toFixed(1)} ms`);
    return {
      figures,
      notes: [`Push: ${RUNS} Sends each from an in-process client to a \`linker hub\` child; the watch and each rewake waiter are \`linker\` child processes, each waiter armed (its stream up, the name online) before its Send. Claude Code's own share of a wake comes on top.`],
    };
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await new Promise((done) => (hub.exitCode !== null ? done(undefined) : hub.once("exit", done)));
    rmSync(home, { recursive: true, force: true });
  }
}
