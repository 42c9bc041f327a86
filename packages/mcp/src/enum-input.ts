import type { DescEnum } from "@bufbuild/protobuf";
import { enumChoices } from "@linker/protocol";
import { z } from "zod";

/** An enum-valued tool argument: its zod schema and the number each name stands for. */
export interface EnumInput<T extends number> {
  /** The names a model may pass. */
  schema: z.ZodEnum<Record<string, string>>;
  /** The enum value of a name the schema accepted. */
  value(name: string): T;
}

/**
 * The choices of an enum-valued tool argument, from the enum's descriptor:
 * every value except UNSPECIFIED and `except`, by its lowercase name
 * (TaskStatus IN_PROGRESS is "in_progress"). `zero` names the zero value
 * where the contract gives it a meaning (TaskScope's is every task).
 */
export function enumInput<T extends number>(desc: DescEnum, options: { except?: readonly T[]; zero?: string } = {}): EnumInput<T> {
  const except = options.except ?? [];
  const choices = new Map([...enumChoices(desc)].filter(([, number]) => !except.includes(number as T)));
  if (options.zero !== undefined) choices.set(options.zero, 0);
  const names = [...choices.keys()];
  if (names.length === 0) throw new Error(`${desc.typeName} offers no choices`);
  return {
    schema: z.enum(names as [string, ...string[]]),
    value: (name) => {
      const number = choices.get(name);
      if (number === undefined) throw new Error(`"${name}" is not one of ${names.join(", ")}`);
      return number as T;
    },
  };
}
