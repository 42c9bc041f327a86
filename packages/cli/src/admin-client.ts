import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";
import type { Settings } from "./settings.js";

/**
 * The admin credential of a command: LINKER_KEY when set (a key of role
 * admin), else the hub's own `<home>/admin.key`, which the hub writes on
 * first start and only its user can read.
 */
export function adminKey(settings: Settings): string {
  const fromEnv = process.env.LINKER_KEY;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const path = join(settings.home, "admin.key");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  throw new CliError(
    `no admin key: set LINKER_KEY to a key of role admin, or run this on the hub's machine where ${path} is`,
    ExitCode.denied,
    "the hub writes <data dir>/admin.key when it first starts",
  );
}

/** Runs `work` with a LinkerService client that presents the admin key on every call, then closes it. */
export async function withAdminClient<T>(settings: Settings, work: (client: Client<typeof LinkerService>) => Promise<T>): Promise<T> {
  const { createHubTransport } = await import("@linker/client");
  const key = adminKey(settings);
  const hub = createHubTransport(settings.hubs[0], {
    httpVersion: "1.1",
    ca: settings.ca,
    interceptors: [(next) => async (req) => {
      req.header.set("authorization", `Bearer ${key}`);
      return next(req);
    }],
  });
  try {
    return await work(createClient(LinkerService, hub.transport));
  } finally {
    hub.close();
  }
}
