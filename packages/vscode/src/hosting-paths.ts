import { accessSync, constants, existsSync, realpathSync, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { type ClientLogger, type HostingCandidate, hubProcessStarter, type HubStarter } from "@linker/client";

/** File name of the hub child-process bundle, next to extension.cjs in the extension's dist/. */
export const HUB_PROCESS_FILE = "hub-process.cjs";

/** Folder of the built web dashboard in the .vsix, next to dist/; a hub a window hosts serves it at `/`. */
export const DASHBOARD_FOLDER = "dashboard";

/**
 * The built dashboard the .vsix ships next to the dist/ folder that holds
 * `bundleFile`, if it is there (a development checkout has none: its hub
 * finds the `@linker/dashboard` package instead).
 */
export function shippedDashboardDir(bundleFile: string | undefined): string | undefined {
  if (!bundleFile) return undefined;
  const dir = join(dirname(bundleFile), "..", DASHBOARD_FOLDER);
  return existsSync(join(dir, "index.html")) ? dir : undefined;
}

/** What the user is told when no hosting path works. */
export const HOSTING_ADVICE =
  "Install Node.js 22.13 or newer (on PATH, or set claudeTeam.nodePath to it) so this window can host the hub, or run `linker hub`; meanwhile this window connects as a client";

/** What a window needs to list its hosting paths. */
export interface WindowHostingOptions {
  /** The claudeTeam.nodePath setting ("" = not set). */
  nodePath: string;
  /** The hub child-process bundle (dist/hub-process.cjs of the extension). */
  hubScript: string;
  /** The in-process starter (the hub and better-sqlite3 in the extension host); false to leave it out. */
  inProcess: HubStarter | false;
  /** Where the child's log lines go. */
  hubLog?: ClientLogger;
  /** This runtime's executable (default process.execPath: VS Code's Electron, or the server's node). */
  execPath?: string;
  /** The environment children inherit and PATH is read from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The platform (default process.platform), for PATH lookup. */
  platform?: NodeJS.Platform;
}

/** The executable `command` resolves to on PATH, if any (on Windows only real executables: .exe, .com). */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const path = env.PATH ?? env.Path ?? "";
  const names = platform === "win32" ? [`${command}.exe`, `${command}.com`] : [command];
  for (const dir of path.split(platform === "win32" ? ";" : delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        if (!statSync(candidate).isFile()) continue;
        if (platform !== "win32") accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return a === b;
  }
}

/** A candidate that always fails with `reason` (a path that is not there, listed so the log says why). */
function missing(label: string, reason: string): HostingCandidate {
  return { label, start: () => Promise.reject(new Error(reason)) };
}

/**
 * The ways a VS Code window can host the hub, in the order they are tried:
 *  1. in the extension host, when better-sqlite3 loads there (a build of the
 *     extension for that runtime, or a development checkout);
 *  2. a child process under claudeTeam.nodePath, when set;
 *  3. a child process under VS Code's own runtime (ELECTRON_RUN_AS_NODE=1 on
 *     desktop; the server's node on Remote and code-server), when it has node:sqlite;
 *  4. a child process under `node` on PATH (Node 22.13+ has node:sqlite).
 * Each child runs the extension's hub bundle on the shared hub.db.
 */
export function windowHostingCandidates(options: WindowHostingOptions): HostingCandidate[] {
  const env = options.env ?? process.env;
  const execPath = options.execPath ?? process.execPath;
  const child = (runtime: string, childEnv: NodeJS.ProcessEnv = env) =>
    hubProcessStarter({ runtime, script: options.hubScript, env: childEnv, logger: options.hubLog });
  const candidates: HostingCandidate[] = [];
  if (options.inProcess) candidates.push({ label: "in the extension host", start: options.inProcess, permanent: true });
  const configured = options.nodePath.trim();
  if (configured) {
    candidates.push(
      isAbsolute(configured)
        ? { label: `claudeTeam.nodePath (${configured})`, start: child(configured) }
        : missing(`claudeTeam.nodePath (${configured})`, "it must be an absolute path to a node executable"),
    );
  }
  candidates.push({ label: `VS Code's runtime (${execPath})`, start: child(execPath, { ...env, ELECTRON_RUN_AS_NODE: "1" }) });
  const onPath = findOnPath("node", env, options.platform);
  if (!onPath) candidates.push(missing("node on PATH", "no node executable on PATH"));
  else if (sameFile(onPath, execPath)) candidates.push(missing(`node on PATH (${onPath})`, "it is VS Code's runtime, tried above"));
  else if (configured && sameFile(onPath, configured)) candidates.push(missing(`node on PATH (${onPath})`, "it is claudeTeam.nodePath, tried above"));
  else candidates.push({ label: `node on PATH (${onPath})`, start: child(onPath) });
  return candidates;
}
