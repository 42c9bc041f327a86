import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HubProcess, LINKER_BIN, startHubProcess } from "../support/hub-process.js";
import { tempDir } from "../support/temp-dir.js";

const run = promisify(execFile);
const INSPECTOR = resolve(import.meta.dirname, "../../node_modules/.bin/mcp-inspector");

/** Runs the MCP Inspector's CLI mode against `linker mcp` and parses its JSON output. */
async function inspect(hubUrl: string, home: string, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(INSPECTOR, ["--cli", process.execPath, LINKER_BIN, "mcp", "--name", "inspected", "--hub", hubUrl, ...args], {
    env: { ...process.env, LINKER_HOME: home, LINKER_LOG_LEVEL: "warn" },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("the MCP Inspector's CLI against linker mcp", () => {
  let hub: HubProcess;
  const home = tempDir("linker-inspector-");
  beforeAll(async () => {
    hub = await startHubProcess();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("lists the tools", async () => {
    const listed = await inspect(hub.url, home, ["--method", "tools/list"]);
    const names = (listed.tools as Array<{ name: string }>).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["linker_send_message", "linker_get_messages", "linker_ask", "linker_memory_put", "linker_task_claim"]));
  });

  it("calls a tool and gets its answer as text only", async () => {
    const result = await inspect(hub.url, home, ["--method", "tools/call", "--tool-name", "linker_memory_put", "--tool-arg", "key=inspector/check", "--tool-arg", "value=ok"]);
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toBeUndefined();
    expect(result.content).toEqual([{ type: "text", text: expect.stringMatching(/^inspector\/check written \(revision \d+\)\.$/) }]);
  });

  it("shows a failing call as an isError result with advice", async () => {
    const result = await inspect(hub.url, home, ["--method", "tools/call", "--tool-name", "linker_send_message", "--tool-arg", "to=nobody", "--tool-arg", "message=hi"]);
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("nobody");
  });

  it("reaches the tools over Streamable HTTP at /mcp on a running linker hub", async () => {
    const { stdout } = await run(INSPECTOR, ["--cli", `${hub.url}/mcp?name=inspected-over-http`, "--transport", "http", "--method", "tools/call", "--tool-name", "linker_list_instances"], {
      timeout: 60_000,
    });
    const result = JSON.parse(stdout) as { isError?: boolean; content: Array<{ type: string; text: string }> };
    expect(result.isError).toBeFalsy();
    expect(result.content[0].text).toMatch(/^online inspected-over-http \(you\)/m);
  });
});
