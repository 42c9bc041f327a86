import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, killAll, removeTempDirs, tempDir } from "../cli/cli-process.js";
import { launchChromium } from "../support/chromium.js";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";

/**
 * The dashboard in real Chromium against a real `linker hub` process, with
 * real `linker` CLI agents on the other side: what the human does in the
 * browser must reach the agents, and what the agents do must show up live.
 */
describe("the web dashboard in Chromium", { timeout: 120_000 }, () => {
  let hub: HubProcess;
  let browser: BrowserContext;
  let page: Page;
  let alice: Agent;
  let bob: Agent;

  beforeAll(async () => {
    hub = await startHubProcess();
    alice = new Agent("dash-alice", hub.url);
    bob = new Agent("dash-bob", hub.url);
    for (const agent of [alice, bob]) expect((await agent.run(["status", `working as ${agent.name}`])).code).toBe(0);
    browser = await launchChromium({ viewport: { width: 1440, height: 960 } });
    page = await browser.newPage();
    const offsite: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(hub.url)) offsite.push(request.url());
    });
    page.on("pageerror", (err) => console.error("page error:", err.message));
    await page.goto(`${hub.url}/?name=overseer`);
    await page.getByTestId("connection").filter({ hasText: "live" }).waitFor({ timeout: 15_000 });
    await page.getByTestId("instance-dash-alice").waitFor();
    expect(offsite).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("serves the page with a strict content security policy, and registers the human as an online instance", async () => {
    const response = await fetch(`${hub.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(response.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const listed = await alice.run(["ls"]);
    expect(listed.stdout).toMatch(/^overseer\s+online\s/m);
  });

  it("shows an agent's Send in the live feed within a second of the Send returning", async () => {
    const body = `feed probe ${Date.now()}`;
    const sent = await alice.run(["send", "dash-bob", body]);
    expect(sent.code, sent.stderr).toBe(0);
    // Polls the page until the line is there, failing after one second.
    await page.getByTestId("feed").locator("li", { hasText: body }).waitFor({ timeout: 1_000 });
    await expect(page.getByTestId("feed").locator("li", { hasText: body }).textContent()).resolves.toContain("dash-alice → dash-bob");
  });

  it("completes an agent's waiting `linker ask` with the overseer's answer", async () => {
    const asking = alice.spawn(["ask", "overseer", "May I deploy to staging?", "--timeout", "60s"]);
    const question = page.getByTestId("question").filter({ hasText: "May I deploy to staging?" });
    await question.waitFor({ timeout: 15_000 });
    await question.locator("input").fill("Yes, go ahead after the tests pass");
    await question.getByRole("button", { name: "Answer" }).click();
    const result = await asking.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Yes, go ahead after the tests pass");
  });

  it("creates and assigns a task that its assignee sees, and moves tasks on the board where their agents see them", async () => {
    await page.getByTestId("tab-tasks").click();
    const form = page.getByTestId("new-task");
    await form.locator('input[name="title"]').fill("Ship the parser fix");
    await form.locator('select[name="assignee"]').selectOption("dash-bob");
    await form.getByRole("button", { name: "Create and assign" }).click();
    const assigned = await pollJson(bob, ["task", "ls", "--mine"], (r: { tasks: Array<{ title: string; status: string }> }) =>
      r.tasks.find((t) => t.title === "Ship the parser fix"),
    );
    expect(assigned.status).toBe("TASK_STATUS_PENDING");

    // The overseer assigned it, so it may cancel it: drag the card to the canceled column.
    const card = page.getByTestId("task-Ship the parser fix");
    await card.dragTo(page.getByTestId("column-canceled"));
    const canceled = await pollJson(bob, ["task", "ls", "--mine"], (r: { tasks: Array<{ title: string; status: string }> }) =>
      r.tasks.find((t) => t.title === "Ship the parser fix" && t.status === "TASK_STATUS_CANCELED"),
    );
    expect(canceled.status).toBe("TASK_STATUS_CANCELED");

    // A task an agent hands to the overseer moves forward with the board's buttons.
    expect((await alice.run(["task", "create", "Review the API design", "--assign", "overseer"])).code).toBe(0);
    const review = page.getByTestId("task-Review the API design");
    await review.getByTestId("move-start").click();
    await page.getByTestId("column-in-progress").getByTestId("task-Review the API design").waitFor();
    await page.getByTestId("column-in-progress").getByTestId("task-Review the API design").getByTestId("move-complete").click();
    const done = await pollJson(alice, ["task", "ls", "--by-me"], (r: { tasks: Array<{ title: string; status: string }> }) =>
      r.tasks.find((t) => t.title === "Review the API design" && t.status === "TASK_STATUS_COMPLETED"),
    );
    expect(done.status).toBe("TASK_STATUS_COMPLETED");
  });

  it("shows the conflict when a memory edit loses the compare-and-set race to an agent", async () => {
    const first = await alice.json<{ revision: string }>(["memory", "put", "design/api", "v1: REST"]);
    await page.getByTestId("tab-memory").click();
    await page.getByTestId("memory-design/api").click();
    await page.getByTestId("memory-detail").getByText(`revision ${first.revision}`, { exact: false }).waitFor();
    await page.getByTestId("memory-edit").click();
    await page.getByTestId("memory-editor").locator("textarea").fill("v2: gRPC (from the overseer)");
    // Meanwhile an agent writes the key.
    const theirs = await bob.json<{ revision: string }>(["memory", "put", "design/api", "v2: GraphQL (from bob)"]);
    await page.getByTestId("memory-stale").waitFor({ timeout: 5_000 });
    await page.getByTestId("memory-editor").getByRole("button", { name: "Save (compare-and-set)" }).click();
    const conflict = page.getByTestId("memory-conflict");
    await conflict.waitFor({ timeout: 5_000 });
    await expect(page.getByTestId("conflict-current").textContent()).resolves.toBe(theirs.revision);
    const kept = await alice.json<{ value: string; revision: string }>(["memory", "get", "design/api"]);
    expect(kept).toMatchObject({ value: "v2: GraphQL (from bob)", revision: theirs.revision });
  });

  it("pages a conversation between two agents and saves a screenshot", async () => {
    expect((await bob.run(["send", "dash-alice", "PR 12 looks good, one nit in the lexer"])).code).toBe(0);
    await page.getByTestId("tab-conversations").click();
    await page.getByTestId("pair-dash-alice-dash-bob").click();
    await page.getByTestId("conversation").getByText("PR 12 looks good, one nit in the lexer").waitFor();
    await page.getByTestId("tab-tasks").click();
    await page.getByTestId("stat-delivered").waitFor();
    const path = process.env.DASHBOARD_SCREENSHOT ?? join(tempDir("linker-screenshot-"), "dashboard.png");
    await page.screenshot({ path, fullPage: true });
    expect(existsSync(path) && statSync(path).size).toBeGreaterThan(10_000);
  });
});

/** Runs `linker --json <args>` until `pick` finds something in its output, for at most 10 s. */
async function pollJson<R, T>(agent: Agent, args: string[], pick: (result: R) => T | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = pick(await agent.json<R>(args));
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`linker ${args.join(" ")} never showed what was expected`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
