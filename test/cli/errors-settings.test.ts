import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";
import { Agent, killAll, removeTempDirs, runCli, tempDir } from "./cli-process.js";
import { unusedHubUrls } from "./unused-hub-urls.js";

interface StatusJson {
  name: string;
  nameSource: string;
  hubs: { url: string; probe: string }[];
}

describe.concurrent("linker errors, exit codes and settings", { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let alice: Agent;
  let downUrl: string;
  let freeUrl: string;

  beforeAll(async () => {
    [hub, [downUrl, freeUrl]] = await Promise.all([startHubProcess(), unusedHubUrls(2)]);
    alice = new Agent("alice", hub.url);
  });

  afterAll(async () => {
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("exits 2 with a clear message for an unknown recipient, and 3 quickly naming the URL when the hub is down", async () => {
    // A run that never contacts a hub, started together with the others, is the yardstick for "quickly".
    const [unknown, down, local] = await Promise.all([
      alice.run(["send", "nobody", "hello"]),
      alice.run(["--hub", downUrl, "send", "bob", "hello"]),
      alice.run(["--hub", downUrl, "send", "bad name", "hello"]),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/^linker: no instance named "nobody" is registered/m);
    expect(unknown.stderr).toMatch(/^ {2}hint: see who is registered with `linker ls`$/m);

    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(new RegExp(`^linker: cannot reach the Linker hub at ${downUrl.replace(/[.]/g, "\\.")} `, "m"));
    expect(down.stderr).toContain("linker hub");
    expect(local.code).toBe(1);
    expect(local.stderr).toContain(`linker: invalid recipient "bad name"`);
    expect(down.ms - local.ms).toBeLessThan(5_000);
  });

  it("exits 1 for an invalid name or bad usage, before contacting any hub", async () => {
    const results = await Promise.all([
      alice.run(["--name", "bad name", "send", "bob", "hi"]),
      runCli(["--hub", downUrl, "inbox"], { home: alice.home, env: { LINKER_NAME: "-leading-dash" } }),
      alice.run(["send", "bob"]),
      alice.run(["--hub", `${hub.url},${downUrl}`, "--auto-hub", "tail"]),
    ]);
    for (const result of results) {
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^linker: /);
    }
    const [name, envName, missing, autoHub] = results.map((r) => r.stderr);
    expect(name).toContain(`invalid --name "bad name"`);
    expect(envName).toContain(`invalid LINKER_NAME "-leading-dash"`);
    expect(missing).toContain("missing required argument 'message'");
    expect(autoHub).toContain("--auto-hub serves one hub on this machine");
  });

  it("exits 5 when the name belongs to another session, and shares one session between concurrent first runs", async () => {
    const owner = new Agent("owner", hub.url);
    const twin = new Agent("owner", hub.url);
    const results = await Promise.all([owner.run(["register"]), owner.run(["status", "busy"]), owner.run(["memory", "put", "owner/k", "v"])]);
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    // The twin lives in another home: reading works without a session, and claims nothing.
    const [listed, inbox] = await Promise.all([twin.run(["ls"]), twin.run(["inbox"])]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(inbox.code).toBe(2);
    expect(inbox.stderr).toMatch(/^linker: "owner" has no session in /m);
    const taken = await twin.run(["register"]);
    expect(taken.code).toBe(5);
    expect(taken.stderr).toMatch(/^linker: .*"owner"/m);
    expect(taken.stderr).toContain("registered by another session");
    expect(taken.stderr).toContain("`linker unregister`");
    expect(taken.stderr).toContain("choose another name");
  });

  it("takes settings from flags, then the environment, then $LINKER_HOME/config.json, then the folder name", async () => {
    const home = tempDir();
    writeFileSync(join(home, "config.json"), JSON.stringify({ name: "from-config", hub: downUrl }));
    const project = join(tempDir(), "My Project!");
    mkdirSync(project);
    const status = async (args: string[], env: Record<string, string> = {}, cwd = home) => {
      const result = await runCli(["--json", ...args, "status"], { home, env, cwd });
      expect(result.code, result.stderr).toBe(3);
      return JSON.parse(result.stdout) as StatusJson;
    };
    const [file, env, flag, project1] = await Promise.all([
      status([]),
      status([], { LINKER_NAME: "from-env", LINKER_URL: `${downUrl}/` }),
      status(["--name", "from-flag", "--hub", downUrl], { LINKER_NAME: "from-env" }),
      runCli(["--json", "--hub", downUrl, "status"], { home: tempDir(), cwd: project }),
    ]);
    expect([file.name, file.nameSource, file.hubs[0].url]).toEqual(["from-config", "config", downUrl]);
    expect([env.name, env.nameSource, env.hubs[0].url]).toEqual(["from-env", "LINKER_NAME", downUrl]);
    expect([flag.name, flag.nameSource]).toEqual(["from-flag", "--name"]);
    const derived = JSON.parse(project1.stdout) as StatusJson;
    expect([derived.name, derived.nameSource]).toEqual(["My-Project-", "folder"]);

    writeFileSync(join(home, "config.json"), "{not json");
    const broken = await runCli(["ls"], { home });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`linker: ${join(home, "config.json")} is not valid JSON`);
  });

  it("with --auto-hub, tail serves the hub itself when none answers", async () => {
    const host = new Agent("host", freeUrl);
    const tail = host.spawn(["--auto-hub", "tail", "--types", "message"]);
    await tail.waitForStderr(/tailing events of "host" at \S+ \(serving the hub here\)/, 20_000);
    const guest = new Agent("guest", freeUrl);
    const sent = await guest.run(["send", "host", "hello hub"]);
    expect(sent.code, sent.stderr).toBe(0);
    await tail.waitForStdout(/guest → host text \S+: hello hub$/m);
    expect((await tail.stop("SIGINT")).code).toBe(0);
    const gone = await guest.run(["send", "host", "again"]);
    expect(gone.code).toBe(3);
  });
});
