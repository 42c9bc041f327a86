import type { ConnectRouter } from "@connectrpc/connect";
import { file_grpc_health_v1_health } from "@linker/protocol/gen/grpc/health/v1/health_pb.js";
import { file_linker_v1_linker_service, LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import type { HealthService } from "./health.js";
import type { Hub } from "./hub.js";
import { createLinkerService } from "./linker-service.js";
import { registerReflection } from "./reflection.js";

/** Every service the hub serves on its one port: LinkerService, health and reflection. */
export function hubRoutes(hub: Hub, health: HealthService) {
  return (router: ConnectRouter) => {
    router.service(LinkerService, createLinkerService(hub));
    health.register(router);
    registerReflection(router, [file_linker_v1_linker_service, file_grpc_health_v1_health]);
  };
}
