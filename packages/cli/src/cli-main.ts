import type { Command } from "commander";
import { createProgram } from "./program.js";
import { reportError } from "./report-error.js";

/** Commands whose work goes on after their action returns (the hub keeps serving). */
const SERVERS = new Set(["hub"]);

/** Waits until everything written to stdout and stderr has been handed to the OS. */
function flushed(): Promise<void> {
  return Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write("", () => resolve())))).then(() => undefined);
}

const program = await createProgram(process.argv.slice(2));
let invoked: Command | undefined;
program.hook("preAction", (_root, action) => {
  invoked = action;
});
try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
if (!invoked || !SERVERS.has(invoked.name()) || process.exitCode) {
  await flushed();
  process.exit(process.exitCode ?? 0);
}
