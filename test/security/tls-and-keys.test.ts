import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { createHubTransport } from "../../packages/client/src/index.js";
import { Agent, killAll, removeTempDirs, runCli } from "../cli/cli-process.js";
import { codeOf } from "../support/codes.js";
import { type HubProcess, startHubProcess } from "../support/hub-process.js";
import { tempDir } from "../support/temp-dir.js";

/** Finding 5: one shared secret for everything, in clear text; no per-agent keys, no TLS. */
describe("TLS on the one port, and agent keys over it", { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let ca: string;
  beforeAll(async () => {
    hub = await startHubProcess({ args: ["--tls-self-signed", "--auth", "keys"] });
    ca = join(hub.dataDir, "tls", "ca.pem");
  });
  afterAll(async () => {
    killAll();
    await hub?.stop();
    removeTempDirs();
  });

  it("serves https (HTTP/2 by ALPN and HTTP/1.1) with a CA in the data folder whose fingerprint it printed", async () => {
    expect(hub.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const printed = () => /TLS certificate fingerprint \(SHA-256\): (\S+)/.exec(hub.stdoutText())?.[1];
    await expect.poll(printed).toBe(new X509Certificate(readFileSync(ca)).fingerprint256);
    for (const httpVersion of ["2", "1.1"] as const) {
      const transport = createHubTransport(hub.url, { ca: readFileSync(ca), httpVersion, protocol: "connect" });
      try {
        const health = await createClient(LinkerService, transport.transport).register({ name: "nobody" }).catch((err: unknown) => err);
        expect(health).toMatchObject({ code: Code.Unauthenticated });
      } finally {
        transport.close();
      }
    }
    // Without the CA the certificate is not trusted; cleartext is not spoken on the port.
    const untrusted = createHubTransport(hub.url, { httpVersion: "1.1", protocol: "connect" });
    const refused = await createClient(LinkerService, untrusted.transport).register({ name: "nobody" }).then(() => undefined, (err: unknown) => String(err));
    expect(refused).toMatch(/certificate/i);
    untrusted.close();
    const cleartext = createHubTransport(hub.url.replace("https:", "http:"), { httpVersion: "1.1", protocol: "connect" });
    expect(await codeOf(createClient(LinkerService, cleartext.transport).register({ name: "nobody" }))).not.toBeUndefined();
    cleartext.close();
  });

  it("an admin issues a key on the hub's machine; an agent acts with it over https, and only as its names", async () => {
    const admin = await runCli(["--hub", hub.url, "--ca", ca, "key", "create", "tls-alice"], { home: hub.dataDir });
    expect(admin.code, admin.stderr).toBe(0);
    const secret = /^\s+(lkk_\S+)$/m.exec(admin.stdout)?.[1];
    expect(secret).toBeDefined();

    const alice = new Agent("tls-alice", hub.url);
    const withKey = { env: { LINKER_KEY: secret!, LINKER_CA: ca } };
    expect((await alice.run(["memory", "put", "tls/probe", "ok"], withKey)).code).toBe(0);
    const mallory = new Agent("tls-mallory", hub.url);
    const denied = await mallory.run(["memory", "put", "tls/probe", "taken"], withKey);
    expect(denied.code).toBe(5);
    expect(denied.stderr).toMatch(/does not bind the name "tls-mallory"/);
    const keyless = await new Agent("tls-nokey", hub.url).run(["register"], { env: { LINKER_CA: ca } });
    expect(keyless.code).not.toBe(0);
    expect(keyless.stderr).toMatch(/agent key/);

    const listed = await runCli(["--hub", hub.url, "--ca", ca, "--json", "key", "ls"], { home: hub.dataDir });
    expect(JSON.parse(listed.stdout).keys).toEqual([expect.objectContaining({ label: "tls-alice", names: ["tls-alice"] })]);
    expect(listed.stdout).not.toContain(secret!.slice(17));
  });

  it("linker hook reads what waits from an https:// hub, trusting the CA it is given, and nothing without it", async () => {
    const keyOf = async (name: string) => {
      const created = await runCli(["--hub", hub.url, "--ca", ca, "--json", "key", "create", name], { home: hub.dataDir });
      expect(created.code, created.stderr).toBe(0);
      return (JSON.parse(created.stdout) as { secret: string }).secret;
    };
    const carol = new Agent("tls-carol", hub.url);
    const dave = new Agent("tls-dave", hub.url);
    const asCarol = { LINKER_KEY: await keyOf("tls-carol") };
    expect((await carol.run(["register"], { env: { ...asCarol, LINKER_CA: ca } })).code).toBe(0);
    expect((await dave.run(["send", "tls-carol", "the cert rotated"], { env: { LINKER_KEY: await keyOf("tls-dave"), LINKER_CA: ca } })).code).toBe(0);
    const input = JSON.stringify({ hook_event_name: "UserPromptSubmit", prompt: "anything new?" });
    const untrusted = await carol.run(["hook"], { env: asCarol, input });
    expect([untrusted.code, untrusted.stdout]).toEqual([0, ""]);
    expect(untrusted.stderr).toMatch(/certificate is not trusted here; pass the hub's ca\.pem with --ca or LINKER_CA/);
    const hooked = await carol.run(["--ca", ca, "hook"], { env: asCarol, input });
    expect(hooked.code, hooked.stderr).toBe(0);
    expect(hooked.stdout).toContain("the cert rotated");
  });

  it("a client refuses to send a key or token in clear text to a host beyond loopback, before connecting", async () => {
    const transport = createHubTransport("http://hub.invalid:3847", { httpVersion: "1.1", protocol: "connect" });
    try {
      const client = createClient(LinkerService, transport.transport);
      const refused = await client.heartbeat({}, { headers: { authorization: "Bearer lk_secret" } }).catch((err: unknown) => err);
      expect(refused).toMatchObject({ code: Code.FailedPrecondition });
      expect(String(refused)).toMatch(/refusing to send a credential in clear text to hub.invalid:3847/);
    } finally {
      transport.close();
    }
  });

  it("names the hosts containers reach a wildcard-bound hub by in its certificate, and only loopback names otherwise", async () => {
    const names = (hubProcess: HubProcess) => new X509Certificate(readFileSync(join(hubProcess.dataDir, "tls", "cert.pem"))).subjectAltName ?? "";
    expect(names(hub)).toContain("DNS:localhost");
    expect(names(hub)).not.toContain("host.docker.internal");
    const wide = await startHubProcess({ args: ["--host", "0.0.0.0", "--tls-self-signed", "--auth", "keys"] });
    try {
      for (const name of ["host.docker.internal", "host.containers.internal", "gateway.docker.internal"]) expect(names(wide)).toContain(`DNS:${name}`);
    } finally {
      await wide.stop();
    }
  });

  it("the CA stays across restarts, so clients keep trusting the hub", async () => {
    const dataDir = tempDir("linker-tls-restart-");
    const first = await startHubProcess({ dataDir, args: ["--tls-self-signed"] });
    const before = readFileSync(join(dataDir, "tls", "ca.pem"), "utf8");
    await first.stop();
    const second = await startHubProcess({ dataDir, args: ["--tls-self-signed"] });
    try {
      expect(readFileSync(join(dataDir, "tls", "ca.pem"), "utf8")).toBe(before);
    } finally {
      await second.stop();
    }
  });
});
