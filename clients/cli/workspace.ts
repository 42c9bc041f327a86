import { readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";

/** Where an instance works, as Register's `workspace` describes it. */
export interface WorkspaceInfo {
  project: string;
  path: string;
  gitBranch: string;
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
