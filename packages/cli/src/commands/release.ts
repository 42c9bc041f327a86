import { Command } from "commander";
import { ReleaseNameResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { withAdminClient } from "../admin-client.js";
import { contextOf } from "../command-context.js";
import { protoJson } from "../output.js";

/** `linker release NAME`: free any registered name (admin). */
export function releaseCommand(): Command {
  return new Command("release")
    .summary("free any registered name: its instance, inbox and sessions go (admin)")
    .description("Release a registered name as an admin: deletes its instance, stored messages and sessions, closes its streams, and records it in the audit log")
    .argument("<name>", "the registered name (any case)")
    .addHelpText(
      "after",
      `
Needs an admin key (LINKER_KEY, else <data dir>/admin.key). An instance frees
its own name with Unregister(forget) instead.

Example:
  linker release old-laptop-agent`,
    )
    .action(async (name: string, _opts: unknown, command: Command) => {
      const { settings, out } = contextOf(command);
      const released = await withAdminClient(settings, (client) => client.releaseName({ name }));
      out.data(protoJson(ReleaseNameResponseSchema, released));
      out.text(`released "${released.name}"; ${released.sessionsEnded} sessions ended`);
    });
}
