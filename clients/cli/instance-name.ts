import { basename, resolve } from "node:path";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";

/** What a hub accepts as an instance name. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Name used when a folder's name has nothing usable in it. */
const FALLBACK_NAME = "agent";

/**
 * The folder an instance works in: Claude Code's project folder when the
 * command runs inside Claude Code (hooks, its shell), else the current folder.
 * The MCP server and the CLI derive the same default name from it.
 */
export function projectDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const fromClaude = env.CLAUDE_PROJECT_DIR;
  return resolve(fromClaude !== undefined && fromClaude !== "" ? fromClaude : cwd);
}

/**
 * Turns a folder's name into a valid instance name the way the MCP server
 * does: runs of characters other than letters, digits, '.', '_' and '-'
 * become one '-', leading punctuation is dropped, and the result is cut to
 * 64 characters ("agent" when nothing is left).
 */
export function nameFromFolder(dir: string): string {
  const cleaned = basename(dir)
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  return NAME_PATTERN.test(cleaned) ? cleaned : FALLBACK_NAME;
}

/** Throws a usage error unless `name` is a valid instance name; `what` says where it came from. */
export function checkName(name: string, what = "name"): string {
  if (NAME_PATTERN.test(name)) return name;
  throw new CliError(
    `invalid ${what} ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    ExitCode.usage,
  );
}
