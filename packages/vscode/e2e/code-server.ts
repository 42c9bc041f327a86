import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The code-server entry point the e2e folder installs. */
export const CODE_SERVER_ENTRY = join(import.meta.dirname, "node_modules", "code-server", "out", "node", "entry.js");

/** Folders and environment of one code-server. */
export interface CodeServerOptions {
  /** Scratch HOME. */
  home: string;
  /** --user-data-dir. */
  userDataDir: string;
  /** --extensions-dir. */
  extensionsDir: string;
  /** Extra environment (the extension host adds what the user's login shell sets, PATH included). */
  env?: NodeJS.ProcessEnv;
}

/** A running code-server. */
export interface CodeServer {
  /** Base URL. */
  url: string;
  /** Host and port. */
  authority: string;
  /** Everything it printed. */
  output(): string;
  /** Stops it and every process it started (its process group): SIGTERM, SIGKILL after 5 s. */
  stop(): Promise<void>;
}

function environment(options: CodeServerOptions): NodeJS.ProcessEnv {
  return { ...process.env, ...options.env, HOME: options.home, XDG_CONFIG_HOME: join(options.home, ".config"), XDG_DATA_HOME: join(options.home, ".local/share") };
}

/** Installs a .vsix into the extensions folder; returns the installed extension's folder. */
export async function installExtension(options: CodeServerOptions, vsix: string, id: string, version: string): Promise<string> {
  await run(process.execPath, [CODE_SERVER_ENTRY, "--user-data-dir", options.userDataDir, "--extensions-dir", options.extensionsDir, "--install-extension", vsix], {
    env: environment(options),
    timeout: 60_000,
  });
  return join(options.extensionsDir, `${id}-${version}`);
}

/**
 * Starts code-server on `port` (no auth, no telemetry or update checks) and
 * resolves once it listens. It runs on this Node (the one its addons were
 * built for) whatever `node` the PATH in `options.env` finds; its extension
 * hosts run on the same Node.
 */
export async function startCodeServer(options: CodeServerOptions, port: number, timeoutMs = 60_000): Promise<CodeServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      CODE_SERVER_ENTRY,
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--auth",
      "none",
      "--user-data-dir",
      options.userDataDir,
      "--extensions-dir",
      options.extensionsDir,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
    ],
    { env: environment(options), stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let output = "";
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const group = -child.pid;
    try {
      process.kill(group, "SIGTERM");
    } catch {
      return;
    }
    const killer = setTimeout(() => {
      try {
        process.kill(group, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5_000);
    await exited;
    clearTimeout(killer);
    try {
      process.kill(group, "SIGKILL");
    } catch {
      // the whole group is gone
    }
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not listen within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (/HTTP server listening on/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`code-server exited before listening:\n${output}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { url: `http://127.0.0.1:${port}`, authority: `127.0.0.1:${port}`, output: () => output, stop };
}
