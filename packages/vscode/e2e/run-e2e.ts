import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { hubStarter, LinkerClient, MemorySessionStore, probeHub } from "@linker/client";
import { createLogger } from "@linker/hub";
import { bundleSuite } from "../bundle.js";
import { packageVsix } from "../package-vsix.js";
import { type CodeServer, installExtension, startCodeServer } from "./code-server.js";
import { type DriverRequest, E2E_CONFIG_ENV, type E2eConfig } from "./e2e-config.js";
import { Peer } from "./peer.js";
import { PEER_TASK_TITLE } from "./peer-protocol.js";
import { createWorkspace, writeFakeClaude } from "./workspace-fixture.js";

const REPO = resolve(import.meta.dirname, "../../..");
const SCREENSHOT = join(REPO, "docs", "vscode-sidebar.png");
const EXTENSION_ID = "linker.claude-team";
const WINDOW_NAME = "vscode-e2e";
const PEER_NAME = "peer-cli";
const OFFLINE_NAME = "offline-agent";
/** Bound of the whole run inside VS Code. */
const SUITE_TIMEOUT_MS = 240_000;
/** Bound of the takeover after VS Code closes. */
const TAKEOVER_TIMEOUT_MS = 20_000;

function say(text: string): void {
  console.log(`[driver] ${text}`);
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Resolves when `probe` is true (checked every `everyMs`), rejects after `timeoutMs`. */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, everyMs));
  }
}

/** Completes a task the way a user does: hover its row in the Tasks view, click the inline action, type the result. */
async function completeTaskInView(page: Page, title: string, result: string): Promise<void> {
  const row = page.locator(".monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible", timeout: 15_000 });
  await row.hover();
  await row.locator('.action-label[aria-label^="Complete Task"]').click({ timeout: 10_000 });
  const input = page.locator(".quick-input-widget input.input").first();
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(result);
  await input.press("Enter");
}

/** Serves the suite's requests (request-N.json → response-N.json) until `done` settles. */
async function serveRequests(signalDir: string, page: Page, shotPath: string, done: Promise<unknown>): Promise<void> {
  const handled = new Set<string>();
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    for (const file of await readdir(signalDir)) {
      const match = /^request-(\d+)\.json$/.exec(file);
      if (!match || handled.has(file)) continue;
      handled.add(file);
      const request = JSON.parse(await readFile(join(signalDir, file), "utf8")) as DriverRequest;
      say(`suite asks: ${request.kind}`);
      let answer: { ok: boolean; error?: string } = { ok: true };
      try {
        if (request.kind === "screenshot") {
          await page.locator(".statusbar-item", { hasText: "Linker: hub" }).first().waitFor({ state: "visible", timeout: 10_000 });
          await page.locator(".monaco-list-row", { hasText: PEER_TASK_TITLE }).first().waitFor({ state: "visible", timeout: 10_000 });
          const sidebar = await page.locator(".part.sidebar").boundingBox();
          if (sidebar) {
            const edge = { x: sidebar.x + sidebar.width + 1, y: sidebar.y + sidebar.height / 2 };
            await page.mouse.move(edge.x, edge.y);
            await page.mouse.down();
            await page.mouse.move(sidebar.x + 560, edge.y, { steps: 5 });
            await page.mouse.up();
          }
          await page.mouse.move(1100, 120);
          await page.locator(".notification-toast").first().waitFor({ state: "detached", timeout: 10_000 });
          await page.screenshot({ path: shotPath, type: "png" });
        } else if (request.kind === "complete-task") {
          await completeTaskInView(page, request.title, request.result);
        }
      } catch (err) {
        answer = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      await writeFile(join(signalDir, `response-${match[1]}.json`), JSON.stringify(answer));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const root = await mkdtemp(join(tmpdir(), "linker-vscode-e2e-"));
  const dirs = {
    home: join(root, "home"),
    userDataDir: join(root, "user-data"),
    extensionsDir: join(root, "extensions"),
    hubData: join(root, "hub"),
    signal: join(root, "signal"),
    browser: join(root, "browser"),
  };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  let server: CodeServer | undefined;
  let browser: BrowserContext | undefined;
  let peer: LinkerClient | undefined;
  let passed = false;
  try {
    say("packaging the .vsix and installing it into code-server");
    const { vsix, bytes } = await packageVsix(join(root, "vsix"));
    say(`${vsix}: ${(bytes / 1024).toFixed(0)} KiB`);
    const manifest = JSON.parse(await readFile(join(import.meta.dirname, "..", "package.json"), "utf8")) as { version: string };
    const extensionDir = await installExtension(dirs, vsix, EXTENSION_ID, manifest.version);
    const suite = await bundleSuite(join(import.meta.dirname, "suite", "index.ts"), join(root, "suite", "index.cjs"));
    const workspace = await createWorkspace(root);
    const fakeClaude = await writeFakeClaude(root);
    const hubPort = await freePort();
    const hubUrl = `http://127.0.0.1:${hubPort}`;
    await mkdir(join(dirs.userDataDir, "User"), { recursive: true });
    await writeFile(
      join(dirs.userDataDir, "User", "settings.json"),
      JSON.stringify(
        {
          "claudeTeam.hubPort": hubPort,
          "claudeTeam.dataDir": dirs.hubData,
          "claudeTeam.windowName": WINDOW_NAME,
          "claudeTeam.autoRespond": true,
          "claudeTeam.useClaudeCli": true,
          "claudeTeam.claudePath": fakeClaude,
          "claudeTeam.claudeTimeoutSeconds": 20,
          "workbench.startupEditor": "none",
          "workbench.tips.enabled": false,
          "workbench.colorTheme": "Default Dark Modern",
          "security.workspace.trust.enabled": false,
          "telemetry.telemetryLevel": "off",
          "extensions.autoCheckUpdates": false,
          "extensions.autoUpdate": false,
          "git.openRepositoryInParentFolders": "never",
          "window.commandCenter": false,
          "chat.commandCenter.enabled": false,
          "workbench.secondarySideBar.defaultVisibility": "hidden",
        },
        null,
        2,
      ),
    );
    const config: E2eConfig = {
      peer: PEER_NAME,
      offlineInstance: OFFLINE_NAME,
      windowName: WINDOW_NAME,
      signalDir: dirs.signal,
      workspaceVersion: workspace.version,
      gitBranch: workspace.branch,
    };
    const configPath = join(root, "e2e-config.json");
    await writeFile(configPath, JSON.stringify(config));

    say("starting code-server 4.100.3");
    const codePort = await freePort();
    server = await startCodeServer({ ...dirs, env: { [E2E_CONFIG_ENV]: configPath, LINKER_HOME: dirs.hubData, LINKER_LOG_LEVEL: "info" } }, codePort);

    say("opening VS Code in headless Chromium with the extension's test suite");
    browser = await chromium.launchPersistentContext(dirs.browser, {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      headless: true,
      viewport: { width: 1360, height: 780 },
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    let exitCode: (code: number) => void = () => {};
    const exited = new Promise<number>((done) => (exitCode = done));
    await page.exposeFunction("codeAutomationLog", (type: string, args: unknown[]) => {
      const text = args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" ");
      if (/\[e2e\]|Error|error|fail/i.test(text)) console.log(`[vscode ${type}] ${text}`);
    });
    await page.exposeFunction("codeAutomationExit", (code: number) => exitCode(code));
    const remote = (path: string) => `vscode-remote://${server!.authority}${path}`;
    const payload = JSON.stringify([
      ["extensionDevelopmentPath", remote(extensionDir)],
      ["extensionTestsPath", remote(suite)],
    ]);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace.path)}&payload=${encodeURIComponent(payload)}`);

    say(`waiting for the VS Code window to host the hub at ${hubUrl}`);
    await until("the hub hosted by VS Code", async () => (await probeHub(hubUrl, 500)) === "serving", 60_000);

    const offline = await LinkerClient.connect({ name: OFFLINE_NAME, hubs: hubUrl, sessions: new MemorySessionStore() });
    await offline.unregister();

    peer = new LinkerClient({
      name: PEER_NAME,
      hubs: hubUrl,
      autoHub: { dataDir: dirs.hubData, maxTakeoverDelayMs: 500, start: hubStarter({ logger: createLogger("warn") }) },
      clientKind: "cli",
      description: "the e2e peer",
    });
    const takeover = new Promise<void>((done) => peer!.on("hub-changed", ({ reason }) => reason === "hosting" && done()));
    const recovered = new Promise<number>((done) => peer!.on("recovered", ({ durationMs, hosting }) => hosting && done(durationMs)));
    const bot = new Peer(peer);
    await peer.connect();
    if (peer.hosting) throw new Error("the peer hosts the hub although VS Code should");
    say("peer connected as a client");

    const timeout = new Promise<number>((_, fail) => setTimeout(() => fail(new Error(`the suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s`)), SUITE_TIMEOUT_MS).unref());
    const outcome = Promise.race([exited, timeout]);
    const shotPath = join(root, "vscode-sidebar.png");
    await Promise.all([serveRequests(dirs.signal, page, shotPath, outcome.catch(() => undefined)), outcome]);
    const code = await outcome;
    say(`the suite in VS Code exited with ${code}`);
    if (code !== 0) throw new Error(`the extension test suite failed (exit ${code})`);
    if (bot.record.errors.length > 0) throw new Error(`the peer failed: ${bot.record.errors.join("; ")}`);
    if (!bot.record.completedTasks.some((task) => task.title === PEER_TASK_TITLE)) throw new Error("the peer never saw its task completed");
    const taskId = (await peer.listTasks({})).tasks.find((task) => task.title === PEER_TASK_TITLE)?.id;

    say("VS Code closed: the peer must take the hub over with the state intact");
    await browser.close();
    browser = undefined;
    await server.stop();
    server = undefined;
    await Promise.race([
      takeover,
      new Promise((_, fail) => setTimeout(() => fail(new Error("the peer did not take the hub over")), TAKEOVER_TIMEOUT_MS).unref()),
    ]);
    const durationMs = await Promise.race([recovered, new Promise<number>((done) => setTimeout(() => done(-1), TAKEOVER_TIMEOUT_MS).unref())]);
    const task = taskId ? await peer.getTask({ taskId }) : undefined;
    if (task?.status !== TaskStatus.COMPLETED) throw new Error("after the takeover the completed task is missing");
    say(`the peer now hosts the hub (stream back after ${durationMs} ms); the completed task survived`);

    await mkdir(join(REPO, "docs"), { recursive: true });
    await copyFile(shotPath, SCREENSHOT);
    say(`screenshot saved to ${SCREENSHOT}`);
    passed = true;
  } catch (err) {
    console.error(`[driver] FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    if (server) console.error(`[driver] code-server output (tail):\n${server.output().slice(-4000)}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await peer?.close().catch(() => undefined);
    if (passed || process.env.KEEP_E2E !== "1") await rm(root, { recursive: true, force: true }).catch(() => undefined);
    else say(`kept ${root}`);
  }
  say(`${passed ? "passed" : "failed"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return passed ? 0 : 1;
}

process.exitCode = await main();
