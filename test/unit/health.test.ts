import { getEventListeners } from "node:events";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ServiceImpl,
  createClient,
  createHandlerContext,
  createRouterTransport,
} from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@linker/protocol/gen/grpc/health/v1/health_pb.js";
import { createHealthService, type HealthService } from "../../packages/hub/src/health.js";

const LINKER = "linker.v1.LinkerService";

function clientFor(health: HealthService) {
  return createClient(
    Health,
    createRouterTransport((router) => health.register(router)),
  );
}

/** Captures the Health implementation that `register` hands to the router. */
function implOf(health: HealthService): ServiceImpl<typeof Health> {
  let impl: ServiceImpl<typeof Health> | undefined;
  const router = {
    service(_service: unknown, implementation: ServiceImpl<typeof Health>) {
      impl = implementation;
      return router;
    },
  };
  health.register(router as unknown as ConnectRouter);
  if (!impl) throw new Error("Health was not registered");
  return impl;
}

describe("health Check", () => {
  it("reports the server and named services SERVING", async () => {
    const client = clientFor(createHealthService([LINKER]));
    expect((await client.check({ service: "" })).status).toBe(ServingStatus.SERVING);
    expect((await client.check({ service: LINKER })).status).toBe(ServingStatus.SERVING);
  });

  it("fails with NotFound for an unknown service", async () => {
    const client = clientFor(createHealthService([LINKER]));
    const error = await client.check({ service: "nope.v1.Nope" }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.NotFound);
  });

  it("reflects setStatus and shutdown", async () => {
    const health = createHealthService([LINKER]);
    const client = clientFor(health);
    health.setStatus(LINKER, ServingStatus.NOT_SERVING);
    expect((await client.check({ service: LINKER })).status).toBe(ServingStatus.NOT_SERVING);
    health.setStatus("added.v1.Added", ServingStatus.SERVING);
    expect((await client.check({ service: "added.v1.Added" })).status).toBe(ServingStatus.SERVING);
    health.shutdown();
    expect((await client.check({ service: "" })).status).toBe(ServingStatus.NOT_SERVING);
    expect((await client.check({ service: "added.v1.Added" })).status).toBe(ServingStatus.NOT_SERVING);
    health.setStatus("", ServingStatus.SERVING);
    expect((await client.check({ service: "" })).status).toBe(ServingStatus.NOT_SERVING);
  });
});

describe("health Watch", () => {
  it("streams SERVING, then NOT_SERVING on shutdown, then ends", async () => {
    const health = createHealthService([LINKER]);
    const stream = clientFor(health).watch({ service: LINKER })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(ServingStatus.SERVING);
    health.shutdown();
    expect((await stream.next()).value?.status).toBe(ServingStatus.NOT_SERVING);
    expect((await stream.next()).done).toBe(true);
  });

  it("sends each change, skipping updates that change nothing", async () => {
    const health = createHealthService([LINKER]);
    const stream = clientFor(health).watch({ service: "" })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(ServingStatus.SERVING);
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(LINKER, ServingStatus.NOT_SERVING);
    health.setStatus("", ServingStatus.NOT_SERVING);
    expect((await stream.next()).value?.status).toBe(ServingStatus.NOT_SERVING);
    health.setStatus("", ServingStatus.SERVING);
    expect((await stream.next()).value?.status).toBe(ServingStatus.SERVING);
    health.shutdown();
    expect((await stream.next()).value?.status).toBe(ServingStatus.NOT_SERVING);
    expect((await stream.next()).done).toBe(true);
  });

  it("reports SERVICE_UNKNOWN for an unknown service and keeps waiting for it", async () => {
    const health = createHealthService([]);
    const stream = clientFor(health).watch({ service: "later.v1.Later" })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(ServingStatus.SERVICE_UNKNOWN);
    health.setStatus("later.v1.Later", ServingStatus.SERVING);
    expect((await stream.next()).value?.status).toBe(ServingStatus.SERVING);
    health.shutdown();
    expect((await stream.next()).value?.status).toBe(ServingStatus.NOT_SERVING);
    expect((await stream.next()).done).toBe(true);
  });

  it("ends a watch opened after shutdown once it has sent the status", async () => {
    const health = createHealthService([LINKER]);
    health.shutdown();
    const statuses = [];
    for await (const response of clientFor(health).watch({ service: LINKER })) statuses.push(response.status);
    expect(statuses).toEqual([ServingStatus.NOT_SERVING]);
  });

  it("stops when the call is cancelled, and leaves no abort listener behind when it ends", async () => {
    const health = createHealthService([LINKER]);
    const impl = implOf(health);
    const newContext = () =>
      createHandlerContext({
        service: Health,
        method: Health.method.watch,
        protocolName: "test",
        requestMethod: "POST",
        url: "http://localhost/grpc.health.v1.Health/Watch",
      });
    const request = create(HealthCheckRequestSchema, { service: LINKER });

    const cancelled = newContext();
    const first = impl.watch(request, cancelled)[Symbol.asyncIterator]();
    expect((await first.next()).value?.status).toBe(ServingStatus.SERVING);
    const pending = first.next();
    cancelled.abort();
    expect((await pending).done).toBe(true);

    const ended = newContext();
    const before = getEventListeners(ended.signal, "abort").length;
    const second = impl.watch(request, ended)[Symbol.asyncIterator]();
    expect((await second.next()).value?.status).toBe(ServingStatus.SERVING);
    expect(getEventListeners(ended.signal, "abort")).toHaveLength(before + 1);
    health.shutdown();
    expect((await second.next()).value?.status).toBe(ServingStatus.NOT_SERVING);
    expect((await second.next()).done).toBe(true);
    expect(getEventListeners(ended.signal, "abort")).toHaveLength(before);
  });

  it("cancels cleanly through the transport", async () => {
    const health = createHealthService([LINKER]);
    const abort = new AbortController();
    const stream = clientFor(health).watch({ service: LINKER }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.status).toBe(ServingStatus.SERVING);
    const pending = stream.next();
    abort.abort();
    const error = await pending.then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.Canceled);
  });
});
