import type { Random } from "./random.js";

/** What every surface knows about the hub under fuzz. */
export interface FuzzContext {
  /** Base URL of the hub process. */
  url: string;
  /** Session tokens of registered fuzz agents. */
  tokens: string[];
  /** The hub's admin key (used sparingly: admin calls that succeed change state). */
  adminKey: string;
  /** MCP session ids opened before the run. */
  mcpSessions: string[];
}

/** An Authorization header: mostly a valid session, sometimes none, garbage, the admin key or an unknown key. */
export function authHeader(random: Random, ctx: FuzzContext): Record<string, string> {
  const roll = random.next();
  if (roll < 0.75) return { authorization: `Bearer ${random.pick(ctx.tokens)}` };
  if (roll < 0.83) return {};
  if (roll < 0.86) return { authorization: `Bearer ${ctx.adminKey}` };
  return { authorization: random.pick(["Bearer", "Bearer ", "Basic abc", `Bearer lk_${"x".repeat(43)}`, "Bearer lkk_0123456789ab_" + "A".repeat(43), "Bearer \u00ff", "x".repeat(300)]) };
}

/** A gRPC (or gRPC-Web, Connect streaming) envelope: flags, 4-byte length, payload. */
export function envelope(payload: Uint8Array, flags = 0, claimed = payload.length): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, claimed >>> 0);
  out.set(payload, 5);
  return out;
}

/** Envelopes of `payloads`, sometimes with a wrong flag, a lying length or a cut-off tail. */
export function envelopes(random: Random, payloads: Uint8Array[]): Uint8Array {
  const parts = payloads.map((payload) => {
    const flags = random.chance(0.05) ? random.pick([1, 2, 0x80, 0xff]) : 0;
    const claimed = random.chance(0.05) ? random.pick([0, payload.length + 10, 2 ** 31]) : payload.length;
    return envelope(payload, flags, claimed);
  });
  const all = Buffer.concat(parts);
  return random.chance(0.05) ? all.subarray(0, random.int(all.length + 1)) : all;
}
