import { readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

/** Where an instance works, as Register's `workspace` describes it. */
export interface WorkspaceInfo {
  /** Project (folder) name. */
  project: string;
  /** Absolute path. */
  path: string;
  /** Current git branch ("" outside a repository). */
  gitBranch: string;
  /** Machine or container name. */
  host: string;
}

/** The git branch checked out at or above `dir` ("" when none), read from .git/HEAD without running git. */
export function gitBranch(dir: string): string {
  for (let current = dir; ; current = dirname(current)) {
    const dotGit = join(current, ".git");
    try {
      let gitDir = dotGit;
      if (statSync(dotGit).isFile()) {
        const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, "utf8"));
        if (!pointer) return "";
        gitDir = pointer[1].startsWith("/") ? pointer[1].trim() : join(current, pointer[1].trim());
      }
      const head = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
      const ref = /^ref:\s*refs\/heads\/(.+)$/.exec(head);
      return ref ? ref[1] : head.slice(0, 12);
    } catch {
      if (dirname(current) === current) return "";
    }
  }
}

/** The workspace of the project folder `dir` on this host. */
export function detectWorkspace(dir: string): WorkspaceInfo {
  return { project: basename(dir), path: dir, gitBranch: gitBranch(dir), host: hostname() };
}

/** What a hub accepts as an instance name. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Name used when a folder's name has nothing usable in it. */
const FALLBACK_NAME = "agent";

/**
 * The folder an instance works in: Claude Code's project folder when running
 * inside Claude Code (hooks, its shell), else the current folder. The MCP
 * server and the CLI derive the same default name from it.
 */
export function projectDir(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const fromClaude = env.CLAUDE_PROJECT_DIR;
  return resolve(fromClaude !== undefined && fromClaude !== "" ? fromClaude : cwd);
}

/**
 * Turns a folder's name into a valid instance name: runs of characters other
 * than letters, digits, '.', '_' and '-' become one '-', leading punctuation is
 * dropped, and the result is cut to 64 characters ("agent" when nothing is left).
 */
export function nameFromFolder(dir: string): string {
  const cleaned = basename(dir)
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  return NAME_PATTERN.test(cleaned) ? cleaned : FALLBACK_NAME;
}
