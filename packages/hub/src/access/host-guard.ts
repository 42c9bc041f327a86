import { hostname, networkInterfaces } from "node:os";
import { isLoopbackHost } from "@linker/protocol";
import { hostnameOf } from "../observe/peer.js";

/** What a request carries that the guard checks. */
export interface GuardedRequest {
  /** The Host header (HTTP/1.1) or :authority (HTTP/2). */
  host: string | undefined;
  /** The Origin header, if a browser sent one. */
  origin: string | undefined;
}

/** The Host and Origin allow-list of every HTTP endpoint on the hub port. */
export interface HostGuard {
  /** Why the request is refused (host or origin not allowed), or undefined to let it through. */
  refusal(req: GuardedRequest): string | undefined;
}

/** The names Docker and Podman containers reach their host by. */
export const CONTAINER_HOST_NAMES: readonly string[] = ["host.docker.internal", "host.containers.internal", "gateway.docker.internal"];

/** Whether `host` (a bind address) is a wildcard: every interface. */
export function isWildcardBind(host: string): boolean {
  const bound = host.replace(/^\[(.*)\]$/, "$1");
  return bound === "0.0.0.0" || bound === "::" || bound === "";
}

/** Addresses a wildcard bind is reachable at: this machine's name and interface addresses, and the names containers use for their host. */
function wildcardNames(): string[] {
  const names = [hostname().toLowerCase(), ...CONTAINER_HOST_NAMES];
  for (const list of Object.values(networkInterfaces())) for (const entry of list ?? []) names.push(entry.address.toLowerCase());
  return names;
}

/**
 * Builds the allow-list: loopback names always, the bound address (for a
 * wildcard bind: the machine's own names and addresses), and the configured
 * extra hosts; origins are the hub's own (an allowed host on the hub's port)
 * plus the configured ones. A page reached through DNS rebinding names its
 * own host and origin, so it is refused before any endpoint runs; clients
 * that send neither header (gRPC tools, scripts) are not affected.
 */
export function createHostGuard(options: { host: string; port: number; allowedHosts: readonly string[]; allowedOrigins: readonly string[] }): HostGuard {
  const anyHost = options.allowedHosts.includes("*");
  const anyOrigin = options.allowedOrigins.includes("*");
  const bound = options.host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const hosts = new Set<string>([...options.allowedHosts.map((host) => host.toLowerCase().replace(/^\[(.*)\]$/, "$1")), bound]);
  if (isWildcardBind(bound)) for (const name of wildcardNames()) hosts.add(name);
  const origins = new Set(options.allowedOrigins.map((origin) => origin.replace(/\/+$/, "").toLowerCase()));
  const hostAllowed = (name: string) => anyHost || isLoopbackHost(name) || hosts.has(name);
  return {
    refusal({ host, origin }) {
      if (host !== undefined) {
        const name = hostnameOf(host).toLowerCase();
        if (name === "" || !hostAllowed(name)) {
          return `this hub does not answer to the host name ${JSON.stringify(host)}; use 127.0.0.1 or an allowed name (--allowed-hosts)`;
        }
      }
      if (origin === undefined || anyOrigin || origins.has(origin.toLowerCase())) return undefined;
      let url: URL | undefined;
      try {
        url = new URL(origin);
      } catch {
        url = undefined;
      }
      const port = url ? Number(url.port || (url.protocol === "https:" ? 443 : 80)) : -1;
      const hostOfOrigin = url?.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase() ?? "";
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || port !== options.port || !hostAllowed(hostOfOrigin)) {
        return `requests from web pages at ${JSON.stringify(origin)} are refused; only the hub's own pages may call it (--allowed-origins adds others)`;
      }
      return undefined;
    },
  };
}
