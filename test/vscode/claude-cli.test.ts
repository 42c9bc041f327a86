import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClaudeCliError, runClaude } from "../../packages/vscode/src/claude-cli.js";

const dir = mkdtempSync(join(tmpdir(), "fake-claude-"));

/** Writes an executable node script standing in for the claude CLI. */
function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/usr/bin/env node\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<ClaudeCliError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ClaudeCliError);
  return err as ClaudeCliError;
}

describe("runClaude", () => {
  it("passes the prompt as -p and returns stdout", async () => {
    const command = script("echo", 'process.stdout.write(JSON.stringify(process.argv.slice(2)) + "\\n")');
    expect(JSON.parse(await runClaude({ command, prompt: "what is up?", args: ["--x"] }))).toEqual(["-p", "what is up?", "--x"]);
  });

  it("reports a missing CLI with the setting to fix", async () => {
    const err = await failure(runClaude({ command: join(dir, "missing"), prompt: "q" }));
    expect(err.reason).toBe("spawn");
    expect(err.message).toContain("claudeTeam.claudePath");
  });

  it("reports a non-zero exit with stderr", async () => {
    const err = await failure(runClaude({ command: script("fails", 'process.stderr.write("rate limited\\n"); process.exit(3)'), prompt: "q" }));
    expect(err.reason).toBe("exit");
    expect(err.message).toContain("exited with code 3: rate limited");
  });

  it("reports an empty answer", async () => {
    expect((await failure(runClaude({ command: script("silent", ""), prompt: "q" }))).reason).toBe("empty");
  });

  it("stops a slow CLI with SIGTERM after the timeout", async () => {
    const command = script("slow", "setTimeout(() => {}, 60_000)");
    const started = Date.now();
    const err = await failure(runClaude({ command, prompt: "q", timeoutMs: 300, killGraceMs: 5_000 }));
    expect(err.reason).toBe("timeout");
    expect(err.details.signal).toBe("SIGTERM");
    expect(err.message).toContain("did not answer within 0 s");
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("escalates to SIGKILL when SIGTERM is ignored", async () => {
    const command = script("stubborn", 'process.on("SIGTERM", () => {}); process.stdout.write("partial"); setInterval(() => {}, 1000)');
    const err = await failure(runClaude({ command, prompt: "q", timeoutMs: 300, killGraceMs: 300 }));
    expect(err.reason).toBe("timeout");
    expect(err.details.signal).toBe("SIGKILL");
  });
});
