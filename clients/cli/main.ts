import { Command } from "commander";
import { hubCommand } from "./commands/hub.js";

/** The `linker` command line. */
export function createProgram(): Command {
  return new Command("linker")
    .description("Connect AI coding agents: presence, durable messages, ask/reply, shared memory and tasks.")
    .showHelpAfterError()
    .addCommand(hubCommand());
}

await createProgram().parseAsync(process.argv);
