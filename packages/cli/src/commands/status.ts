import { Command } from "commander";
import { ConnectError, createClient } from "@connectrpc/connect";
import { type HubStatus, HubStatusSchema } from "@linker/protocol/gen/linker/v1/hub_status_pb.js";
import { InstanceSchema, PresenceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { LinkerService } from "@linker/protocol/gen/linker/v1/linker_service_pb.js";
import { CliError } from "../cli-error.js";
import { contextOf } from "../command-context.js";
import { sessionStore, withClient } from "../connect.js";
import { hubStatusRows } from "../hub-status-text.js";
import { enumName } from "../enum-names.js";
import { ExitCode } from "../exit-codes.js";
import { sessionHubKey } from "@linker/client";
import { isLoopbackUrl } from "@linker/protocol";
import { textArg } from "../message-input.js";
import { oneLine, protoJson, table } from "../output.js";
import type { Settings } from "../settings.js";

/** What answered at one hub URL. */
interface HubProbe {
  url: string;
  probe: "serving" | "not-serving" | "unreachable" | "unknown";
}

/** Whether this process would serve the hub, and why. */
function hostingVerdict(settings: Settings, probes: HubProbe[]): { wouldHost: boolean; reason: string } {
  const serving = probes.find((p) => p.probe === "serving");
  if (serving) return { wouldHost: false, reason: `a hub already answers at ${serving.url}` };
  const first = probes[0];
  if (first.probe !== "unreachable") return { wouldHost: false, reason: `something holds ${first.url} but does not answer as a serving Linker hub (${first.probe})` };
  if (!settings.autoHub) return { wouldHost: false, reason: `nobody answers at ${first.url} and --auto-hub is off (start one with \`linker hub\`)` };
  if (probes.length > 1 || !isLoopbackUrl(first.url)) return { wouldHost: false, reason: "--auto-hub serves only a single loopback URL" };
  return { wouldHost: true, reason: `nobody answers at ${first.url}: --auto-hub would serve it here from ${settings.home}/hub.db` };
}

const NAME_ORIGIN: Record<Settings["nameSource"], string> = {
  "--name": "from --name",
  LINKER_NAME: "from LINKER_NAME",
  config: "from config.json",
  folder: "from the folder name",
};

/** Reads the hub's status through the observer RPC GetHubStatus; registers nothing. */
async function readHubStatus(url: string, self: string): Promise<{ status?: HubStatus; error?: string }> {
  const { createHubTransport } = await import("@linker/client");
  const hub = createHubTransport(url, { httpVersion: "1.1" });
  try {
    const client = createClient(LinkerService, hub.transport);
    const secret = process.env.LINKER_HUB_SECRET;
    const response = await client.getHubStatus(
      { instances: [self] },
      { timeoutMs: 5_000, headers: secret ? { authorization: `Bearer ${secret}` } : {} },
    );
    return { status: response.status };
  } catch (err) {
    return { error: ConnectError.from(err).rawMessage };
  } finally {
    hub.close();
  }
}

/** Shows the hub URLs' health, the serving hub's status, whether this process would host it, and this instance's standing. */
async function showStatus(command: Command): Promise<void> {
  const { settings, out } = contextOf(command);
  const { probeHub } = await import("@linker/client");
  const probes: HubProbe[] = await Promise.all(settings.hubs.map(async (url) => ({ url, probe: await probeHub(url) })));
  const serving = probes.find((p) => p.probe === "serving");
  const hosting = hostingVerdict(settings, probes);
  const store = sessionStore(settings);
  const hubKey = sessionHubKey(settings.hubs, settings.home);
  const session = await store.stored(hubKey, settings.name);
  const read = serving ? await readHubStatus(serving.url, settings.name) : {};
  const status = read.status;
  const mine = status?.backlogs.find((row) => row.name === settings.name);

  out.data({
    name: settings.name,
    nameSource: settings.nameSource,
    hubUrl: serving?.url ?? null,
    hubs: probes,
    autoHub: settings.autoHub ?? false,
    wouldHost: hosting.wouldHost,
    wouldHostReason: hosting.reason,
    home: settings.home,
    session: store.describe(hubKey, settings.name),
    hasSession: session !== undefined,
    registered: mine?.registered ?? null,
    instance: mine?.registered ? { name: mine.name, status: mine.status, presence: enumName(PresenceSchema, mine.presence) } : null,
    presence: mine?.registered ? enumName(PresenceSchema, mine.presence) : null,
    unreadCount: mine?.registered ? mine.unread : null,
    hub: status ? protoJson(HubStatusSchema, status) : null,
    hubError: read.error ?? null,
  });
  let standing = "unknown while the hub is unreachable";
  if (serving && mine) {
    standing = mine.registered
      ? `${enumName(PresenceSchema, mine.presence)}${mine.status ? `, status "${oneLine(mine.status, 50)}"` : ""}, ${mine.unread} unread`
      : "not registered yet (any command that sends or receives registers it)";
  } else if (serving) standing = "unknown (the hub's status is not readable)";
  out.text(
    ...table([
      ["name", `${settings.name} (${NAME_ORIGIN[settings.nameSource]})`],
      ...probes.map((p) => ["hub", `${p.url}: ${p.probe}${p === serving ? " (in use)" : ""}`]),
      ...(status ? hubStatusRows(status, settings.name) : read.error ? [["status", `not readable: ${read.error}`]] : []),
      ["hosting", `${hosting.wouldHost ? "yes" : "no"}: ${hosting.reason}`],
      ["session", session ? store.describe(hubKey, settings.name) : "none stored"],
      ["instance", standing],
    ]),
  );
  if (!serving) {
    throw new CliError(`no Linker hub answers at ${settings.hubs.join(", ")}`, ExitCode.unavailable, "start one with `linker hub`, or pass another URL with --hub");
  }
}

/** `linker status [text]`: sets this instance's status text, or shows where it stands. */
export function statusCommand(): Command {
  return new Command("status")
    .summary("set your status text, or show hub and registration")
    .description("Set your status text; without text, show the hub, whether this process would host it, and your registration")
    .argument("[text...]", "new status text, shown to everyone in `linker ls`")
    .option("--clear", "clear the status text")
    .addHelpText(
      "after",
      `
Without text, status only reads: it asks every hub URL for its health and the
serving hub for its status (version, uptime, store, counts, largest backlogs),
and never registers. Exit status 3 when no hub answers.

Examples:
  linker status "reviewing PR 12"
  linker status --clear
  linker status            # hub URLs, hub status, hosting, session, unread count
  linker status --json`,
    )
    .action(async (words: string[], opts: { clear?: boolean }, command: Command) => {
      if (words.length === 0 && !opts.clear) return showStatus(command);
      const { settings, out } = contextOf(command);
      if (opts.clear && words.length > 0) throw new CliError("give a status text or --clear, not both", ExitCode.usage);
      const text = opts.clear ? "" : await textArg(words, "status");
      const instance = await withClient(settings, (client) => client.setStatus({ status: text }));
      if (instance) out.data(protoJson(InstanceSchema, instance));
      out.text(text === "" ? `status of ${settings.name} cleared` : `status of ${settings.name}: ${text}`);
    });
}
