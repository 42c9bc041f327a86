import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { AuditKind, KeyRole } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import { LinkerService, ListKeysResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { toJsonString } from "@bufbuild/protobuf";
import { bearer, registerAgent } from "../support/clients.js";
import { codeOf, errorOf } from "../support/codes.js";
import { EventReader } from "../support/event-reader.js";
import { createTestHub, storeKinds, type TestHub } from "../support/test-hub.js";

const ADMIN = "test-admin-key-0123456789abcdef";

/** Finding 5: one shared secret for everything; no per-agent credentials, no roles. */
describe.each(storeKinds)("agent keys and roles (%s store)", (kind) => {
  let hub: TestHub;
  afterEach(() => hub.close());

  const as = (token: string | undefined) => createClient(LinkerService, hub.transport([bearer(() => token)]));

  it("a key binds its names: nobody else can take them (the hub secret included), and the key cannot take others", async () => {
    hub = await createTestHub(kind, { hubSecret: "shared-secret", adminKey: ADMIN });
    const admin = as(ADMIN);
    const { key, secret } = await admin.createKey({ label: "alice", names: ["alice", "ci-*"] });
    expect(key).toMatchObject({ label: "alice", role: KeyRole.AGENT, names: ["alice", "ci-*"] });
    expect(toJsonString(ListKeysResponseSchema, await admin.listKeys({}))).not.toContain(secret.slice(17));

    // The shared secret registers free names, but never one a key binds, in any case.
    expect(await codeOf(as("shared-secret").register({ name: "alice" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(as("shared-secret").register({ name: "ALICE" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(as("shared-secret").register({ name: "ci-7" }))).toBe(Code.PermissionDenied);
    expect((await as("shared-secret").register({ name: "bob" })).instance?.name).toBe("bob");

    const alice = await as(secret).register({ name: "alice" });
    expect(alice.reclaimed).toBe(false);
    expect(await codeOf(as(secret).register({ name: "bob" }))).toBe(Code.PermissionDenied);
    expect((await as(secret).register({ name: "ci-7" })).instance?.name).toBe("ci-7");

    // The holder of a session token of alice still cannot reclaim alice with the secret: only the key can.
    expect(await codeOf(as("shared-secret").register({ name: "alice", resumeToken: alice.sessionToken }))).toBe(Code.PermissionDenied);
    const again = await as(secret).register({ name: "alice" });
    expect(again.reclaimed).toBe(true);
  });

  it("revoking a key ends its sessions and closes their streams at once", async () => {
    hub = await createTestHub(kind, { adminKey: ADMIN });
    const admin = as(ADMIN);
    const { key, secret } = await admin.createKey({ label: "worker" });
    const registered = await as(secret).register({ name: "worker" });
    const worker = as(registered.sessionToken);
    const stream = new EventReader(worker, 0n);
    await stream.caughtUp();
    const revoked = await admin.revokeKey({ key: key!.id });
    expect(revoked.sessionsEnded).toBe(1);
    expect(revoked.key?.revokedAt).toBeDefined();
    await expect(stream.item()).rejects.toMatchObject({ code: Code.Unavailable });
    expect(await codeOf(worker.heartbeat({}))).toBe(Code.Unauthenticated);
    expect(await codeOf(as(secret).register({ name: "worker" }))).toBe(Code.Unauthenticated);
    // The name stays reserved for the revoked key until an admin releases it.
    expect(await codeOf(as(undefined).register({ name: "worker" }))).toBe(Code.PermissionDenied);
    await admin.releaseName({ name: "worker" });
    const again = await admin.createKey({ label: "worker" });
    expect((await as(again.secret).register({ name: "worker" })).reclaimed).toBe(false);
  });

  it("roles: observers read the hub and nothing else, agents are no observers, admin RPCs need an admin", async () => {
    hub = await createTestHub(kind, { hubSecret: "shared-secret", adminKey: ADMIN });
    const admin = as(ADMIN);
    const observer = (await admin.createKey({ label: "grafana", role: KeyRole.OBSERVER })).secret;
    const agent = (await admin.createKey({ label: "alice" })).secret;
    const ops = (await admin.createKey({ label: "ops", role: KeyRole.ADMIN })).secret;

    expect((await as(observer).getHubStatus({})).status?.version).not.toBe("");
    expect(await codeOf(as(observer).register({ name: "grafana" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(as(observer).createKey({ label: "more" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(as(agent).getHubStatus({}))).toBe(Code.PermissionDenied);
    expect(await codeOf(as(agent).listKeys({}))).toBe(Code.PermissionDenied);
    expect(await codeOf(as("shared-secret").listKeys({}))).toBe(Code.PermissionDenied);
    expect(await codeOf(as(undefined).listKeys({}))).toBe(Code.Unauthenticated);
    expect(await codeOf(as(ADMIN).register({ name: "root" }))).toBe(Code.PermissionDenied);
    expect((await as(ops).listKeys({})).keys.map((k) => k.label).sort()).toEqual(["alice", "grafana", "ops"]);
    // Observers do not see where the hub keeps its files; admins do.
    expect((await as(observer).getHubStatus({})).status?.dataDir).toBe("");
  });

  it("--auth keys: Register needs a key, and a malformed or unknown key is refused with what to do", async () => {
    hub = await createTestHub(kind, { auth: "keys", adminKey: ADMIN });
    const missing = await errorOf(as(undefined).register({ name: "alice" }));
    expect(missing.code).toBe(Code.Unauthenticated);
    expect(missing.rawMessage).toMatch(/agent key.*linker key create/);
    expect(await codeOf(as("lkk_nonsense").register({ name: "alice" }))).toBe(Code.Unauthenticated);
    expect(await codeOf(as("lkk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").register({ name: "alice" }))).toBe(Code.Unauthenticated);
    const { secret } = await as(ADMIN).createKey({ label: "alice" });
    expect((await as(secret).register({ name: "alice" })).instance?.name).toBe("alice");
  });

  it("records registrations, reclaims, keys, refusals and releases in the audit log, readable by admins only", async () => {
    hub = await createTestHub(kind, { adminKey: ADMIN });
    const admin = as(ADMIN);
    const { key, secret } = await admin.createKey({ label: "alice" });
    await as(secret).register({ name: "alice" });
    await as(secret).register({ name: "alice" });
    await codeOf(as(secret).register({ name: "mallory" }));
    await codeOf(as(undefined).heartbeat({}));
    await admin.releaseName({ name: "alice" });
    await admin.revokeKey({ key: "alice" });
    const kinds = async () => (await admin.listAuditEntries({ limit: 1000 })).entries.map((e) => [AuditKind[e.kind], e.name, e.keyId === key!.id]);
    await expect.poll(kinds).toEqual(
      expect.arrayContaining([
        ["KEY_CREATED", "", true],
        ["REGISTERED", "alice", true],
        ["RECLAIMED", "alice", true],
        ["PERMISSION_DENIED", "mallory", true],
        ["AUTH_FAILED", "", false],
        ["NAME_RELEASED", "alice", false],
        ["KEY_REVOKED", "", true],
      ]),
    );
    const page = await admin.listAuditEntries({ limit: 2 });
    expect(page.entries).toHaveLength(2);
    expect(page.hasMore).toBe(true);
    const next = await admin.listAuditEntries({ afterId: page.entries[1].id, limit: 1 });
    expect(next.entries[0].id).toBe(page.entries[1].id + 1n);
    expect(await codeOf(as(secret).listAuditEntries({}))).toBe(Code.Unauthenticated);
  });

  it("names stay unique regardless of case, and a name bound to a key in one case is bound in every case", async () => {
    hub = await createTestHub(kind, { adminKey: ADMIN });
    await registerAgent(hub.transport, "Alice");
    expect(await codeOf(as(undefined).register({ name: "alice" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(as(undefined).register({ name: "ALICE" }))).toBe(Code.PermissionDenied);
    const { secret } = await as(ADMIN).createKey({ label: "Builder" });
    expect((await as(secret).register({ name: "builder" })).instance?.name).toBe("builder");
  });
});
