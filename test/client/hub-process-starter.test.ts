import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HubRuntimeUnavailableError, hubProcessStarter, type ClientLogger } from "@linker/client";
import { nodeSqliteRuntime } from "../support/node-sqlite-runtime.js";
import { tempDir } from "../support/temp-dir.js";

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const node22 = nodeSqliteRuntime();

/** Writes a stand-in hub-process script (plain ESM for the runtime under test). */
function script(body: string): string {
  const path = join(tempDir("hub-process-script-"), "hub.mjs");
  writeFileSync(path, body);
  return path;
}

const site = { host: "127.0.0.1", port: 47310, dataDir: "/tmp/vscode-unused" };

function recordingLogger(): ClientLogger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (details: object, message?: string) => lines.push(`${level} ${message ?? ""} ${JSON.stringify(details)}`);
  return { lines, debug: add("debug"), info: add("info"), warn: add("warn"), error: add("error") };
}

describe("hubProcessStarter", () => {
  it("says a runtime that does not exist is not found", async () => {
    const start = hubProcessStarter({ runtime: "/nonexistent/node", script: script("") });
    const err = await start(site).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubRuntimeUnavailableError);
    expect((err as Error).message).toBe("/nonexistent/node cannot run the hub: not found");
  });

  it("reports a child that dies before reporting with its exit code and last stderr lines", async () => {
    const start = hubProcessStarter({ runtime: process.execPath, script: script('console.error("SyntaxError: Unexpected token"); process.exit(7);') });
    await expect(start(site)).rejects.toThrow(/cannot run the hub: it exited \(7\) before the hub started: SyntaxError: Unexpected token/);
  });

  it("passes on a store the runtime lacks, with the runtime's version", async () => {
    const start = hubProcessStarter({
      runtime: process.execPath,
      script: script(
        'process.stdout.write(JSON.stringify({ event: "unavailable", runtime: "Node v20.1.0", reason: "node:sqlite is missing; the hub needs Node 22.13 or newer" }) + "\\n"); process.exit(3);',
      ),
    });
    await expect(start(site)).rejects.toThrow(`${process.execPath} cannot run the hub: Node v20.1.0: node:sqlite is missing; the hub needs Node 22.13 or newer`);
  });

  it("turns a port-in-use report into EADDRINUSE, so the election connects instead", async () => {
    const start = hubProcessStarter({ runtime: process.execPath, script: script('process.stdout.write(JSON.stringify({ event: "port-in-use", message: "listen EADDRINUSE 127.0.0.1:47310" }) + "\\n"); process.exit(2);') });
    await expect(start(site)).rejects.toMatchObject({ code: "EADDRINUSE", message: "listen EADDRINUSE 127.0.0.1:47310" });
  });

  it("kills a child that never reports", async () => {
    const start = hubProcessStarter({ runtime: process.execPath, script: script("setInterval(() => {}, 1000);"), startTimeoutMs: 300 });
    await expect(start(site)).rejects.toThrow(/did not report within 300 ms/);
  });

  it("never adds a runtime flag a child asks for unless it is on the allow-list", async () => {
    const marker = join(tempDir("hub-process-flags-"), "argv.txt");
    const start = hubProcessStarter({
      runtime: process.execPath,
      script: script(
        `import { appendFileSync } from "node:fs"; appendFileSync(${JSON.stringify(marker)}, JSON.stringify(process.execArgv) + "\\n");` +
          'process.stdout.write(JSON.stringify({ event: "unavailable", runtime: "x", reason: "no store", retryArgs: ["--inspect=0.0.0.0:9229", "--require=/tmp/evil.js"] }) + "\\n"); process.exit(3);',
      ),
    });
    await expect(start(site)).rejects.toThrow(/no store/);
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(marker, "utf8").trim().split("\n")).toEqual(["[]"]);
  });

  it.skipIf(!node22)("starts once more with --experimental-sqlite when the child says its runtime has node:sqlite behind it", async () => {
    const start = hubProcessStarter({
      runtime: node22!,
      script: script(
        [
          'import { createServer } from "node:http";',
          'if (!process.execArgv.includes("--experimental-sqlite")) {',
          '  process.stdout.write(JSON.stringify({ event: "unavailable", runtime: "Node v22.9.0", reason: "node:sqlite is missing (this Node has it behind --experimental-sqlite)", retryArgs: ["--experimental-sqlite"] }) + "\\n");',
          "  process.exit(3);",
          "}",
          'const server = createServer((_, res) => res.end("ok")).listen(0, "127.0.0.1", () => {',
          '  process.stdout.write(JSON.stringify({ event: "listening", url: `http://127.0.0.1:${server.address().port}`, pid: process.pid, runtime: "Node v22.9.0", store: "node:sqlite (flagged)" }) + "\\n");',
          "});",
          'process.stdin.on("end", () => { server.close(); process.stdout.write(JSON.stringify({ event: "stopped" }) + "\\n"); process.exit(0); });',
          "process.stdin.resume();",
        ].join("\n"),
      ),
    });
    const hub = await start(site);
    cleanup.push(() => hub.close());
    expect(hub.store).toBe("node:sqlite (flagged)");
    expect(hub.description).toContain(`${node22}, Node v22.9.0, node:sqlite (flagged)`);
    await hub.close();
    expect(await hub.exited).toBe(0);
  }, 20_000);

  it("forwards the child's JSON log lines at their level and kills a child that ignores close", async () => {
    const logger = recordingLogger();
    const start = hubProcessStarter({
      runtime: process.execPath,
      logger,
      stopTimeoutMs: 300,
      script: script(
        [
          'process.stderr.write(JSON.stringify({ level: 40, msg: "slow consumer cut off", name: "a" }) + "\\nplain text line\\n");',
          'process.stdout.write(JSON.stringify({ event: "listening", url: "http://127.0.0.1:1", pid: process.pid, runtime: "Node v20", store: "fake" }) + "\\n");',
          'process.stdin.on("end", () => {});',
          "process.stdin.resume();",
          "setInterval(() => {}, 1000);",
        ].join("\n"),
      ),
    });
    const hub = await start(site);
    await hub.close();
    expect(await hub.exited).toBe("SIGKILL");
    expect(logger.lines).toContain('warn slow consumer cut off {"name":"a"}');
    expect(logger.lines).toContain('warn hub process {"line":"plain text line"}');
    expect(logger.lines.some((line) => line.startsWith("warn the hub process did not stop in time"))).toBe(true);
  });
});

describe("the port a hub child binds", () => {
  let holder: Server | undefined;
  afterEach(() => new Promise<void>((done) => (holder ? holder.close(() => done()) : done())));

  it("is reported in use when another process holds it (real bind in the child)", async () => {
    holder = createServer();
    const port = await new Promise<number>((done) => holder!.listen(0, "127.0.0.1", () => done((holder!.address() as { port: number }).port)));
    const start = hubProcessStarter({
      runtime: process.execPath,
      script: script(
        [
          'import { createServer } from "node:net";',
          "const port = Number(process.argv[process.argv.indexOf(\"--port\") + 1]);",
          'createServer().once("error", (err) => { process.stdout.write(JSON.stringify({ event: err.code === "EADDRINUSE" ? "port-in-use" : "failed", message: err.message }) + "\\n"); process.exit(2); }).listen(port, "127.0.0.1");',
        ].join("\n"),
      ),
    });
    await expect(start({ ...site, port })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});
