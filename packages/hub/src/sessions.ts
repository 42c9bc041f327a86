import { createHash } from "node:crypto";

/** The hash under which a token is stored; tokens themselves are never stored or logged. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
