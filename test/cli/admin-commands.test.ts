import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, killAll, removeTempDirs, runCli } from "./cli-process.js";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";

/**
 * The README's Security model commands, run as an operator would on the
 * hub's machine (the CLI finds the hub's admin key in its data folder):
 * `linker key create|ls|revoke`, `linker release`, `linker audit`.
 */
describe("the admin commands: keys, name release and the audit log", { timeout: 60_000 }, () => {
  let hub: HubProcess;
  const admin = (args: string[]) => runCli(["--hub", hub.url, ...args], { home: hub.dataDir });
  beforeAll(async () => {
    hub = await startHubProcess({ args: ["--auth", "keys"] });
  });
  afterAll(async () => {
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("issues keys with names and roles, releases a name, shows the audit log and revokes a key", async () => {
    const created = await admin(["--json", "key", "create", "ci-bot", "--names", "ci-*", "--role", "agent"]);
    expect(created.code, created.stderr).toBe(0);
    const bot = JSON.parse(created.stdout) as { secret: string; key: { id: string; names: string[] } };
    expect(bot.key.names).toEqual(["ci-*"]);
    const observer = await admin(["key", "create", "grafana", "--role", "observer"]);
    expect(observer.code, observer.stderr).toBe(0);
    expect(observer.stdout).toMatch(/created observer key "grafana"/);

    const listed = await admin(["--json", "key", "ls"]);
    expect((JSON.parse(listed.stdout) as { keys: { label: string }[] }).keys.map((k) => k.label).sort()).toEqual(["ci-bot", "grafana"]);
    expect(listed.stdout).not.toContain(bot.secret);

    const ci = new Agent("ci-1", hub.url);
    const withKey = { env: { LINKER_KEY: bot.secret } };
    expect((await ci.run(["register"], withKey)).code).toBe(0);
    const elsewhere = await new Agent("deploy", hub.url).run(["register"], withKey);
    expect(elsewhere.code).toBe(5);
    expect(elsewhere.stderr).toMatch(/does not bind the name "deploy"/);

    const released = await admin(["release", "ci-1"]);
    expect(released.code, released.stderr).toBe(0);
    const audit = await admin(["audit", "--kind", "registered,name_released,permission_denied"]);
    expect(audit.code, audit.stderr).toBe(0);
    const entries = audit.stdout.trim().split("\n").map((line) => JSON.parse(line) as { kind: string; name?: string });
    expect(entries.map((e) => [e.kind, e.name])).toEqual(
      expect.arrayContaining([
        ["AUDIT_KIND_REGISTERED", "ci-1"],
        ["AUDIT_KIND_NAME_RELEASED", "ci-1"],
      ]),
    );
    expect(entries.some((e) => e.kind === "AUDIT_KIND_PERMISSION_DENIED")).toBe(true);

    expect((await admin(["key", "revoke", "ci-bot"])).code).toBe(0);
    const revoked = await new Agent("ci-2", hub.url).run(["register"], withKey);
    expect(revoked.code).not.toBe(0);
    expect(revoked.stderr).toMatch(/unknown or revoked agent key/);
  });
});
