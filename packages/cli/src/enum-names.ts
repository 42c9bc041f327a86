/** A TypeScript enum object as protoc-gen-es generates it. */
type EnumObject = Record<string, string | number>;

/** The lowercase, dash-separated name of an enum value ("IN_PROGRESS" → "in-progress"). */
export function enumName(values: EnumObject, value: number): string {
  const name = values[value];
  return typeof name === "string" ? name.toLowerCase().replace(/_/g, "-") : String(value);
}

/** Every value of an enum except UNSPECIFIED, by its lowercase name. */
export function enumChoices(values: EnumObject): Map<string, number> {
  const choices = new Map<string, number>();
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === "number" && value !== 0) choices.set(key.toLowerCase().replace(/_/g, "-"), value);
  }
  return choices;
}
