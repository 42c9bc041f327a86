import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { bearer, registerAgent, transportFor } from "../support/clients.js";
import { codeName, connectErrorOf, killAll, launchHub, PROTOCOLS, removeTempDirs, spawnHub, transports } from "./harness.js";

/** A secret distinctive enough to find in logs if it leaked. */
const SECRET = "e2e-hub-secret-7f3c9a";

/** Sends `Authorization: Bearer <value>` on Register only. */
function registerBearer(value: string): Interceptor {
  return (next) => (req) => {
    if (req.method.name === LinkerService.method.register.name) req.header.set("authorization", `Bearer ${value}`);
    return next(req);
  };
}

describe("hub start-up", () => {
  afterEach(() => killAll());
  afterAll(removeTempDirs);

  it.each([
    { how: "--host 0.0.0.0", args: ["--host", "0.0.0.0"], env: {} },
    { how: "LINKER_HOST=0.0.0.0", args: [], env: { LINKER_HOST: "0.0.0.0" } },
  ])("refuses to bind $how without credentials", async ({ args, env }) => {
    const hub = spawnHub({ args, env });
    const outcome = await Promise.race([
      hub.exited.then((code) => ({ code })),
      hub.waitForStdout(/listening/).then(
        () => ({ listening: hub.stdout() }),
        () => new Promise<never>(() => undefined),
      ),
    ]);
    expect(outcome, "the hub must not listen").not.toHaveProperty("listening");
    const code = await hub.exited;
    expect(code).not.toBe(0);
    expect(typeof code).toBe("number");
    expect(hub.stdout()).not.toContain("listening");
    expect(hub.stderr()).toContain("refusing to listen on 0.0.0.0 without credentials");
    expect(hub.stderr()).toContain("--hub-secret");
    expect(hub.stderr()).toContain("--auth keys");
  });

  it.each(PROTOCOLS)("with --hub-secret, Register needs the secret over %s", async (protocol) => {
    const hub = await launchHub({ args: ["--host", "127.0.0.1", "--hub-secret", SECRET], logLevel: "debug" });

    const anonymous = createClient(LinkerService, transportFor(hub.url, protocol));
    const missing = await connectErrorOf(anonymous.register({ name: "intruder" }));
    expect(codeName(missing.code)).toBe(codeName(Code.Unauthenticated));
    expect(missing.rawMessage).toContain("secret");

    const wrong = createClient(LinkerService, transportFor(hub.url, protocol, [registerBearer(`${SECRET}x`)]));
    expect(codeName((await connectErrorOf(wrong.register({ name: "intruder" }))).code)).toBe(codeName(Code.Unauthenticated));

    const agent = await registerAgent(transports(hub.url, protocol, [registerBearer(SECRET)]), "member");
    expect(agent.token).not.toBe(SECRET);
    expect((await agent.client.listInstances({})).instances.map((i) => i.name)).toEqual(["member"]);

    // The secret registers; it is not a session.
    const secretAsSession = createClient(LinkerService, transportFor(hub.url, protocol, [bearer(() => SECRET)]));
    expect(codeName((await connectErrorOf(secretAsSession.heartbeat({}))).code)).toBe(codeName(Code.Unauthenticated));

    expect(await hub.stop("SIGTERM")).toBe(0);
    expect(hub.stderr()).not.toContain(SECRET);
    expect(hub.stdout()).not.toContain(SECRET);
    expect(hub.stderr()).not.toContain(agent.token);
  });

  it("a second hub on a busy port exits with code 3 and leaves the first one serving", async () => {
    const first = await launchHub();
    const agent = await registerAgent(transports(first.url, "grpc"), "first-agent");
    await agent.client.send({ recipient: "first-agent", body: "before the second hub" });

    const second = spawnHub({ port: first.port, dataDir: first.dataDir });
    expect(await second.exited).toBe(3);
    expect(second.stderr()).toContain(`port ${first.port} is in use`);
    expect(second.stdout()).not.toContain("listening");

    // The first hub still serves the same data file, with nothing lost or damaged.
    await agent.client.send({ recipient: "first-agent", body: "after the second hub" });
    const inbox = await agent.client.listMessages({});
    expect(inbox.messages.map((m) => m.body)).toEqual(["before the second hub", "after the second hub"]);
    expect(await first.stop("SIGTERM")).toBe(0);
  });
});
