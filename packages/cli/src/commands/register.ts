import { Command } from "commander";
import { RegisterResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { contextOf } from "../command-context.js";
import { withClient } from "../connect.js";
import { protoJson } from "../output.js";

/** `linker register`: claims the name (or reclaims it with its stored session) and its details. */
export function registerCommand(): Command {
  return new Command("register")
    .summary("claim your name on the hub (or reclaim it)")
    .description("Register this instance: claim its name, or reclaim it with the session stored for it, and update its description")
    .addHelpText(
      "after",
      `
The session token is stored under $LINKER_HOME/sessions before the hub is asked,
so the CLI, \`linker mcp\` and \`linker hook\` of this home share one session per name.
Commands that write register by themselves; commands that only read never do.

Examples:
  linker register
  linker --name backend --description "API work" register`,
    )
    .action(async (_opts: object, command: Command) => {
      const { settings, out } = contextOf(command);
      const registered = await withClient(settings, async (client) => client.registered!);
      out.data(protoJson(RegisterResponseSchema, { ...registered, sessionToken: "" }));
      out.text(`${registered.reclaimed ? "reclaimed" : "registered"} "${settings.name}" (${registered.unreadCount} unread)`);
    });
}
