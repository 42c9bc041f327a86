import { create } from "@bufbuild/protobuf";
import { Command } from "commander";
import { ListInstancesResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { contextOf } from "../command-context.js";
import { withReader } from "../connect.js";
import { instanceLines } from "../instance-text.js";
import { protoJson } from "../output.js";

/** `linker ls`: registered instances with presence, status, workspace and last seen time. */
export function lsCommand(): Command {
  return new Command("ls")
    .summary("list instances with presence and status")
    .description("List registered instances: presence, status, workspace, last seen")
    .option("--online", "only instances online now")
    .addHelpText(
      "after",
      `
An instance is online while it keeps an event stream open (linker mcp, linker tail)
or sends heartbeats. Listing registers nothing.

Examples:
  linker ls
  linker ls --online --json | jq -r '.instances[].name'`,
    )
    .action(async (opts: { online?: boolean }, command: Command) => {
      const { settings, out } = contextOf(command);
      const instances = await withReader(settings, "none", (client) => client.listInstances({ onlineOnly: opts.online ?? false }));
      out.data(protoJson(ListInstancesResponseSchema, create(ListInstancesResponseSchema, { instances })));
      out.text(...instanceLines(instances, settings.name));
    });
}
