import { describe, expect, it } from "vitest";
import { chooseHostingPath, type ClientLogger, type HostedHub, type HostingCandidate, HostingUnavailableError, NoHostingPathError } from "@linker/client";

const site = { host: "127.0.0.1", port: 47320, dataDir: "/tmp/vscode-unused" };

function logger(): ClientLogger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (_details: object, message?: string) => lines.push(`${level}: ${message ?? ""}`);
  return { lines, debug: add("debug"), info: add("info"), warn: add("warn"), error: add("error") };
}

/** A candidate that fails with `reason` (or EADDRINUSE), or starts a fake hub; counts its tries. */
function candidate(label: string, outcome: string | "EADDRINUSE" | HostedHub, permanent = false): HostingCandidate & { tries: number } {
  const entry = {
    label,
    permanent,
    tries: 0,
    start: async () => {
      entry.tries += 1;
      if (outcome === "EADDRINUSE") throw Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" });
      if (typeof outcome === "string") throw new Error(outcome);
      return outcome;
    },
  };
  return entry;
}

const hub = (description?: string): HostedHub => ({ url: `http://127.0.0.1:${site.port}`, description, close: async () => {} });

describe("chooseHostingPath", () => {
  it("hosts through the first path that works and says in one line which and why the others were passed over", async () => {
    const log = logger();
    const inProcess = candidate("in the extension host", "The module better_sqlite3.node was compiled against a different Node.js version", true);
    const vscodeRuntime = candidate("VS Code's runtime (/opt/code/code)", "Node v20.18.3 (Electron 34.5.1): node:sqlite is missing");
    const onPath = candidate("node on PATH (/usr/local/bin/node)", hub("in a child process (/usr/local/bin/node, Node v22.13.0, node:sqlite (SQLite 3.47.2), pid 42)"));
    const paths = chooseHostingPath(() => [inProcess, vscodeRuntime, onPath], { logger: log });
    const started = await paths.start(site);
    expect(started.description).toContain("Node v22.13.0");
    expect(log.lines).toEqual([
      "info: hosting the hub in a child process (/usr/local/bin/node, Node v22.13.0, node:sqlite (SQLite 3.47.2), pid 42)" +
        " — not in the extension host: The module better_sqlite3.node was compiled against a different Node.js version" +
        "; not VS Code's runtime (/opt/code/code): Node v20.18.3 (Electron 34.5.1): node:sqlite is missing",
    ]);
    expect(paths.chosen()).toEqual({
      label: "node on PATH (/usr/local/bin/node)",
      description: started.description,
      passedOver: [
        "in the extension host: The module better_sqlite3.node was compiled against a different Node.js version",
        "VS Code's runtime (/opt/code/code): Node v20.18.3 (Electron 34.5.1): node:sqlite is missing",
      ],
    });
  });

  it("keeps the chosen path for the next election and tries nothing before it", async () => {
    const inProcess = candidate("in the extension host", "no addon", true);
    const child = candidate("node on PATH", hub());
    const paths = chooseHostingPath(() => [inProcess, child]);
    await paths.start(site);
    await paths.start(site);
    expect([inProcess.tries, child.tries]).toEqual([1, 2]);
  });

  it("stops at EADDRINUSE: another process serves the port, so the election connects to it", async () => {
    const first = candidate("in the extension host", "EADDRINUSE");
    const second = candidate("node on PATH", hub());
    const paths = chooseHostingPath(() => [first, second]);
    await expect(paths.start(site)).rejects.toMatchObject({ code: "EADDRINUSE" });
    expect(second.tries).toBe(0);
    expect(paths.chosen()).toBeUndefined();
  });

  it("does not try a permanently failed path again, but retries the others", async () => {
    const inProcess = candidate("in the extension host", "no addon", true);
    const onPath = candidate("node on PATH", "no node executable on PATH");
    const paths = chooseHostingPath(() => [inProcess, onPath]);
    await expect(paths.start(site)).rejects.toBeInstanceOf(NoHostingPathError);
    const again = (await paths.start(site).catch((err: unknown) => err)) as NoHostingPathError;
    expect([inProcess.tries, onPath.tries]).toEqual([1, 2]);
    expect(again.reasons).toEqual(["in the extension host: no addon", "node on PATH: no node executable on PATH"]);
  });

  it("chooses again when the path in use stops working", async () => {
    const log = logger();
    let nodeWorks = true;
    const configured: HostingCandidate = {
      label: "claudeTeam.nodePath (/opt/node22/bin/node)",
      start: async () => {
        if (!nodeWorks) throw new Error("/opt/node22/bin/node cannot run the hub: not found");
        return hub("in a child process (/opt/node22/bin/node)");
      },
    };
    const onPath = candidate("node on PATH (/usr/bin/node)", hub("in a child process (/usr/bin/node)"));
    const paths = chooseHostingPath(() => [configured, onPath], { logger: log });
    await paths.start(site);
    nodeWorks = false;
    const next = await paths.start(site);
    expect(next.description).toBe("in a child process (/usr/bin/node)");
    expect(paths.chosen()?.label).toBe("node on PATH (/usr/bin/node)");
    expect(log.lines[1]).toBe("warn: the hosting path in use failed; choosing again");
    expect(log.lines[2]).toContain("not claudeTeam.nodePath (/opt/node22/bin/node): /opt/node22/bin/node cannot run the hub: not found");
  });

  it("fails with every reason and the advice when no path works", async () => {
    const paths = chooseHostingPath(
      () => [
        candidate("in the extension host", "Cannot find module 'better-sqlite3'", true),
        candidate("VS Code's runtime (/usr/bin/node)", "Node v20.19.0: node:sqlite is missing; the hub needs Node 22.13 or newer"),
        candidate("node on PATH", "no node executable on PATH"),
      ],
      { advice: "Install Node.js 22.13 or newer" },
    );
    const err = await paths.start(site).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoHostingPathError);
    expect(err).toBeInstanceOf(HostingUnavailableError);
    expect((err as Error).message).toBe(
      "no way to host the Linker hub here: in the extension host: Cannot find module 'better-sqlite3'" +
        "; VS Code's runtime (/usr/bin/node): Node v20.19.0: node:sqlite is missing; the hub needs Node 22.13 or newer" +
        "; node on PATH: no node executable on PATH. Install Node.js 22.13 or newer",
    );
  });

  it("names the cause of a hub package that does not load, not the wrapper", async () => {
    const wrapped: HostingCandidate = {
      label: "in the extension host",
      start: async () => {
        throw new HostingUnavailableError(new Error("Cannot find module 'better-sqlite3'\nRequire stack:\n- /ext/dist/extension.cjs"));
      },
    };
    const err = (await chooseHostingPath(() => [wrapped]).start(site).catch((e: unknown) => e)) as NoHostingPathError;
    expect(err.reasons).toEqual(["in the extension host: Cannot find module 'better-sqlite3'"]);
  });
});
