import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activate, deactivate } from "../../packages/vscode/src/extension.js";
import type { ClaudeTeamApi } from "../../packages/vscode/src/extension-api.js";
import { tempDir } from "../client/support/hubs.js";
import { commands, fake } from "./fake-vscode.js";
import { waitFor } from "./wait-for.js";

let api: ClaudeTeamApi;
let port: number;
const subscriptions: { dispose(): unknown }[] = [];

beforeAll(async () => {
  fake.reset();
  port = await new Promise<number>((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address() as { port: number };
      server.close(() => done(address.port));
    });
  });
  fake.settings.set("claudeTeam.hubPort", port);
  fake.settings.set("claudeTeam.autoHub", false);
  fake.settings.set("claudeTeam.dataDir", tempDir());
  api = await activate({ subscriptions } as never);
  await waitFor("offline", () => api.connection.mode === "offline");
  await expect(api.whenConnected(100)).rejects.toThrow(/not connected after 100 ms \(offline: /);
});

afterAll(async () => {
  await deactivate();
  for (const subscription of subscriptions) subscription.dispose();
});

describe("without a hub", () => {
  it("shows offline in the status bar and the views", () => {
    expect(api.connection.mode).toBe("offline");
    expect(api.statusBar.item.text).toBe("$(debug-disconnect) Linker: offline");
    expect(api.statusBar.item.command).toBe("claudeTeam.showLog");
    expect((api.treeViews.windows as unknown as { message: string }).message).toBe("Offline: showing the last known state.");
  });

  it("answers commands with a clear error and a way to reconnect", async () => {
    expect(await commands.executeCommand("claudeTeam.sendQuery")).toBeUndefined();
    const shown = fake.shown.find((item) => item.level === "error");
    expect(shown?.text).toMatch(new RegExp(`^Send Query: Not connected to a Linker hub at http://127\\.0\\.0\\.1:${port}: .*Start one with \`linker hub\``));
    expect(shown?.buttons).toEqual(["Reconnect", "Show Log"]);
    expect(api.lastError()).toBe(shown?.text);
  });
});
