import { Command } from "commander";
import { CliError } from "../cli-error.js";
import { contextOf } from "../command-context.js";
import { checkAutoHub } from "../connect.js";
import { ExitCode } from "../exit-codes.js";
import { isLoopbackUrl } from "@linker/protocol";

/** `linker mcp`: the MCP server for Claude Code (stdio), as the instance of this folder. */
export function mcpCommand(): Command {
  return new Command("mcp")
    .summary("run the MCP server for Claude Code (stdio)")
    .description("Run the MCP server on stdio (add it to Claude Code); serves the hub itself when none answers")
    .addHelpText(
      "after",
      `
It registers as --name (default: the project folder's name), keeps an event stream
open and pushes incoming messages into the session. --auto-hub is on by default for a
single http://127.0.0.1 hub URL: if no hub answers, this process serves it (from
$LINKER_HOME/hub.db) and another process takes over when it exits. Turn that off with
--no-auto-hub.

Examples:
  claude mcp add linker -- linker mcp
  claude mcp add linker -- linker --name backend --description "API work" mcp
  linker --hub http://10.0.0.5:3847 mcp`,
    )
    .action(async (_opts: object, command: Command) => {
      const { settings } = contextOf(command);
      const autoHub = settings.autoHub ?? (settings.hubs.length === 1 && isLoopbackUrl(settings.hubs[0]));
      if (autoHub) checkAutoHub(settings.hubs);
      let server: typeof import("@linker/mcp");
      try {
        server = await import("@linker/mcp");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw err;
        throw new CliError("the MCP server is not part of this installation", ExitCode.internal, "reinstall linker");
      }
      await server.runMcpServer({
        name: settings.name,
        hubs: settings.hubs,
        autoHub,
        dataDir: settings.home,
        description: settings.description,
        hubSecret: settings.credential,
      });
    });
}
