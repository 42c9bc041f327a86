/** Global options that take a value (so their value is not taken for the command name). */
const VALUE_OPTIONS = new Set(["-n", "--name", "--hub", "--home", "--description", "--ca"]);

/** Where the subcommand's name is in `args` (without node and script), or -1 when it cannot be told without parsing. */
export function commandIndex(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (VALUE_OPTIONS.has(arg)) i += 1;
    else if (!arg.startsWith("-")) return i;
    else if (arg === "--") return -1;
  }
  return -1;
}

/** The subcommand `args` (without node and script) run, if it can be told without parsing. */
export function invokedCommand(args: readonly string[]): string | undefined {
  const i = commandIndex(args);
  if (i < 0) return undefined;
  return args[i] === "help" ? args[i + 1] : args[i];
}
