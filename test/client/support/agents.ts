import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
export { freePort } from "../../support/free-port.js";

/** Path of the agent fixture. */
export const AGENT_SCRIPT = resolve(import.meta.dirname, "../../../scripts/agent-process.ts");

/** One JSON line an agent printed. */
export type AgentLine = { type: string; name: string; at: number } & Record<string, unknown>;

/** A running agent process (scripts/agent-process.ts). */
export interface AgentHandle {
  /** Agent name. */
  name: string;
  /** The child process. */
  child: ChildProcess;
  /** Every line printed so far. */
  lines: AgentLine[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Writes one command line. */
  command(line: string): void;
  /** Resolves with the first line (already printed or future) matching `test`; rejects after `timeoutMs` or when the agent exits first. */
  waitFor(test: (line: AgentLine) => boolean, timeoutMs?: number, what?: string): Promise<AgentLine>;
  /** Resolves once `test` holds for the lines printed so far (checked after each new line). */
  waitUntil(test: (lines: AgentLine[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<AgentHandle>();

/** Starts `scripts/agent-process.ts <name> <hubUrl> <dataDir>`. */
export function startAgent(name: string, hubUrl: string, dataDir: string, env: NodeJS.ProcessEnv = {}): AgentHandle {
  const child = spawn(process.execPath, ["--conditions=linker-source", "--import", "tsx", AGENT_SCRIPT, name, hubUrl, dataDir], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, LINKER_LOG_LEVEL: process.env.LINKER_LOG_LEVEL ?? "warn", LINKER_HOME: dataDir, ...env },
  });
  const lines: AgentLine[] = [];
  let stderr = "";
  const watchers = new Set<() => void>();
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const watcher of [...watchers]) watcher();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout! }).on("line", (text) => {
    try {
      lines.push(JSON.parse(text) as AgentLine);
    } catch {
      lines.push({ type: "garbage", name, at: Date.now(), text });
    }
    for (const watcher of [...watchers]) watcher();
  });
  child.stdin!.on("error", () => undefined);

  const handle: AgentHandle = {
    name,
    child,
    lines,
    stderr: () => stderr,
    command(line) {
      child.stdin!.write(`${line}\n`);
    },
    waitUntil(test, timeoutMs = 20_000, what = "a condition") {
      return new Promise<void>((resolvePromise, reject) => {
        const check = () => {
          if (test(lines)) {
            finish();
            resolvePromise();
          } else if (hasExited) {
            finish();
            reject(new Error(`agent ${name} exited before ${what}; stdout:\n${lines.map((l) => JSON.stringify(l)).join("\n")}\nstderr:\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`agent ${name}: timed out after ${timeoutMs} ms waiting for ${what}; last lines:\n${lines.slice(-15).map((l) => JSON.stringify(l)).join("\n")}\nstderr:\n${stderr.slice(-4000)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    async waitFor(test, timeoutMs, what = "a line") {
      let found: AgentLine | undefined;
      await handle.waitUntil(
        (all) => {
          found = all.find(test);
          return found !== undefined;
        },
        timeoutMs,
        what,
      );
      return found!;
    },
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      running.delete(handle);
    },
  };
  running.add(handle);
  return handle;
}

/** Kills every agent still running (afterEach). */
export async function killAllAgents(): Promise<void> {
  await Promise.all([...running].map((agent) => agent.kill("SIGKILL")));
}

