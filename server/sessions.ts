import { createHash, randomBytes } from "node:crypto";

/** A new random session token. */
export function newSessionToken(): string {
  return `lk_${randomBytes(32).toString("base64url")}`;
}

/** Whether `token` has the shape of a session token (32 random bytes, base64url). */
export function isWellFormedToken(token: string): boolean {
  return /^lk_[A-Za-z0-9_-]{43}$/.test(token);
}

/** The hash under which a token is stored; tokens themselves are never stored or logged. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The token of an `Authorization: Bearer <token>` header, if present. */
export function bearerToken(header: string | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}
