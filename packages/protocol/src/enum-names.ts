import type { DescEnum } from "@bufbuild/protobuf";

/**
 * The short name of an enum value from its descriptor, lowercased, with
 * `separator` between words: TaskStatus IN_PROGRESS is "in_progress" (or
 * "in-progress"). Unknown numbers are printed as they are.
 */
export function enumValueName(desc: DescEnum, value: number, separator = "_"): string {
  const found = desc.value[value];
  return found ? found.localName.toLowerCase().replace(/_/g, separator) : String(value);
}

/**
 * Every value of an enum except the zero (UNSPECIFIED) value, by its short
 * lowercase name, in declaration order: the choices a CLI flag or an MCP tool
 * offers, taken from the contract instead of a hand-kept table.
 */
export function enumChoices(desc: DescEnum, separator = "_"): Map<string, number> {
  const choices = new Map<string, number>();
  for (const value of desc.values) if (value.number !== 0) choices.set(value.localName.toLowerCase().replace(/_/g, separator), value.number);
  return choices;
}
