import { tempDir as makeTempDir } from "../../support/temp-dir.js";
import { type HubConfigInput, hubConfig } from "../../../packages/hub/src/config.js";
import { createLogger } from "../../../packages/hub/src/logger.js";
import { type RunningHub, startHub } from "../../../packages/hub/src/start-hub.js";

/** A fresh temporary folder. */
export function tempDir(prefix = "linker-client-"): string {
  return makeTempDir(prefix);
}

/** Logger for in-process hubs: quiet unless LINKER_LOG_LEVEL says otherwise. */
export function quietLogger() {
  return createLogger(process.env.LINKER_LOG_LEVEL ?? "silent");
}

/** Starts an in-process SQLite hub on a free port (or `port`) serving `dataDir`. */
export async function startTestHub(options: Partial<HubConfigInput> = {}): Promise<RunningHub & { dataDir: string }> {
  const dataDir = options.dataDir ?? tempDir("linker-hub-");
  const hub = await startHub(hubConfig({ ...options, port: options.port ?? 0, dataDir }), { logger: quietLogger() });
  return Object.assign(hub, { dataDir });
}
