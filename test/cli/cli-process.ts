import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LINKER_BIN } from "../support/hub-process.js";

/** How a finished `linker` run ended. */
export interface CliResult {
  /** Exit status (null when a signal ended it). */
  code: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the run. */
  ms: number;
}

/** A `linker` process still running, with its output collected as it arrives. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has ended. */
  done: Promise<CliResult>;
  /** Resolves once stdout matches `pattern`; rejects when the process ends first or after `timeoutMs`. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Same for stderr. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` and waits for the end. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
}

/** Where and as whom `linker` runs. */
export interface CliOptions {
  /** LINKER_HOME of the run. */
  home: string;
  /** Working folder (default: the home). */
  cwd?: string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Text written to stdin, which is then closed (default: stdin closed at once). */
  input?: string;
}

const running = new Set<ChildProcess>();
const tempDirs: string[] = [];

process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A fresh temporary folder, removed by `removeTempDirs`. */
export function tempDir(prefix = "linker-cli-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes the folders made by `tempDir`. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Kills every `linker` process still running. */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
}

/** The environment of a run: this process's, without LINKER_* and Claude Code variables. */
function cleanEnv(options: CliOptions): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("LINKER_") && key !== "CLAUDE_PROJECT_DIR"));
  return { ...inherited, LINKER_LOG_LEVEL: "warn", ...options.env, LINKER_HOME: options.home };
}

/** Starts `bin/linker.js` with `args`. */
export function spawnCli(args: string[], options: CliOptions): CliProcess {
  const started = Date.now();
  const child = spawn(process.execPath, [LINKER_BIN, ...args], { cwd: options.cwd ?? options.home, env: cleanEnv(options), stdio: ["pipe", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    changed();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    changed();
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  else child.stdin!.end();
  const done = new Promise<CliResult>((resolve) => {
    child.once("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
      changed();
    });
  });
  let ended = false;
  void done.then(() => (ended = true));
  const waitFor = (read: () => string, name: string) => (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no ${pattern} on ${name} within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
      const finish = (error?: Error, match?: RegExpExecArray) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (match) resolve(match);
        else reject(error);
      };
      const check = () => {
        const match = pattern.exec(read());
        if (match) finish(undefined, match);
        else if (ended || child.exitCode !== null || child.signalCode !== null) {
          finish(new Error(`linker ${args.join(" ")} ended before ${pattern} on ${name}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      };
      waiters.add(check);
      check();
    });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    waitForStdout: waitFor(() => stdout, "stdout"),
    waitForStderr: waitFor(() => stderr, "stderr"),
    stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return done;
    },
  };
}

/** Runs `bin/linker.js` with `args` to the end. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return spawnCli(args, options).done;
}

/** One CLI identity: a name with its own LINKER_HOME, talking to one hub. */
export class Agent {
  readonly home: string;

  constructor(
    readonly name: string,
    readonly hubUrl: string,
  ) {
    this.home = tempDir(`linker-cli-${name}-`);
  }

  /** The global options that make a run act as this agent on the hub. */
  args(args: string[]): string[] {
    return ["--hub", this.hubUrl, "--name", this.name, ...args];
  }

  /** Runs `linker <args>` as this agent. */
  run(args: string[], options: Partial<CliOptions> = {}): Promise<CliResult> {
    return runCli(this.args(args), { home: this.home, ...options });
  }

  /** Runs `linker --json <args>`, expects exit status 0 and parses the single JSON line. */
  async json<T = Record<string, unknown>>(args: string[], options: Partial<CliOptions> = {}): Promise<T> {
    const result = await this.run(["--json", ...args], options);
    if (result.code !== 0) throw new Error(`linker ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
    const lines = result.stdout.trim().split("\n");
    if (lines.length !== 1) throw new Error(`expected one JSON line from linker ${args.join(" ")}, got:\n${result.stdout}`);
    return JSON.parse(lines[0]) as T;
  }

  /** Starts `linker <args>` as this agent and leaves it running. */
  spawn(args: string[], options: Partial<CliOptions> = {}): CliProcess {
    return spawnCli(this.args(args), { home: this.home, ...options });
  }
}
