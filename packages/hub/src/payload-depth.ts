import type { JsonValue } from "@bufbuild/protobuf";

/**
 * How deeply a JSON value nests: 0 for a scalar, 1 for an object or list of
 * scalars, one more per level. Walks iteratively, so a hostile value cannot
 * exhaust the stack; stops counting past `limit`.
 */
export function jsonDepth(value: JsonValue, limit: number): number {
  let deepest = 0;
  const stack: Array<[JsonValue, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, level]);
  }
  return deepest;
}
