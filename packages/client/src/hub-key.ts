import { resolve } from "node:path";
import { isLoopbackUrl } from "@linker/protocol";

/**
 * Which hub state stored sessions belong to. A single loopback URL is the
 * machine's hub, whose state is `<home>/hub.db`: the key is the one a client
 * with autoHub uses (`db:<home>`), so the CLI, `linker mcp` and a hook share
 * one session (and inbox) per name whether or not they serve the hub
 * themselves. Any other hub list is keyed by its first URL, as the library does.
 */
export function sessionHubKey(hubs: readonly string[], home: string): string {
  return hubs.length === 1 && isLoopbackUrl(hubs[0]) ? `db:${resolve(home)}` : `url:${hubs[0]}`;
}
