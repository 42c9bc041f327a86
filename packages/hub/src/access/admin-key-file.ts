import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newAgentKey } from "@linker/protocol";

/** Name of the file in the data folder that holds the hub's own admin key. */
export const ADMIN_KEY_FILE = "admin.key";

/**
 * The hub's own admin key: read from `<dataDir>/admin.key`, or created there
 * (mode 0600, readable by the user who runs the hub only) on first start. On
 * this machine, whoever can read the data folder is the hub's operator; the
 * key lets `linker key`, `linker audit` and `linker release` reach the admin
 * RPCs. Returns undefined when the folder cannot hold it.
 */
export function loadAdminKey(dataDir: string, warn: (message: string, err: unknown) => void): string | undefined {
  if (dataDir === "") return undefined;
  const path = join(dataDir, ADMIN_KEY_FILE);
  try {
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8").trim();
      if (text.length >= 24) return text;
    }
    mkdirSync(dataDir, { recursive: true });
    const { secret } = newAgentKey();
    writeFileSync(path, `${secret}\n`, { mode: 0o600 });
    return secret;
  } catch (err) {
    warn(`cannot read or write ${path}; admin RPCs need --admin-key`, err);
    return undefined;
  }
}
