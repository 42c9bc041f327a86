// The `linker` command. Claude Code runs `linker hook` on every prompt and tool call, so it
// goes straight to the hook's own small module; everything else loads the full command line.
import { commandIndex } from "./invoked-command.js";

const args = process.argv.slice(2);
const at = commandIndex(args);
if (at >= 0 && args[at] === "hook" && !args.some((arg) => arg === "--help" || arg === "-h")) {
  const { runHookCommand } = await import("./hook/run-hook.js");
  const code = await runHookCommand([...args.slice(0, at), ...args.slice(at + 1)]);
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write("", () => resolve()))));
  process.exit(code);
} else {
  await import("./cli-main.js");
}
