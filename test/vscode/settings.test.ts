import { beforeEach, describe, expect, it } from "vitest";
import { instanceNameCandidates, sanitizeInstanceName } from "../../packages/vscode/src/instance-name.js";
import { affectsConnection, hubUrlsOf, readSettings } from "../../packages/vscode/src/settings.js";
import { fake, workspace } from "./fake-vscode.js";

beforeEach(() => fake.reset());

describe("settings", () => {
  it("defaults to the seed's values", () => {
    const settings = readSettings(workspace.getConfiguration("claudeTeam"));
    expect(settings).toMatchObject({ hubPort: 3847, autoRespond: false, windowName: "", shareContext: true, autoHub: true, claudeTimeoutSeconds: 120, hubUrls: [], nodePath: "" });
    expect(hubUrlsOf(settings)).toEqual(["http://127.0.0.1:3847"]);
  });

  it("reads and bounds what is set, and prefers the URL list", () => {
    fake.settings.set("claudeTeam.hubPort", 99_999);
    fake.settings.set("claudeTeam.hubUrls", ["http://10.0.0.2:3847/", " ", 7]);
    fake.settings.set("claudeTeam.askTimeoutSeconds", 500);
    fake.settings.set("claudeTeam.windowName", "  frontend ");
    fake.settings.set("claudeTeam.nodePath", " /opt/node22/bin/node ");
    const settings = readSettings(workspace.getConfiguration("claudeTeam"));
    expect(settings.hubPort).toBe(65_535);
    expect(settings.askTimeoutSeconds).toBe(50);
    expect(settings.windowName).toBe("frontend");
    expect(settings.nodePath).toBe("/opt/node22/bin/node");
    expect(hubUrlsOf(settings)).toEqual(["http://10.0.0.2:3847"]);
  });

  it("knows which changes need a new connection", () => {
    expect(affectsConnection({ affectsConfiguration: (key) => key === "claudeTeam.hubPort" })).toBe(true);
    expect(affectsConnection({ affectsConfiguration: (key) => key === "claudeTeam.nodePath" })).toBe(true);
    expect(affectsConnection({ affectsConfiguration: (key) => key === "claudeTeam.autoRespond" })).toBe(false);
  });
});

describe("instance names", () => {
  it("sanitizes to the hub's name rules", () => {
    expect(sanitizeInstanceName("My Project (v2)!")).toBe("My-Project-v2");
    expect(sanitizeInstanceName("--.x")).toBe("x");
    expect(sanitizeInstanceName("äöü")).toBe("aou");
    expect(sanitizeInstanceName("a".repeat(80))).toHaveLength(64);
  });

  it("uses the window name, else <project>-vscode, then numbered fallbacks", () => {
    expect(instanceNameCandidates("", "billing app", 3)).toEqual(["billing-app-vscode", "billing-app-vscode-2", "billing-app-vscode-3"]);
    expect(instanceNameCandidates("backend", "x", 2)).toEqual(["backend", "backend-2"]);
    expect(instanceNameCandidates("", undefined, 1)).toEqual(["window-vscode"]);
  });
});
