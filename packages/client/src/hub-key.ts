import { resolve } from "node:path";
import { isLoopbackUrl } from "@linker/protocol";

/**
 * Which hub state stored sessions belong to. A single loopback URL is the
 * machine's hub, whose state is `<home>/hub.db`: the key is the one a client
 * with autoHub uses (`db:<home>`), so the CLI, `linker mcp` and a hook share
 * one session (and inbox) per name whether or not they serve the hub
 * themselves. Any other hub list (one remote hub, or replicas of one database)
 * is keyed by its set of URLs, so listing the same replicas in another order
 * of preference keeps the session.
 */
export function sessionHubKey(hubs: readonly string[], home: string): string {
  if (hubs.length === 1 && isLoopbackUrl(hubs[0])) return `db:${resolve(home)}`;
  return `url:${[...new Set(hubs)].sort().join(",")}`;
}
