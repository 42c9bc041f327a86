import { NAME_PATTERN } from "@linker/client/workspace";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";

/** Throws a usage error unless `name` is a valid instance name; `what` says where it came from. */
export function checkName(name: string, what = "name"): string {
  if (NAME_PATTERN.test(name)) return name;
  throw new CliError(
    `invalid ${what} ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    ExitCode.usage,
  );
}
