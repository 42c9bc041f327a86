import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import type { Implementation } from "./implementations.js";

/** Longest a build may take (a cold Go build on a busy 2-core machine takes about a minute). */
const BUILD_TIMEOUT_MS = 10 * 60_000;

/**
 * Runs an implementation's `build` command from the repository root, its
 * output appended to `logFile`. Resolves when it succeeds (at once when the
 * implementation has no build) and rejects with a message naming the log
 * otherwise.
 */
export async function buildImplementation(impl: Implementation, repoRoot: string, logFile: string): Promise<void> {
  if (!impl.build) return;
  const [command, ...args] = impl.build;
  const log = createWriteStream(logFile, { flags: "a" });
  try {
    await new Promise<void>((done, fail) => {
      const child = spawn(command === "node" ? process.execPath : command, args, {
        cwd: repoRoot,
        env: { ...process.env, ...impl.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout.pipe(log, { end: false });
      child.stderr.pipe(log, { end: false });
      const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS);
      child.once("error", (err) => {
        clearTimeout(timer);
        fail(new Error(`build of ${impl.name} could not start: ${err.message}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) done();
        else fail(new Error(`build of ${impl.name} failed (${signal ?? `exit ${code}`}); see ${logFile}`));
      });
    });
  } finally {
    await new Promise<void>((done) => log.end(() => done()));
  }
}
