import { readFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, killAll, removeTempDirs, runCli, tempDir } from "../cli/cli-process.js";
import { launchChromium } from "../support/chromium.js";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";

/** An address of this machine that is not loopback: what another machine's browser connects from and to. */
function outwardAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === "IPv4" && !entry.internal) return entry.address;
  }
  throw new Error("this machine has no IPv4 address beyond loopback to reach the hub at");
}

/**
 * The dashboard of a hub other machines reach (TLS, agent keys only, the
 * page served to anyone): a browser that comes from beyond loopback sees
 * nothing until it presents a key, and with an observer key it watches the
 * hub live without registering a name of its own.
 */
describe("the dashboard beyond loopback, in Chromium", { timeout: 120_000 }, () => {
  let hub: HubProcess;
  let browser: BrowserContext;
  let url: string;
  let observerKey: string;
  let ca: string;
  /** The two agents, each acting with its own agent key over TLS. */
  const agents = new Map<string, { agent: Agent; env: Record<string, string> }>();
  const as = (name: string, args: string[]) => {
    const { agent, env } = agents.get(name)!;
    return agent.run(["--ca", ca, ...args], { env });
  };

  beforeAll(async () => {
    hub = await startHubProcess({ args: ["--host", "0.0.0.0", "--auth", "keys", "--tls-self-signed", "--dashboard", "any"] });
    ca = join(hub.dataDir, "tls", "ca.pem");
    const local = hub.url.replace("0.0.0.0", "127.0.0.1");
    const admin = { LINKER_KEY: readFileSync(join(hub.dataDir, "admin.key"), "utf8").trim() };
    const create = async (...args: string[]) => {
      const run = await runCli(["--hub", local, "--ca", ca, "--json", "key", "create", ...args], { home: tempDir("linker-admin-"), env: admin });
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as { secret: string }).secret;
    };
    observerKey = await create("watcher", "--role", "observer");
    for (const name of ["remote-alice", "remote-bob"]) {
      agents.set(name, { agent: new Agent(name, local), env: { LINKER_KEY: await create(name) } });
      const run = await as(name, ["status", `working as ${name}`]);
      expect(run.code, run.stderr).toBe(0);
    }
    const sent = await as("remote-alice", ["send", "remote-bob", "the staging deploy is green"]);
    expect(sent.code, sent.stderr).toBe(0);
    url = `https://${outwardAddress()}:${new URL(hub.url).port}/`;
    // The hub's certificate comes from its own CA, which the browser's throwaway profile does not trust.
    browser = await launchChromium({ ignoreHTTPSErrors: true });
  });

  afterAll(async () => {
    await browser?.close();
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("shows a browser without a key nothing of the hub, and says why", async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByTestId("connection").filter({ hasText: "refused" }).waitFor({ timeout: 15_000 });
    await expect(page.getByTestId("problem").textContent()).resolves.toMatch(/credential|key/i);
    expect(await page.getByTestId("instance-remote-alice").count()).toBe(0);
    await page.close();
  });

  it("with an observer key, watches the hub live and registers no name", async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByRole("button", { name: "settings" }).click();
    await page.locator('input[type="password"]').fill(observerKey);
    await page.getByRole("button", { name: "Apply and reload" }).click();
    await page.getByTestId("connection").filter({ hasText: "live" }).waitFor({ timeout: 15_000 });
    for (const name of ["remote-alice", "remote-bob"]) await page.getByTestId(`instance-${name}`).waitFor();
    await page.getByTestId("feed").locator("li", { hasText: "the staging deploy is green" }).waitFor();
    // A message sent now shows up live.
    expect((await as("remote-bob", ["send", "remote-alice", "thanks, promoting it"])).code).toBe(0);
    await page.getByTestId("feed").locator("li", { hasText: "thanks, promoting it" }).waitFor({ timeout: 5_000 });
    await expect(page.getByTestId("watch-only").textContent()).resolves.toContain("Watching only");
    // The observer is nobody: no overseer instance appeared.
    const listed = await as("remote-bob", ["ls"]);
    expect(listed.stdout).not.toContain("overseer");
    await page.close();
  });
});
