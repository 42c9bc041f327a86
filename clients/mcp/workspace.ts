import { readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";

/** Where an instance works, as Register's workspace describes it. */
export interface WorkspaceInfo {
  /** Project (folder) name. */
  project: string;
  /** Absolute path. */
  path: string;
  /** Current git branch, "" outside a repository or on a detached HEAD. */
  gitBranch: string;
  /** Machine or container name. */
  host: string;
}

/** The git branch checked out in `dir` or its nearest parent repository. */
export function gitBranch(dir: string): string {
  for (let current = dir; ; current = dirname(current)) {
    try {
      let gitDir = join(current, ".git");
      if (statSync(gitDir).isFile()) {
        const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(gitDir, "utf8"));
        if (!pointer) return "";
        gitDir = join(current, pointer[1].trim());
      }
      const head = readFileSync(join(gitDir, "HEAD"), "utf8");
      const ref = /^ref:\s*refs\/heads\/(.+)$/m.exec(head);
      return ref ? ref[1].trim() : "";
    } catch {
      if (dirname(current) === current) return "";
    }
  }
}

/** The workspace of a process started in `dir`. */
export function workspaceOf(dir: string): WorkspaceInfo {
  return { project: basename(dir), path: dir, gitBranch: gitBranch(dir), host: hostname() };
}

/** An instance name derived from a folder name, valid for Register. */
export function instanceNameFor(dir: string): string {
  const cleaned = basename(dir)
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  return cleaned === "" ? "agent" : cleaned;
}
