import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerReflection } from "@linker/protocol/gen/grpc/reflection/v1/reflection_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { HUB_VERSION } from "../../packages/hub/src/observe/hub-observation.js";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";

interface Family {
  name: string;
  type: string;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

interface LogLine {
  level: number;
  msg: string;
  rpc?: string;
  caller?: string;
  code?: string;
  ms?: number;
  event?: string;
}

/**
 * Scrapes /metrics and parses it with the Prometheus project's own Python
 * client parser, which rejects anything malformed.
 */
async function scrape(url: string): Promise<{ text: string; families: Map<string, Family> }> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const parsed = execFileSync("/usr/bin/python3", [new URL("./parse-metrics.py", import.meta.url).pathname], { input: text, encoding: "utf8" });
  const families = JSON.parse(parsed) as Family[];
  return { text, families: new Map(families.map((family) => [family.name, family])) };
}

/** The value of the sample `sample` (default: the family's name, or its _count for histograms) with these labels. */
function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}, sample?: string): number {
  const family = families.get(name);
  const wanted = sample ?? (family?.type === "histogram" ? `${name}_count` : family?.type === "counter" ? `${name}_total` : name);
  const found = family?.samples.find((s) => s.name === wanted && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found?.value ?? 0;
}

function logLines(hub: HubProcess): LogLine[] {
  return hub
    .stderr()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

describe("metrics, health endpoints and the request log of a real hub process", { timeout: 60_000 }, () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({ env: { LINKER_LOG_LEVEL: "debug" } });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it("keeps the hub version equal to its package's", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../packages/hub/package.json", import.meta.url), "utf8")) as { version: string };
    expect(HUB_VERSION).toBe(pkg.version);
  });

  it("answers /healthz and /readyz, and serves /metrics that parse as Prometheus text and move when messages flow", async () => {
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${hub.url}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, "ready\n"]);
    const post = await fetch(`${hub.url}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    // A well-formed agent key the hub never issued: refused with what to do, and the hub keeps serving.
    const stranger = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer lkk_0123456789ab_${"A".repeat(43)}` } });
    expect([stranger.status, await stranger.text()]).toEqual([401, expect.stringContaining("unknown or revoked agent key")]);
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);

    const before = await scrape(hub.url);
    expect(before.families.get("linker_messages_stored")?.type).toBe("counter");
    expect(before.families.get("process_cpu_seconds")).toBeDefined();

    const client = createClient(LinkerService, createConnectTransport({ baseUrl: hub.url, httpVersion: "1.1" }));
    const alice = await client.register({ name: "metrics-alice" });
    const bob = await client.register({ name: "metrics-bob" });
    const asAlice = { headers: { authorization: `Bearer ${alice.sessionToken}` } };
    for (let i = 0; i < 3; i++) await client.send({ recipient: "metrics-bob", body: `m${i}` }, asAlice);
    await client.putMemory({ key: "metrics/k", value: "v" }, asAlice);
    await client.createTask({ title: "metrics task", assignee: "metrics-bob" }, asAlice);
    await client.listMessages({ markRead: true }, { headers: { authorization: `Bearer ${bob.sessionToken}` } });

    // Gauges of instances are counted at most once a second: poll with a deadline.
    let after = await scrape(hub.url);
    for (const deadline = Date.now() + 5_000; value(after.families, "linker_instances", { presence: "offline" }) < 2 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await scrape(hub.url);
    }
    expect(after.families.get("linker_rpc_duration_seconds")?.type).toBe("histogram");
    const stored = (m: Map<string, Family>) => value(m, "linker_messages_stored", { kind: "text", priority: "normal" });
    expect(stored(after.families) - stored(before.families)).toBe(3);
    expect(value(after.families, "linker_messages_read") - value(before.families, "linker_messages_read")).toBe(3);
    expect(value(after.families, "linker_messages_delivered") - value(before.families, "linker_messages_delivered")).toBe(3);
    const sends = (m: Map<string, Family>) => value(m, "linker_rpc_duration_seconds", { method: "Send", code: "ok" });
    expect(sends(after.families) - sends(before.families)).toBe(3);
    expect(value(after.families, "linker_instances", { presence: "offline" })).toBeGreaterThanOrEqual(2);
    expect(value(after.families, "linker_memory_keys")).toBeGreaterThanOrEqual(1);
    expect(value(after.families, "linker_tasks", { status: "pending" })).toBeGreaterThanOrEqual(1);
    expect(value(after.families, "linker_store_transaction_seconds", { outcome: "commit" })).toBeGreaterThan(0);
    expect(value(after.families, "linker_message_delivery_seconds")).toBe(value(after.families, "linker_messages_delivered"));
    expect(value(after.families, "linker_message_delivery_seconds", { le: "+Inf" }, "linker_message_delivery_seconds_bucket")).toBe(
      value(after.families, "linker_message_delivery_seconds"),
    );
  });

  it("counts Ask outcomes, open Subscribe streams and the largest backlogs by instance", async () => {
    const client = createClient(LinkerService, createConnectTransport({ baseUrl: hub.url, httpVersion: "1.1" }));
    const asker = await client.register({ name: "metrics-asker" });
    await client.register({ name: "metrics-sleeper" });
    const asAsker = { headers: { authorization: `Bearer ${asker.sessionToken}` } };
    const before = await scrape(hub.url);
    // Nobody streams as the sleeper: the Ask fails fast with no responders.
    const refused = await client.ask({ recipient: "metrics-sleeper", body: "anyone?" }, asAsker).then(() => undefined, (err: unknown) => ConnectError.from(err));
    expect(refused?.code).toBe(Code.Unavailable);
    for (let i = 0; i < 4; i++) await client.send({ recipient: "metrics-sleeper", body: `b${i}` }, asAsker);
    const stream = new AbortController();
    const subscribed = client.subscribe({}, { ...asAsker, signal: stream.signal });
    const draining = (async () => {
      try {
        for await (const _ of subscribed) void _;
      } catch {
        // Aborted below.
      }
    })();
    // Gauges of the census refresh at most once a second: poll with a deadline.
    const ready = (m: Map<string, Family>) =>
      value(m, "linker_subscribers") >= 1 && value(m, "linker_instance_backlog_messages", { instance: "metrics-sleeper" }) === 4;
    let after = await scrape(hub.url);
    for (const deadline = Date.now() + 5_000; !ready(after.families) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await scrape(hub.url);
    }
    const noResponders = (m: Map<string, Family>) => value(m, "linker_asks", { outcome: "no_responders" });
    expect(noResponders(after.families) - noResponders(before.families)).toBe(1);
    expect(value(after.families, "linker_subscribers")).toBeGreaterThanOrEqual(1);
    expect(value(after.families, "linker_instance_backlog_messages", { instance: "metrics-sleeper" })).toBe(4);
    stream.abort();
    await draining;
  });

  it("logs one debug line per RPC with method, caller, code and duration, security events at info, and never a token or a body", async () => {
    const client = createClient(LinkerService, createConnectTransport({ baseUrl: hub.url, httpVersion: "1.1" }));
    const secretBody = "the launch code is 7731-swordfish";
    const carol = await client.register({ name: "log-carol" });
    const dave = await client.register({ name: "log-dave" });
    const asCarol = { headers: { authorization: `Bearer ${carol.sessionToken}` } };
    await client.send({ recipient: "log-dave", body: secretBody }, asCarol);
    await client.putMemory({ key: "log/secret", value: secretBody }, asCarol);
    const refused = await client.send({ recipient: "nobody-here", body: secretBody }, asCarol).catch((err: unknown) => ConnectError.from(err));
    expect(refused).toBeInstanceOf(ConnectError);
    const stolen = await client.register({ name: "log-carol" }).catch((err: unknown) => ConnectError.from(err));
    expect((stolen as ConnectError).code).toBe(Code.PermissionDenied);
    // ListInstances is an open read now; ListMessages still needs a session.
    const anonymous = await client.listMessages({}).catch((err: unknown) => ConnectError.from(err));
    expect((anonymous as ConnectError).code).toBe(Code.Unauthenticated);

    // A client that closes a reflection stream is a normal disconnect, not an error.
    const reflection = createClient(ServerReflection, createGrpcTransport({ baseUrl: hub.url }));
    const abort = new AbortController();
    const requests = (async function* () {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
      await new Promise((resolve) => abort.signal.addEventListener("abort", resolve));
    })();
    for await (const answer of reflection.serverReflectionInfo(requests, { signal: abort.signal })) {
      expect(answer.messageResponse.case).toBe("listServicesResponse");
      abort.abort();
      break;
    }

    const deadline = Date.now() + 10_000;
    let lines: LogLine[] = [];
    for (;;) {
      lines = logLines(hub);
      if (lines.some((l) => l.rpc?.endsWith("ServerReflectionInfo")) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const rpc = (method: string, caller?: string) => lines.filter((l) => l.msg === "rpc" && l.rpc === `linker.v1.LinkerService/${method}` && l.caller === caller);
    expect(rpc("Send", "log-carol").map((l) => l.code)).toEqual(["ok", "not_found"]);
    expect(rpc("PutMemory", "log-carol").map((l) => l.code)).toEqual(["ok"]);
    expect(rpc("ListMessages").map((l) => l.code)).toContain("unauthenticated");
    for (const line of lines.filter((l) => l.msg === "rpc")) {
      expect(line.level).toBe(20);
      expect(typeof line.ms).toBe("number");
      expect(line.code).toMatch(/^[a-z_]+$/);
    }
    const security = lines.filter((l) => l.event !== undefined && l.level === 30);
    expect(security.map((l) => l.event)).toEqual(expect.arrayContaining(["name_registered", "register_refused", "unauthenticated"]));
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    const text = hub.stderr();
    for (const secret of [carol.sessionToken, dave.sessionToken, secretBody]) expect(text).not.toContain(secret);
  });
});
