import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LINKER_BIN } from "../support/hub-process.js";
import { isLinkerHookCommand, mergeSettings } from "../../packages/cli/src/claude-setup.js";
import { removeTempDirs, runCli, tempDir } from "./cli-process.js";

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, any>;

describe.concurrent("linker init", () => {
  afterAll(() => removeTempDirs());

  /** A project folder and a scratch HOME for one run of `linker init`. */
  const setUp = (name = "shop") => {
    const root = tempDir("linker-init-");
    const project = join(root, name);
    const home = join(root, "home");
    mkdirSync(project);
    mkdirSync(home);
    const init = (args: string[]) => runCli([...args], { home: join(home, ".linker"), cwd: project, env: { HOME: home } });
    return { project, home, init };
  };

  it("writes .mcp.json and .claude/settings.json so the server and the hooks act as one instance, and changes nothing the second time", async () => {
    const { project, init } = setUp();
    const first = await init(["--hub", "http://127.0.0.1:4000", "init"]);
    expect(first.code, first.stderr).toBe(0);
    const words = ["--name", "shop", "--hub", "http://127.0.0.1:4000"];
    expect(readJson(join(project, ".mcp.json"))).toEqual({ mcpServers: { linker: { command: process.execPath, args: [LINKER_BIN, ...words, "mcp"] } } });
    const settings = readJson(join(project, ".claude", "settings.json"));
    const hook = [process.execPath, LINKER_BIN, ...words, "hook"].join(" ");
    expect(settings.hooks).toEqual({
      UserPromptSubmit: [{ hooks: [{ type: "command", command: hook }] }],
      PostToolUse: [{ matcher: "*", hooks: [{ type: "command", command: hook }] }],
      Stop: [{ hooks: [{ type: "command", command: hook }] }],
    });
    // The monitor plugin: a marketplace folder in the project, enabled in its settings.
    const pluginDir = join(project, ".claude", "linker-plugin");
    const [marketplace] = Object.keys(settings.extraKnownMarketplaces);
    expect(marketplace).toMatch(/^linker-[0-9a-f]{8}$/);
    expect(settings.extraKnownMarketplaces[marketplace]).toEqual({ source: { source: "directory", path: pluginDir } });
    expect(settings.enabledPlugins).toEqual({ [`linker@${marketplace}`]: true });
    expect(readJson(join(pluginDir, ".claude-plugin", "marketplace.json"))).toMatchObject({ name: marketplace, plugins: [{ name: "linker", source: "./plugin" }] });
    expect(readJson(join(pluginDir, "plugin", "monitors", "monitors.json"))).toEqual([
      { name: "inbox", command: [process.execPath, LINKER_BIN, ...words, "watch"].join(" "), description: "Linker inbox" },
    ]);
    expect(settings.enabledMcpjsonServers).toEqual(["linker"]);
    expect(settings.permissions).toEqual({ allow: ["mcp__linker"] });
    expect(first.stdout).toContain(".mcp.json:\n  added mcpServers.linker (stdio: ");
    expect(first.stdout).toContain("  added hooks.UserPromptSubmit (");
    expect(first.stdout).toMatch(/Start Claude Code here: claude {2}\(the session is "shop" on Linker\)\n$/);
    // One line per push path: the monitor and the drain by default.
    expect(first.stdout).toMatch(/^ {2}monitor {3}on {3}the plugin's monitor/m);
    expect(first.stdout).toMatch(/^ {2}drain {5}on /m);
    expect(first.stdout).toMatch(/^ {2}rewake {4}off /m);
    expect(first.stdout).toMatch(/^ {2}bridge {4}off /m);

    const again = await init(["--hub", "http://127.0.0.1:4000", "init"]);
    expect(again.stdout).toMatch(/^\.mcp\.json: unchanged\n\.claude\/settings\.json: unchanged\n\.claude\/linker-plugin: unchanged\nHow a message/);
  });

  it("merges into existing files, keeping what is not Linker's and replacing an older Linker hook", async () => {
    const { project, init } = setUp("api");
    writeFileSync(join(project, ".mcp.json"), JSON.stringify({ mcpServers: { other: { command: "other-server" } } }));
    mkdirSync(join(project, ".claude"));
    writeFileSync(
      join(project, ".claude", "settings.json"),
      JSON.stringify({
        model: "opus",
        permissions: { allow: ["Bash(npm test)"] },
        hooks: { PostToolUse: [{ matcher: "Edit", hooks: [{ type: "command", command: "prettier --write" }, { type: "command", command: "node /old/linker/bin/linker.js hook" }] }] },
      }),
    );
    const run = await init(["--json", "init"]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { files: Array<{ path: string; changes: string[] }> };
    expect(report.files[1].changes.some((change) => change.startsWith("replaced hooks.PostToolUse"))).toBe(true);
    expect(readJson(join(project, ".mcp.json")).mcpServers.other).toEqual({ command: "other-server" });
    const settings = readJson(join(project, ".claude", "settings.json"));
    expect(settings.model).toBe("opus");
    expect(settings.permissions.allow).toEqual(["Bash(npm test)", "mcp__linker"]);
    expect(settings.hooks.PostToolUse).toEqual([
      { matcher: "Edit", hooks: [{ type: "command", command: "prettier --write" }] },
      { matcher: "*", hooks: [{ type: "command", command: `${process.execPath} ${LINKER_BIN} --name api hook` }] },
    ]);
  });

  it("with --user configures every project, each acting as its own folder's name", async () => {
    const { home, project, init } = setUp();
    const run = await init(["init", "--user"]);
    expect(run.code, run.stderr).toBe(0);
    expect(readJson(join(home, ".claude.json")).mcpServers.linker).toEqual({ command: process.execPath, args: [LINKER_BIN, "mcp"] });
    const settings = readJson(join(home, ".claude", "settings.json"));
    expect(settings.hooks.UserPromptSubmit[0].hooks[0].command).toBe(`${process.execPath} ${LINKER_BIN} hook`);
    expect(settings.enabledMcpjsonServers).toBeUndefined();
    // The monitor plugin lives with the user's settings; its watch acts as each project's folder name.
    const pluginDir = join(home, ".claude", "linker-plugin");
    expect(Object.values(settings.extraKnownMarketplaces)).toEqual([{ source: { source: "directory", path: pluginDir } }]);
    expect(readJson(join(pluginDir, "plugin", "monitors", "monitors.json"))[0].command).toBe(`${process.execPath} ${LINKER_BIN} watch`);
    expect(run.stdout).toContain("~/.claude/linker-plugin:");
    expect(run.stdout).toContain("~/.claude.json:");
    expect(() => readFileSync(join(project, ".mcp.json"))).toThrow();
  });

  it("with --http points the server at a remote hub's /mcp endpoint over TLS, trusting its CA, and the hook at its /mcp/hook", async () => {
    const { project, init } = setUp("container-app");
    const ca = join(project, "hub-ca.pem");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    const run = await init(["--ca", ca, "--name", "api-container", "init", "--http", "https://host.docker.internal:3847"]);
    expect(run.code, run.stderr).toBe(0);
    expect(readJson(join(project, ".mcp.json")).mcpServers.linker).toEqual({
      type: "http",
      url: "https://host.docker.internal:3847/mcp",
      headers: { "X-Linker-Name": "api-container", Authorization: "Bearer ${LINKER_KEY}" },
    });
    const settings = readJson(join(project, ".claude", "settings.json"));
    expect(settings.env).toEqual({ NODE_EXTRA_CA_CERTS: ca });
    const hook = settings.hooks.UserPromptSubmit[0].hooks[0].command as string;
    expect(hook).toBe(`${process.execPath} ${LINKER_BIN} --name api-container --ca ${ca} hook --http https://host.docker.internal:3847`);
    expect(run.stdout).toContain(`added env.NODE_EXTRA_CA_CERTS ${ca}`);
    // The agent key never goes in clear text beyond this machine; a hub on it may be reached over http://.
    const cleartext = await init(["--name", "api-container", "init", "--http", "http://host.docker.internal:3847"]);
    expect(cleartext.code).toBe(1);
    expect(cleartext.stderr).toContain("would send the agent key in clear text to host.docker.internal:3847; nothing was changed");
    expect(cleartext.stderr).toContain("--tls-self-signed");
    expect(readJson(join(project, ".mcp.json")).mcpServers.linker.url).toBe("https://host.docker.internal:3847/mcp");
    const local = await init(["--name", "api-container", "init", "--http", "http://127.0.0.1:3847"]);
    expect(local.code, local.stderr).toBe(0);
    const refused = await init(["init", "--user", "--http", "https://host.docker.internal:3847"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("needs a fixed --name");
  });

  it("shows what it would change with --dry-run, and how to start with channels", async () => {
    const { project, init } = setUp();
    const run = await init(["init", "--dry-run", "--channels"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("  would have added mcpServers.linker");
    expect(run.stdout).toContain("claude --dangerously-load-development-channels server:linker");
    expect(() => readFileSync(join(project, ".mcp.json"))).toThrow();
  });

  it("refuses a settings file that is not JSON, changing nothing", async () => {
    const { project, init } = setUp();
    mkdirSync(join(project, ".claude"));
    writeFileSync(join(project, ".claude", "settings.json"), "{ broken");
    const run = await init(["init"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/settings\.json is not a JSON object; nothing was changed/);
    expect(() => readFileSync(join(project, ".mcp.json"))).toThrow();
  });

  it("switches between the monitor and the rewake hooks, removing what the other wrote and keeping other hooks", async () => {
    const { project, init } = setUp("waker");
    mkdirSync(join(project, ".claude"));
    writeFileSync(join(project, ".claude", "settings.json"), JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: "command", command: "say done" }] }] } }));
    const rewake = await init(["init", "--rewake"]);
    expect(rewake.code, rewake.stderr).toBe(0);
    let settings = readJson(join(project, ".claude", "settings.json"));
    const hook = `${process.execPath} ${LINKER_BIN} --name waker hook`;
    const waiter = { type: "command", command: `${hook} --rewake --wait-seconds 3600`, asyncRewake: true, timeout: 3660, rewakeMessage: expect.stringContaining("Linker woke this session"), rewakeSummary: "Linker message" };
    expect(settings.hooks.SessionStart).toEqual([{ hooks: [waiter] }]);
    expect(settings.hooks.Stop).toEqual([{ hooks: [{ type: "command", command: "say done" }] }, { hooks: [{ type: "command", command: hook }, waiter] }]);
    expect(settings.enabledPlugins).toBeUndefined();
    expect(rewake.stdout).toMatch(/^ {2}monitor {3}off /m);
    expect(existsSync(join(project, ".claude", "linker-plugin"))).toBe(false);
    expect(rewake.stdout).toMatch(/^ {2}rewake {4}on /m);

    const monitor = await init(["init", "--no-drain"]);
    expect(monitor.code, monitor.stderr).toBe(0);
    settings = readJson(join(project, ".claude", "settings.json"));
    expect(settings.hooks.SessionStart).toBeUndefined();
    expect(settings.hooks.Stop).toEqual([{ hooks: [{ type: "command", command: "say done" }] }]);
    expect(Object.keys(settings.enabledPlugins)).toEqual([expect.stringMatching(/^linker@linker-[0-9a-f]{8}$/)]);
    expect(monitor.stdout).toContain("removed Linker's hooks.SessionStart");
    expect(existsSync(join(project, ".claude", "linker-plugin", "plugin", "monitors", "monitors.json"))).toBe(true);

    // Turned off again, the plugin's files go; a file of the user's in that folder stays.
    writeFileSync(join(project, ".claude", "linker-plugin", "NOTES.md"), "mine");
    const off = await init(["init", "--no-monitor"]);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain("  removed plugin/monitors/monitors.json (the monitor is off)");
    expect(readdirSync(join(project, ".claude", "linker-plugin"))).toEqual(["NOTES.md"]);
    expect(readJson(join(project, ".claude", "settings.json")).enabledPlugins).toBeUndefined();
  });

  it("writes the bridge into the monitor's command, and refuses combinations that cannot work", async () => {
    const { project, init } = setUp("bridged");
    const run = await init(["init", "--bridge"]);
    expect(run.code, run.stderr).toBe(0);
    const monitors = readJson(join(project, ".claude", "linker-plugin", "plugin", "monitors", "monitors.json"));
    expect(monitors[0].command).toBe(`${process.execPath} ${LINKER_BIN} --name bridged watch --bridge`);
    expect(run.stdout).toMatch(/^ {2}bridge {4}on /m);
    for (const args of [["--bridge", "--rewake"], ["--bridge", "--no-monitor"], ["--wait-seconds", "60"], ["--rewake", "--http", "http://h:1"]]) {
      const refused = await init(["init", ...args]);
      expect(refused.code, args.join(" ")).toBe(1);
      expect(refused.stderr).toMatch(/--bridge|--wait-seconds|--rewake/);
    }
  });

  it("recognizes its own hook commands and no others", () => {
    expect(isLinkerHookCommand("linker hook")).toBe(true);
    expect(isLinkerHookCommand("/usr/bin/node /x/bin/linker.js --name a --hub http://h hook")).toBe(true);
    expect(isLinkerHookCommand("'/my dir/bin/linker.js' hook --peek")).toBe(true);
    expect(isLinkerHookCommand("prettier --write")).toBe(false);
    expect(isLinkerHookCommand("linker send bob hook")).toBe(false);
    expect(mergeSettings({}, { hookCommand: "linker hook", drain: false, approveProjectServer: false }).changes).toHaveLength(3);
  });
});
