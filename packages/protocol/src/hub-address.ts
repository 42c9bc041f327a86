import { isIPv4, isIPv6 } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";

/** The default hub port, shared with the Claude Team hub. */
export const DEFAULT_PORT = 3847;

/** The hub URL clients use when none is configured. */
export const DEFAULT_HUB_URL = `http://127.0.0.1:${DEFAULT_PORT}`;

/** True for addresses only this machine can reach: localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "").toLowerCase();
  if (bare === "localhost") return true;
  if (isIPv4(bare)) return bare.startsWith("127.");
  return isIPv6(bare) && (bare === "::1" || bare === "0:0:0:0:0:0:0:1");
}

/**
 * Why a credential may not be sent to `url`, or undefined when it may: over
 * http:// only a hub on this machine gets one; anything else needs https://.
 */
export function cleartextRefusal(url: URL): string | undefined {
  if (url.protocol !== "http:" || isLoopbackHost(url.hostname)) return undefined;
  return `refusing to send a credential in clear text to ${url.host}: use an https:// hub URL (the hub serves TLS with --tls-self-signed or --tls-cert), or reach it through a loopback address`;
}

/** True when `url` is http:// on this machine (the kind of hub a client may host itself). */
export function isLoopbackUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" && isLoopbackHost(parsed.hostname);
  } catch {
    return false;
  }
}

/**
 * The folder of a machine's hub.db and client sessions: `LINKER_HOME` from
 * `env`, else `~/.linker`. Callers pass the environment explicitly.
 */
export function linkerHome(env: Readonly<Record<string, string | undefined>>): string {
  const chosen = env.LINKER_HOME;
  return chosen !== undefined && chosen !== "" ? chosen : join(homedir(), ".linker");
}
