import { Command } from "commander";
import { toJson } from "@bufbuild/protobuf";
import { AuditEntrySchema, AuditKind } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import { withAdminClient } from "../admin-client.js";
import { contextOf } from "../command-context.js";
import { CliError } from "../cli-error.js";
import { ExitCode } from "../exit-codes.js";
import { terminalSafe } from "@linker/protocol";

const KINDS = Object.keys(AuditKind).filter((k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED").map((k) => k.toLowerCase());

/** `linker audit`: the audit log as JSON lines (admin). */
export function auditCommand(): Command {
  return new Command("audit")
    .summary("print the audit log as JSON lines (admin)")
    .description("Print security events, oldest first, one JSON object per line: registrations, reclaims, keys created, used and revoked, refused credentials and calls, released names")
    .option("--after <id>", "only entries after this id", "0")
    .option("--kind <kinds>", `only these kinds, comma-separated (${KINDS.join(", ")})`)
    .option("--limit <n>", "at most this many entries (default: all)")
    .addHelpText(
      "after",
      `
Needs an admin key (LINKER_KEY, else <data dir>/admin.key).

Examples:
  linker audit
  linker audit --kind auth_failed,permission_denied
  linker audit --after 120 | jq -r '.kind + " " + .name'`,
    )
    .action(async (opts: { after: string; kind?: string; limit?: string }, command: Command) => {
      const { settings } = contextOf(command);
      const kinds = (opts.kind ?? "")
        .split(",")
        .map((k) => k.trim())
        .filter((k) => k !== "")
        .map((k) => {
          const kind = AuditKind[k.toUpperCase() as keyof typeof AuditKind];
          if (kind === undefined) throw new CliError(`unknown audit kind "${k}"`, ExitCode.usage, `one of ${KINDS.join(", ")}`);
          return kind;
        });
      if (!/^\d+$/.test(opts.after)) throw new CliError(`--after ${opts.after} is not an entry id`, ExitCode.usage);
      let left = opts.limit === undefined ? Infinity : Number(opts.limit);
      let after = BigInt(opts.after);
      await withAdminClient(settings, async (client) => {
        for (;;) {
          const page = await client.listAuditEntries({ afterId: after, kinds, limit: Math.min(1000, left) });
          for (const entry of page.entries) {
            // JSON escapes control characters; the bidirectional overrides are escaped too.
            process.stdout.write(`${terminalSafe(JSON.stringify(toJson(AuditEntrySchema, entry)))}\n`);
            after = entry.id;
          }
          left -= page.entries.length;
          if (!page.hasMore || left <= 0) return;
        }
      });
    });
}
