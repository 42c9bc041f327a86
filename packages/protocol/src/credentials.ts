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
