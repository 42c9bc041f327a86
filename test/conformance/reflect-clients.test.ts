import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImplementation } from "../../conformance/runner/build-implementation.js";
import { ClientProcess, ServerProcess } from "../../conformance/runner/child-process.js";
import { loadImplementations } from "../../conformance/runner/implementations.js";
import { loadSuite } from "../../conformance/runner/suite-loader.js";
import {
  ClientCompatRequestSchema,
  Code,
  Protocol,
  ReflectInstructionSchema,
  type ReflectOutcome,
} from "@linker/protocol/gen/linker/conformance/v1/client_compat_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";

// The reflection cases pass only if a client really asks the hub; these prove
// the other side: each client under test reports what it cannot get by
// reflection instead of falling back to its compiled stubs.

const ROOT = resolve(import.meta.dirname, "../..");
const config = loadImplementations(join(ROOT, "conformance/implementations.yaml"));
const clients = config.implementations.filter((impl) => impl.mode === "client");
const logDir = mkdtempSync(join(tmpdir(), "linker-reflect-clients-"));

let hub: ServerProcess;
/** A gRPC server with LinkerService (every method unimplemented) and no reflection. */
let bare: http2.Http2Server;
let bareUrl: string;
const bareSessions = new Set<http2.ServerHttp2Session>();

beforeAll(async () => {
  for (const impl of clients) await buildImplementation(impl, ROOT, join(logDir, `${impl.name}-build.log`));
  const suite = loadSuite(join(ROOT, "conformance/suite.yaml"), join(ROOT, "conformance/cases"));
  hub = await ServerProcess.start(
    { command: config.referenceHub, cwd: ROOT, logFile: join(logDir, "hub.log") },
    suite.hubSettings!,
  );
  bare = http2.createServer(connectNodeAdapter({ routes: (router) => router.service(LinkerService, {}) }));
  bare.on("session", (session) => {
    bareSessions.add(session);
    session.once("close", () => bareSessions.delete(session));
  });
  await new Promise<void>((done) => bare.listen(0, "127.0.0.1", done));
  bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
}, 300_000);

afterAll(async () => {
  await hub?.stop();
  for (const session of bareSessions) session.destroy();
  await new Promise((done) => bare?.close(done));
  rmSync(logDir, { recursive: true, force: true });
});

async function reflect(client: ClientProcess, hubUrl: string, instruction: MessageInitShape<typeof ReflectInstructionSchema>): Promise<ReflectOutcome> {
  const response = await client.execute(
    create(ClientCompatRequestSchema, {
      testName: "reflect-clients",
      hubUrl,
      protocol: Protocol.GRPC,
      instruction: { case: "reflect", value: create(ReflectInstructionSchema, { agent: "nobody", timeoutMs: 5_000, ...instruction }) },
    }),
  );
  if (response.result.case !== "reflection") throw new Error(`answered ${response.result.case}: ${String(response.result.value)}`);
  return response.result.value;
}

describe.each(clients.map((impl) => [impl.name, impl] as const))("the %s client's reflect", (name, impl) => {
  let client: ClientProcess;
  beforeAll(() => {
    client = new ClientProcess({ command: impl.command, env: impl.env, cwd: ROOT, logFile: join(logDir, `${name}-client.log`) });
  });
  afterAll(() => client.close());

  it("fails with the status of the reflection stream when the server has no reflection", async () => {
    const outcome = await reflect(client, bareUrl, { method: "linker.v1.LinkerService/ListInstances", requestJson: "{}" });
    expect(outcome.result.case).toBe("error");
    const error = outcome.result.value as { code: Code; message: string };
    expect(error.code).toBe(Code.UNIMPLEMENTED);
    expect(error.message).toMatch(/^reflection: /);
    expect(outcome.services).toEqual([]);
  });

  it("fails when the hub does not list the service, and names what it does list", async () => {
    const outcome = await reflect(client, hub.url(), { method: "linker.v1.NoSuchService/Send", requestJson: "{}" });
    expect(outcome.result).toMatchObject({ case: "failure", value: expect.stringContaining("does not list linker.v1.NoSuchService") });
    expect(outcome.services).toContain("linker.v1.LinkerService");
  });

  it("fails when the JSON does not fit the input type it found by reflection", async () => {
    const outcome = await reflect(client, hub.url(), { method: "linker.v1.LinkerService/Send", requestJson: '{"recipientt": "x"}' });
    expect(outcome.result).toMatchObject({ case: "failure", value: expect.stringContaining("JSON is not a linker.v1.SendRequest") });
    expect(outcome).toMatchObject({ inputType: "linker.v1.SendRequest", outputType: "linker.v1.SendResponse" });
  });

  it("registers from JSON and prints the response as protobuf JSON", async () => {
    const outcome = await reflect(client, hub.url(), {
      method: "linker.v1.LinkerService/Register",
      requestJson: JSON.stringify({ name: `reflect-${name}-${process.pid}`, labels: { via: "reflection" } }),
    });
    expect(outcome.result.case).toBe("responseJson");
    const json = JSON.parse(outcome.result.value as string) as { sessionToken?: string; instance?: { name?: string; labels?: object } };
    expect(json.sessionToken).toMatch(/./);
    expect(json.instance).toMatchObject({ name: `reflect-${name}-${process.pid}`, labels: { via: "reflection" } });
  });
});
