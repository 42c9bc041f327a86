import { Command, Option } from "commander";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type AgentKey, AgentKeySchema, KeyRole } from "@linker/protocol/gen/linker/v1/credential_pb.js";
import { CreateKeyResponseSchema, RevokeKeyResponseSchema } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { withAdminClient } from "../admin-client.js";
import { contextOf } from "../command-context.js";
import { protoJson, table } from "../output.js";

const ROLES = ["agent", "observer", "admin"] as const;
const ROLE_OF: Record<(typeof ROLES)[number], KeyRole> = { agent: KeyRole.AGENT, observer: KeyRole.OBSERVER, admin: KeyRole.ADMIN };

function roleName(role: KeyRole): string {
  return (KeyRole[role] ?? String(role)).toLowerCase();
}

function keyRows(keys: AgentKey[]): string[][] {
  return [
    ["ID", "LABEL", "ROLE", "NAMES", "CREATED", "LAST USED", "REVOKED"],
    ...keys.map((key) => [
      key.id,
      key.label,
      roleName(key.role),
      key.names.join(",") || "-",
      key.createdAt ? timestampDate(key.createdAt).toISOString() : "-",
      key.lastUsedAt ? timestampDate(key.lastUsedAt).toISOString() : "-",
      key.revokedAt ? timestampDate(key.revokedAt).toISOString() : "-",
    ]),
  ];
}

/** `linker key create|ls|revoke`: issue, list and revoke agent keys (admin). */
export function keyCommand(): Command {
  const command = new Command("key")
    .summary("issue, list and revoke agent keys (admin)")
    .description("Manage agent keys: each has a role (agent, observer, admin) and binds the names its holders may register")
    .addHelpText(
      "after",
      `
These commands need an admin key: LINKER_KEY (a key of role admin), else the
hub's own <data dir>/admin.key (written at its first start; readable only by
the user who runs the hub).

Examples:
  linker key create ci-runner                          # an agent key for the name ci-runner
  linker key create devbox --names 'devbox-*'          # every name starting with devbox-
  linker key create grafana --role observer            # read-only: observer RPCs and /metrics
  linker key ls
  linker key revoke ci-runner                          # by label or id; its sessions end at once`,
    );
  command
    .command("create")
    .summary("issue a key; its secret is shown once")
    .argument("<label>", "the key's name; an agent key binds it as a name unless --names says otherwise")
    .addOption(new Option("--role <role>", "what the key allows").choices(ROLES).default("agent"))
    .option("--names <names>", "names the key binds, comma-separated; 'prefix*' binds every name starting with prefix")
    .action(async (label: string, opts: { role: (typeof ROLES)[number]; names?: string }, sub: Command) => {
      const { settings, out } = contextOf(sub);
      const names = (opts.names ?? "").split(",").map((n) => n.trim()).filter((n) => n !== "");
      const created = await withAdminClient(settings, (client) => client.createKey({ label, role: ROLE_OF[opts.role], names }));
      out.data(protoJson(CreateKeyResponseSchema, created));
      const key = created.key!;
      out.text(
        `created ${roleName(key.role)} key "${key.label}" (${key.id}) binding ${key.names.join(", ") || "no names"}`,
        "its secret, shown only now (the hub keeps a hash):",
        `  ${created.secret}`,
        `give it to the agent as LINKER_KEY, or as 'Authorization: Bearer <key>' for /mcp`,
      );
    });
  command
    .command("ls")
    .summary("list keys")
    .option("--all", "include revoked keys")
    .action(async (opts: { all?: boolean }, sub: Command) => {
      const { settings, out } = contextOf(sub);
      const { keys } = await withAdminClient(settings, (client) => client.listKeys({ includeRevoked: opts.all ?? false }));
      out.data({ keys: keys.map((key) => protoJson(AgentKeySchema, key)) });
      out.text(...(keys.length === 0 ? ["no keys"] : table(keyRows(keys))));
    });
  command
    .command("revoke")
    .summary("revoke a key now; its sessions end")
    .argument("<key>", "the key's id or label")
    .action(async (key: string, _opts: unknown, sub: Command) => {
      const { settings, out } = contextOf(sub);
      const revoked = await withAdminClient(settings, (client) => client.revokeKey({ key }));
      out.data(protoJson(RevokeKeyResponseSchema, revoked));
      out.text(`revoked key "${revoked.key?.label}" (${revoked.key?.id}); ${revoked.sessionsEnded} sessions ended`);
    });
  return command;
}
