// The `linker` command. Claude Code runs `linker hook` on every prompt and tool call, so it
// goes straight to the hook's own small module; everything else loads the full command line.
import { commandIndex } from "./invoked-command.js";

const args = process.argv.slice(2);
const at = commandIndex(args);
if (at >= 0 && args[at] === "hook" && !args.some((arg) => arg === "--help" || arg === "-h")) {
  const { runHookCommand } = await import("./hook/run-hook.js");
  await runHookCommand([...args.slice(0, at), ...args.slice(at + 1)]);
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(0);
} else {
  await import("./cli-main.js");
}
