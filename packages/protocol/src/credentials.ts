import { randomBytes } from "node:crypto";

/** Prefix of every session token. */
const SESSION_TOKEN_PREFIX = "lk_";

/** A new random session token: 32 random bytes, base64url, behind the `lk_` prefix. */
export function newSessionToken(): string {
  return `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** Whether `token` has the shape of a session token. */
export function isWellFormedSessionToken(token: string): boolean {
  return /^lk_[A-Za-z0-9_-]{43}$/.test(token);
}

/** The token of an `Authorization: Bearer <token>` header, if present. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

/** Prefix of every agent key. */
const AGENT_KEY_PREFIX = "lkk_";

/**
 * A new agent key: `lkk_<id>_<secret>`, where the id (12 hex characters) is
 * public and names the key, and the secret is 32 random bytes in base64url.
 */
export function newAgentKey(): { id: string; secret: string } {
  const id = randomBytes(6).toString("hex");
  return { id, secret: `${AGENT_KEY_PREFIX}${id}_${randomBytes(32).toString("base64url")}` };
}

/** Whether `text` has the shape of an agent key. */
export function isWellFormedAgentKey(text: string): boolean {
  return /^lkk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/.test(text);
}

/** The public id inside an agent key, if `text` is one. */
export function agentKeyId(text: string): string | undefined {
  return isWellFormedAgentKey(text) ? text.slice(AGENT_KEY_PREFIX.length, AGENT_KEY_PREFIX.length + 12) : undefined;
}
