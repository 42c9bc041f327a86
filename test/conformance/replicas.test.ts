import { createClient } from "@connectrpc/connect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CaseStatus } from "@linker/protocol/gen/linker/conformance/v1/result_pb.js";
import { Protocol } from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { createTsClientExecutor } from "../../conformance/clients/ts/executor.js";
import type { ClientExecutor } from "../../conformance/protocol/client-executor.js";
import { runCase } from "../../conformance/runner/case-runner.js";
import { ServerProcess } from "../../conformance/runner/child-process.js";
import { loadSuite } from "../../conformance/runner/suite-loader.js";
import { bearer, registerAgent, transportFor } from "../support/clients.js";
import { postgresUrl } from "../support/postgres.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SERVER = ["node", "--conditions=linker-source", "--import", "tsx", "conformance/servers/linker-hub.ts"];
const suite = loadSuite(join(ROOT, "conformance/suite.yaml"), join(ROOT, "conformance/cases"));

describe.skipIf(postgresUrl === "")("the conformance server as replicas on one PostgreSQL database", () => {
  let server: ServerProcess;
  const logs = mkdtempSync(join(tmpdir(), "linker-conformance-replicas-"));
  beforeAll(async () => {
    server = await ServerProcess.start(
      { command: [...SERVER, "--replicas=2", `--postgres-url=${postgresUrl}`], cwd: ROOT, logFile: join(logs, "server.log") },
      suite.hubSettings!,
    );
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(logs, { recursive: true, force: true });
  });

  it("answers with two hubs that serve the same data, before and after an abrupt restart of both", { timeout: 60_000 }, async () => {
    const before = server.urls();
    expect(before).toHaveLength(2);
    expect(new Set(before).size).toBe(2);
    const a = await registerAgent((interceptors) => transportFor(before[0], "grpc", interceptors), "replica-a");
    const b = await registerAgent((interceptors) => transportFor(before[1], "grpc", interceptors), "replica-b");
    await b.client.send({ recipient: "replica-a", body: "from the other hub" });
    expect((await a.client.listMessages({})).messages.map((m) => m.body)).toEqual(["from the other hub"]);

    await server.restart(true);
    const after = server.urls();
    expect(after).toHaveLength(2);
    expect(after.filter((url) => before.includes(url))).toEqual([]);
    // A's session and inbox live in the database: the other replica, freshly started, has both.
    const again = createClient(LinkerService, transportFor(after[1], "grpc", [bearer(() => a.token)]));
    expect((await again.listMessages({})).messages.map((m) => m.body)).toEqual(["from the other hub"]);
  });

  it("runs a case with its agents spread over the replicas in the order the case lists them", { timeout: 60_000 }, async () => {
    const reference = createTsClientExecutor();
    const hubOf = new Map<string, Set<string>>();
    const recording: ClientExecutor = {
      execute(request) {
        const { instruction } = request;
        if (instruction.value && "agent" in instruction.value) {
          const agent = instruction.value.agent.slice(instruction.value.agent.lastIndexOf("-") + 1);
          if (!hubOf.has(agent)) hubOf.set(agent, new Set());
          hubOf.get(agent)!.add(request.hubUrl);
        }
        return reference.execute(request);
      },
      close: () => reference.close(),
    };
    const testCase = suite.cases.find((c) => c.name === "publish/reaches-subscriber")!;
    try {
      const result = await runCase(testCase, { executor: recording, hub: server, protocol: Protocol.GRPC, runId: "rtest", index: 0 });
      expect(result.status, JSON.stringify(result.steps.filter((s) => !s.passed))).toBe(CaseStatus.PASSED);
    } finally {
      await recording.close();
    }
    const [first, second] = server.urls();
    expect(Object.fromEntries([...hubOf].map(([agent, urls]) => [agent, [...urls]]))).toEqual({ A: [first], B: [second] });
  });
});
