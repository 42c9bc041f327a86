import { spawn } from "node:child_process";

/** How `runClaude` runs the claude CLI. */
export interface ClaudeRunOptions {
  /** The executable (default "claude"). */
  command?: string;
  /** The prompt, passed as `-p <prompt>`. */
  prompt: string;
  /** Extra arguments after the prompt. */
  args?: string[];
  /** Working folder (the workspace, so claude sees the project). */
  cwd?: string;
  /** Time the answer may take (default 120 s); then SIGTERM. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL (default 5 s). */
  killGraceMs?: number;
  /** Largest answer kept, in bytes (default 256 KiB, the hub's message limit). */
  maxOutputBytes?: number;
  /** Environment (default this process's). */
  env?: NodeJS.ProcessEnv;
}

/** Why a claude run failed. */
export type ClaudeFailure = "spawn" | "timeout" | "exit" | "empty";

/** A claude CLI run that produced no answer; the message says why and what to do. */
export class ClaudeCliError extends Error {
  constructor(
    message: string,
    readonly reason: ClaudeFailure,
    readonly details: { exitCode?: number | null; signal?: NodeJS.Signals | null; stderr?: string } = {},
  ) {
    super(message);
    this.name = "ClaudeCliError";
  }
}

/** Last `max` characters of `text`, marked when cut. */
function tail(text: string, max = 600): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `…${trimmed.slice(-max)}` : trimmed;
}

/**
 * Runs `claude -p <prompt>` and resolves to its answer (stdout). It runs in
 * its own process group; after `timeoutMs` the group gets SIGTERM, and
 * SIGKILL `killGraceMs` later if it is still there. Rejects with a
 * ClaudeCliError when the CLI cannot start, times out, exits non-zero or
 * prints nothing.
 */
export function runClaude(options: ClaudeRunOptions): Promise<string> {
  const command = options.command ?? "claude";
  const timeoutMs = options.timeoutMs ?? 120_000;
  const killGraceMs = options.killGraceMs ?? 5_000;
  const maxOutputBytes = options.maxOutputBytes ?? 256 * 1024;
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let outputBytes = 0;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(command, ["-p", options.prompt, ...(options.args ?? [])], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
    });
    const signalGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        if (process.platform !== "win32") process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        child.kill(signal);
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup("SIGTERM");
      killTimer = setTimeout(() => signalGroup("SIGKILL"), killGraceMs);
    }, timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      if (outputBytes >= maxOutputBytes) return;
      const room = maxOutputBytes - outputBytes;
      const piece = Buffer.byteLength(chunk) > room ? Buffer.from(chunk).subarray(0, room).toString("utf8") : chunk;
      outputBytes += Buffer.byteLength(piece);
      stdout += piece;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-8_192);
    });
    child.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      reject(
        new ClaudeCliError(
          err.code === "ENOENT"
            ? `cannot run "${command}": not found; install the claude CLI or set claudeTeam.claudePath`
            : `cannot run "${command}": ${err.message}`,
          "spawn",
        ),
      );
    });
    child.once("close", (exitCode, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (timedOut) {
        reject(
          new ClaudeCliError(`claude did not answer within ${Math.round(timeoutMs / 1000)} s and was stopped (${signal ?? `exit ${exitCode}`})`, "timeout", {
            exitCode,
            signal,
            stderr,
          }),
        );
      } else if (exitCode !== 0) {
        const why = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
        reject(new ClaudeCliError(`claude ${why}${stderr.trim() ? `: ${tail(stderr)}` : ""}`, "exit", { exitCode, signal, stderr }));
      } else if (stdout.trim() === "") {
        reject(new ClaudeCliError(`claude printed no answer${stderr.trim() ? ` (stderr: ${tail(stderr)})` : ""}`, "empty", { exitCode, signal, stderr }));
      } else {
        resolve(stdout.trim());
      }
    });
  });
}
