import type { DescEnum } from "@bufbuild/protobuf";
import { enumChoices as choicesOf, enumValueName } from "@linker/protocol";

/** The CLI's name of an enum value: lowercase, dash-separated ("IN_PROGRESS" → "in-progress"). */
export function enumName(desc: DescEnum, value: number): string {
  return enumValueName(desc, value, "-");
}

/** Every value of an enum except UNSPECIFIED, by its CLI name. */
export function enumChoices(desc: DescEnum): Map<string, number> {
  return choicesOf(desc, "-");
}
