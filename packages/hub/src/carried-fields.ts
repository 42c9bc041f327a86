import type { DescField, DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";

/** Whether two fields hold the same kind of value, so one's value fits the other. */
function sameShape(a: DescField, b: DescField): boolean {
  if (a.fieldKind !== b.fieldKind) return false;
  switch (a.fieldKind) {
    case "scalar":
      return b.fieldKind === "scalar" && a.scalar === b.scalar;
    case "enum":
      return b.fieldKind === "enum" && a.enum.typeName === b.enum.typeName;
    case "message":
      return b.fieldKind === "message" && a.message.typeName === b.message.typeName;
    default:
      return false;
  }
}

const plans = new WeakMap<DescMessage, WeakMap<DescMessage, string[]>>();

/** The names (localName) of the singular fields `from` and `to` both declare with the same shape; computed once per pair. */
function sharedFields(from: DescMessage, to: DescMessage): string[] {
  let byTarget = plans.get(from);
  if (!byTarget) plans.set(from, (byTarget = new WeakMap()));
  let names = byTarget.get(to);
  if (!names) {
    names = from.fields.filter((field) => field.oneof === undefined && to.field[field.localName] && sameShape(field, to.field[field.localName])).map((f) => f.localName);
    byTarget.set(to, names);
  }
  return names;
}

/**
 * The fields of `request` that the record type `to` declares too (same name,
 * same type), ready to spread into `create(to, …)`. A request field added to
 * the contract that the stored record also declares is carried into it with
 * no change here: a PutMemoryRequest's key and value become the
 * MemoryEntry's, and so would any field both messages gain.
 */
export function carriedFields<From extends DescMessage, To extends DescMessage>(from: From, to: To, request: MessageShape<From>): MessageInitShape<To> {
  const carried: Record<string, unknown> = {};
  const source = request as unknown as Record<string, unknown>;
  for (const name of sharedFields(from, to)) carried[name] = source[name];
  return carried as MessageInitShape<To>;
}
