import { InvalidArgumentError } from "./errors.js";

/** The largest position a page token may name (positions are signed 64-bit in every store). */
const MAX_POSITION = (1n << 63n) - 1n;

/** The page token that continues after `position`. */
export function pageTokenAt(position: bigint): string {
  return position.toString();
}

/**
 * The position a page token names (0 for the first page). A token this hub
 * did not issue is INVALID_ARGUMENT, never a server error.
 */
export function positionOf(token: string): bigint {
  if (token === "") return 0n;
  if (!/^[0-9]{1,19}$/.test(token) || BigInt(token) > MAX_POSITION) {
    throw new InvalidArgumentError("page_token is not one this hub issued; start again without it");
  }
  return BigInt(token);
}

/** The page token that continues after the instance `name`. */
export function pageTokenAfterName(name: string): string {
  return `n:${name}`;
}

/** The name a name page token continues after ("" for the first page); a token this hub did not issue is INVALID_ARGUMENT. */
export function nameAfterToken(token: string): string {
  if (token === "") return "";
  if (!/^n:[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(token)) {
    throw new InvalidArgumentError("page_token is not one this hub issued; start again without it");
  }
  return token.slice(2);
}
