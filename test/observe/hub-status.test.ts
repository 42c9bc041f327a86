import { createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { KeyRole } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { bearer } from "../support/clients.js";
import { createTestHub, storeKinds, type TestHub } from "../support/test-hub.js";

const ADMIN = "status-admin-key-0123456789abcdef";

describe.each(storeKinds)("GetHubStatus (%s store)", (kind) => {
  let hub: TestHub;
  afterEach(() => hub.close());

  it("counts the backlogs of the instances a caller names now, while the census of the whole hub may be a second old", async () => {
    hub = await createTestHub(kind, { adminKey: ADMIN });
    const admin = createClient(LinkerService, hub.transport([bearer(() => ADMIN)]));
    const key = (await admin.createKey({ label: "watcher", role: KeyRole.OBSERVER })).secret;
    const observer = createClient(LinkerService, hub.transport([bearer(() => key)]));
    await hub.agent("alice");
    const bob = await hub.agent("bob");
    await bob.client.send({ recipient: "alice", body: "one" });
    const unreadOf = (status: Awaited<ReturnType<typeof observer.getHubStatus>>, name: string) => status.status?.backlogs.find((row) => row.name === name)?.unread;
    expect(unreadOf(await observer.getHubStatus({}), "alice")).toBe(1);

    // The clock stands still, so the census keeps its snapshot; a named instance is counted anyway.
    await bob.client.send({ recipient: "alice", body: "two" });
    expect(unreadOf(await observer.getHubStatus({}), "alice")).toBe(1);
    const named = await observer.getHubStatus({ instances: ["alice", "nobody"] });
    expect(named.status?.backlogs.filter((row) => row.name === "alice")).toEqual([expect.objectContaining({ unread: 2, registered: true })]);
    expect(named.status?.backlogs.find((row) => row.name === "nobody")).toMatchObject({ registered: false, unread: 0 });
  });
});
