import type { DescEnum } from "@bufbuild/protobuf";
import { type MessageKind, MessageKindSchema } from "@linker/protocol/gen/linker/v1/message_pb.js";
import { enumChoices as choicesOf, enumValueName } from "@linker/protocol";

/** The CLI's name of an enum value: lowercase, dash-separated ("IN_PROGRESS" → "in-progress"). */
export function enumName(desc: DescEnum, value: number): string {
  return enumValueName(desc, value, "-");
}

/** Every value of an enum except UNSPECIFIED, by its CLI name. */
export function enumChoices(desc: DescEnum): Map<string, number> {
  return choicesOf(desc, "-");
}

/** A message kind's CLI name; an unset kind is plain text. */
export function kindName(kind: MessageKind): string {
  return kind === 0 ? "text" : enumName(MessageKindSchema, kind);
}
