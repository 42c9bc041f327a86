import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { type PtySession, startPtySession } from "./pty-session.js";

/** The Claude Code version the suite runs (installed by test/claude-code/install.sh). */
export const CLAUDE_CODE_VERSION = process.env.LINKER_CLAUDE_CODE_VERSION ?? "2.1.332";

/** The API key every session presents to the scripted model endpoint. */
const API_KEY = "sk-ant-api03-linker-e2e-scripted-model-0123456789abcdefghij";

/**
 * The native Claude Code binary: $LINKER_CLAUDE_CODE_BIN, else where
 * install.sh puts it (~/.cache/linker/claude-code-<version> of the real home,
 * since tests run with a scratch HOME).
 */
export function claudeBinary(): string {
  const fromEnv = process.env.LINKER_CLAUDE_CODE_BIN;
  if (fromEnv) return fromEnv;
  const dir = process.env.LINKER_CLAUDE_CODE_DIR ?? join(userInfo().homedir, ".cache", "linker", `claude-code-${CLAUDE_CODE_VERSION}`);
  const bin = join(dir, "node_modules", "@anthropic-ai", "claude-code-linux-x64", "claude");
  if (!existsSync(bin)) throw new Error(`Claude Code ${CLAUDE_CODE_VERSION} is not installed at ${bin}: run bash test/claude-code/install.sh`);
  return bin;
}

/** Where one session lives: a scratch HOME and a project folder, both trusted and set up for the scripted model. */
export interface SessionHome {
  /** The scratch HOME (holds .claude.json and .claude/). */
  home: string;
  /** The project folder Claude Code runs in. */
  project: string;
  /** LINKER_HOME of the session (shared by sessions that share a hub's data). */
  linkerHome: string;
}

/** Options of a scratch home. */
export interface SessionHomeOptions {
  /** Project folder name (the default instance name derives from it). */
  projectName?: string;
  /** LINKER_HOME to use (default: `<home>/.linker`). */
  linkerHome?: string;
  /** Extra keys of .claude.json (for example the channels feature flag). */
  claudeJson?: Record<string, unknown>;
}

/**
 * A scratch HOME for one Claude Code session, with the `.claude.json` Claude
 * Code needs to run offline: onboarding done, the API key approved (its last
 * 20 characters), and the project folder trusted.
 */
export function sessionHome(options: SessionHomeOptions = {}): SessionHome {
  const root = mkdtempSync(join(tmpdir(), "linker-claude-"));
  const home = join(root, "home");
  const project = join(root, options.projectName ?? "project");
  mkdirSync(join(home, ".claude"), { recursive: true });
  mkdirSync(project, { recursive: true });
  const linkerHome = options.linkerHome ?? join(home, ".linker");
  mkdirSync(linkerHome, { recursive: true });
  const trusted = { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, projectOnboardingSeenCount: 1, allowedTools: [] };
  writeFileSync(
    join(home, ".claude.json"),
    JSON.stringify(
      {
        hasCompletedOnboarding: true,
        numStartups: 1,
        customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] },
        projects: { [resolve(project)]: trusted },
        ...options.claudeJson,
      },
      null,
      2,
    ),
  );
  return { home, project, linkerHome };
}

/** How a `claude -p` run ended. */
export interface ClaudeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options of one `claude -p` run. */
export interface ClaudeRunOptions {
  /** The scripted model endpoint URL for this session (ModelEndpoint.urlFor). */
  modelUrl: string;
  /** Extra arguments before the prompt (for example --mcp-config FILE --strict-mcp-config). */
  args?: string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** Longest run (default 90 s), then SIGKILL. */
  timeoutMs?: number;
}

/** The environment of a session: this process's, minus Linker and Claude Code settings, plus the session's. */
function sessionEnv(where: SessionHome, options: ClaudeRunOptions, offline = true): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(LINKER_|CLAUDE|ANTHROPIC_)/.test(key)));
  return {
    ...inherited,
    HOME: where.home,
    USERPROFILE: where.home,
    LINKER_HOME: where.linkerHome,
    LINKER_LOG_LEVEL: "warn",
    ANTHROPIC_BASE_URL: options.modelUrl,
    ANTHROPIC_API_KEY: API_KEY,
    ...(offline ? { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1" } : {}),
    DISABLE_AUTOUPDATER: "1",
    ...options.env,
  };
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Runs `claude -p <prompt>` in the session's project folder and collects its output. */
export function runClaude(where: SessionHome, prompt: string, options: ClaudeRunOptions): Promise<ClaudeRun> {
  const child = spawn(claudeBinary(), [...(options.args ?? []), "-p", prompt], { cwd: where.project, env: sessionEnv(where, options), stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
  return new Promise((done) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      running.delete(child);
      done({ code, stdout, stderr });
    });
  });
}

/** Runs another `claude` subcommand (`plugin marketplace add …`, `plugin install …`) with the session's environment. */
export function runClaudeCommand(where: SessionHome, args: string[], options: Omit<ClaudeRunOptions, "args">): Promise<ClaudeRun> {
  const child = spawn(claudeBinary(), args, { cwd: where.project, env: sessionEnv(where, options), stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return new Promise((done) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      running.delete(child);
      done({ code, stdout, stderr });
    });
  });
}

/**
 * Starts an interactive Claude Code session in a pseudo-terminal (what `-p`
 * never sets up, such as channels). `offline: false` leaves nonessential
 * traffic on, which channels need (the scripted endpoint answers it).
 */
export function startClaude(where: SessionHome, args: string[], options: ClaudeRunOptions & { offline?: boolean }): PtySession {
  return startPtySession(claudeBinary(), args, { cwd: where.project, env: sessionEnv(where, options, options.offline ?? true) });
}

/** Writes an MCP config file for `--mcp-config` and returns its path. */
export function mcpConfigFile(where: SessionHome, servers: Record<string, unknown>): string {
  const path = join(where.home, "mcp-config.json");
  writeFileSync(path, JSON.stringify({ mcpServers: servers }, null, 2));
  return path;
}

/** Kills every Claude Code process still running (after a failed test). */
export function killClaudes(): void {
  for (const child of running) child.kill("SIGKILL");
}
