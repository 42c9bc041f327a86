import { createContextKey } from "@connectrpc/connect";
import type { AgentKey } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import { KeyRole } from "@linker/protocol/gen/linker/v1/credential_pb.js";

/** What a request's bearer token turned out to be. */
export type Credential =
  /** No Authorization header (or one that names no credential on an open hub). */
  | { kind: "anonymous" }
  /** The shared hub secret. */
  | { kind: "secret" }
  /** The hub's own admin key (`<data dir>/admin.key` or --admin-key). */
  | { kind: "hub-admin" }
  /** An issued agent key that is not revoked. */
  | { kind: "key"; key: AgentKey }
  /** A bearer that is none of these: an unknown or revoked key, a wrong secret. */
  | { kind: "invalid"; reason: string };

/** Who acted, as the audit log names it. */
export function actorOf(credential: Credential): string {
  switch (credential.kind) {
    case "anonymous":
      return "local";
    case "secret":
      return "hub secret";
    case "hub-admin":
      return "hub admin key";
    case "key":
      return credential.key.label;
    case "invalid":
      return "unknown";
  }
}

/** Whether the credential may use the admin RPCs. */
export function isAdmin(credential: Credential): boolean {
  return credential.kind === "hub-admin" || (credential.kind === "key" && credential.key.role === KeyRole.ADMIN);
}

/** Whether the credential may use the observer RPCs and /metrics by its role alone. */
export function isObserver(credential: Credential): boolean {
  return isAdmin(credential) || (credential.kind === "key" && credential.key.role === KeyRole.OBSERVER);
}

/** Whether `pattern` (a name, or "prefix*") binds `name`; names compare regardless of case. */
export function patternBinds(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  return p.endsWith("*") ? n.startsWith(p.slice(0, -1)) : p === n;
}

/** Whether an agent key binds `name`. */
export function keyBinds(key: AgentKey, name: string): boolean {
  return key.names.some((pattern) => patternBinds(pattern, name));
}

/** The credential of an admin or observer call, set by the auth interceptor for the handlers. */
export const credentialKey = createContextKey<Credential>({ kind: "anonymous" }, { description: "credential of the call" });
