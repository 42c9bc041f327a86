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

/** Metadata key set on a message whose attachment data the hub withheld from readers. */
export const WITHHELD_ATTACHMENT = "linker-attachment-withheld";

/**
 * A message as readers may receive it: attachment data nested deeper than
 * `limit` (stored before the hub bounded it) is withheld and the message says
 * so in its metadata, so no stored message can make a reader's decoder give
 * up and wedge its inbox. Other messages pass as they are.
 */
export function servable<M extends { attachment?: { content: { case: string | undefined; value?: unknown } }; metadata: { [key: string]: string } }>(message: M, limit: number): M {
  const content = message.attachment?.content;
  if (content?.case !== "data" || jsonDepth(content.value as JsonValue, limit) <= limit) return message;
  return { ...message, attachment: undefined, metadata: { ...message.metadata, [WITHHELD_ATTACHMENT]: `attachment data nested more than ${limit} levels deep` } };
}
