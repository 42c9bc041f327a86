/**
 * The real Claude Code CLI, offline, against a scripted model: a reusable
 * harness for end-to-end tests of Linker inside Claude Code sessions.
 *
 * - `startModelEndpoint()` (model-endpoint.ts): a node http server that speaks
 *   the Messages API (SSE), lets each session's script pick the reply from the
 *   request itself (`callTool` handles the ToolSearch step of deferred MCP
 *   tools), and records every request: `messagesOf(session)` is what the model saw.
 * - `sessionHome()` / `runClaude()` (claude-session.ts): a scratch HOME per
 *   session with the `.claude.json` Claude Code needs offline (onboarding
 *   done, key approved, project trusted), and `claude -p` in its project.
 * - `startPtySession()` (pty-session.ts): an interactive session in a
 *   pseudo-terminal (python's pty), for what `-p` never sets up (channels).
 * - session-scripts.ts: script rules (`rules`, `use`, `called`) and readers
 *   of what the model saw (`monitorEvents`, `occurrences`, `lastUserText`),
 *   plus the session records and `linker` processes of a run (push.e2e.ts).
 * - `runLinker()`, `freePort()`, `until()` below: the `linker` command with a
 *   session's environment, a free loopback port, and polling with a deadline.
 *
 * Claude Code is installed by install.sh into a cache outside the checkout;
 * `npm run test:claude-code` installs it and runs the *.e2e.ts files here.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import type { SessionHome } from "./claude-session.js";
import { freePort } from "../support/free-port.js";
export { freePort };

export * from "./claude-session.js";
export * from "./model-endpoint.js";
export * from "./pty-session.js";

/** The `linker` command of this checkout. */
export const LINKER_BIN = resolve(import.meta.dirname, "../../bin/linker.js");

/** How a `linker` run ended. */
export interface LinkerRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `linker <args>` with a session's HOME and LINKER_HOME, in its project folder. */
export function runLinker(where: SessionHome, args: string[], env: Record<string, string> = {}): Promise<LinkerRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(LINKER_|CLAUDE)/.test(key)));
  const child = spawn(process.execPath, [LINKER_BIN, ...args], {
    cwd: where.project,
    env: { ...inherited, HOME: where.home, LINKER_HOME: where.linkerHome, LINKER_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((done) => child.once("close", (code) => done({ code, stdout, stderr })));
}

/** Polls `check` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
