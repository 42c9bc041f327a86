import { Command } from "commander";
import { contextOf } from "../command-context.js";
import { withReader } from "../connect.js";

/** `linker unregister`: frees this instance's name with the session stored for it. */
export function unregisterCommand(): Command {
  return new Command("unregister")
    .summary("free your name: delete the instance, its inbox and its sessions")
    .description("Free this instance's name on the hub, with the session stored for it here: the instance, its stored messages and every session of the name are deleted")
    .addHelpText(
      "after",
      `
Only the holder can free a name: the session stored for it under $LINKER_HOME/sessions
is the proof. Stop the MCP server or tail using the name first, or it registers the
name again. Exit status 2 when no session of the name is stored here.

Examples:
  linker unregister
  linker --name old-experiment unregister`,
    )
    .action(async (_opts: object, command: Command) => {
      const { settings, out } = contextOf(command);
      await withReader(settings, "stored", (client) => client.unregister({ forget: true }));
      out.data({ name: settings.name, freed: true });
      out.text(`freed "${settings.name}": its instance, messages and sessions are deleted`);
    });
}
