import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LinkerClient, MemorySessionStore } from "@linker/client";
import { HubConnection, type HubConnectionOptions } from "../../packages/vscode/src/hub-connection.js";
import { HubOfflineError } from "../../packages/vscode/src/hub-offline-error.js";
import type { Log } from "../../packages/vscode/src/output-log.js";
import { readSettings, type Settings } from "../../packages/vscode/src/settings.js";
import { startTestHub, tempDir } from "../client/support/hubs.js";
import { fake, workspace } from "./fake-vscode.js";
import { waitFor } from "./wait-for.js";
import { freePort } from "../support/free-port.js";

const cleanup: (() => Promise<unknown>)[] = [];

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };

function connection(settings: Partial<Settings>, options: Partial<HubConnectionOptions> = {}): HubConnection {
  const full = { ...readSettings(workspace.getConfiguration("claudeTeam")), ...settings };
  const created = new HubConnection({
    settings: () => full,
    identity: async () => ({ project: "proj", description: "test window", workspace: { project: "proj" } }),
    log: quiet,
    ...options,
  });
  cleanup.push(() => created.close());
  return created;
}

function modeReached(target: HubConnection, mode: string): Promise<void> {
  return waitFor(`mode ${mode}`, () => target.mode === mode, 15_000).then(() => undefined);
}

beforeEach(() => fake.reset());
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

describe("HubConnection", () => {
  it("hosts the hub in the first window, connects the second, and hands over when the first closes", async () => {
    const hubPort = await freePort();
    const dataDir = tempDir("vscode-election-");
    const first = connection({ hubPort, dataDir, windowName: "first" });
    await first.start();
    expect(first.mode).toBe("hub");
    expect(first.client?.hosting).toBe(true);
    const second = connection({ hubPort, dataDir, windowName: "second" });
    await second.start();
    expect(second.mode).toBe("client");
    await second.require().send({ recipient: "first", body: "before the handover" });

    await first.close();
    await modeReached(second, "hub");
    await second.require().send({ recipient: "first", body: "after the handover" });

    const reopened = connection({ hubPort, dataDir, windowName: "first" });
    await reopened.start();
    expect(reopened.mode).toBe("client");
    const inbox = await reopened.require().listMessages({});
    expect(inbox.messages.map((message) => message.body)).toEqual(["before the handover", "after the handover"]);
  });

  it("takes the next name when another instance holds this one", async () => {
    const hub = await startTestHub();
    cleanup.push(() => hub.close());
    const holder = await LinkerClient.connect({ name: "proj-vscode", hubs: hub.url, sessions: new MemorySessionStore() });
    cleanup.push(() => holder.close());
    const window = connection({ hubUrls: [hub.url], autoHub: false, dataDir: tempDir() });
    await window.start();
    expect(window.name).toBe("proj-vscode-2");
  });

  it("is offline with a clear error when no hub answers, and connects once one does", async () => {
    const hubPort = await freePort();
    const window = connection({ hubPort, autoHub: false }, { retryDelayMs: 100 });
    await window.start();
    expect(window.mode).toBe("offline");
    expect(() => window.require()).toThrow(HubOfflineError);
    expect(() => window.require()).toThrow(/Not connected to a Linker hub at http:\/\/127\.0\.0\.1:\d+.*linker hub/);
    const hub = await startTestHub({ port: hubPort });
    cleanup.push(() => hub.close());
    await modeReached(window, "client");
    expect(window.require().name).toBe("proj-vscode");
  });

  it("connects as a client when this window cannot host the hub", async () => {
    const hub = await startTestHub();
    cleanup.push(() => hub.close());
    const window = connection(
      { hubUrls: [hub.url], dataDir: hub.dataDir },
      {
        createKeeper: async (url) => ({
          url,
          hosting: false,
          ensure: async () => {
            throw new Error("better_sqlite3.node was compiled against a different Node.js version");
          },
          recover: async () => ({ role: "client", url, started: false, replaced: false }),
          close: async () => {},
        }),
      },
    );
    await window.start();
    expect(window.mode).toBe("client");
    expect(window.hostingError).toContain("different Node.js version");
  });
});
