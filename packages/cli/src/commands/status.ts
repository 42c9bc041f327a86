import { Command } from "commander";
import { type Instance, InstanceSchema, PresenceSchema } from "@linker/protocol/gen/linker/v1/instance_pb.js";
import { CliError } from "../cli-error.js";
import { contextOf } from "../command-context.js";
import { sessionStore, withClient, withReader } from "../connect.js";
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

/** Shows the hub, whether this process would host it, and this instance's registration. */
async function showStatus(command: Command): Promise<void> {
  const { settings, out } = contextOf(command);
  const { probeHub } = await import("@linker/client");
  const probes: HubProbe[] = [];
  for (const url of settings.hubs) probes.push({ url, probe: await probeHub(url) });
  const serving = probes.find((p) => p.probe === "serving");
  const hosting = hostingVerdict(settings, probes);
  const store = sessionStore(settings);
  const hubKey = sessionHubKey(settings.hubs, settings.home);
  const session = await store.stored(hubKey, settings.name);
  // Only reads: the instance from the open ListInstances, the unread count with the stored token.
  let instance: Instance | undefined;
  let unreadCount: number | undefined;
  if (serving) {
    instance = (await withReader(settings, "none", (client) => client.listInstances({}))).find((i) => i.name === settings.name);
    if (session && instance) unreadCount = await withReader(settings, "stored", async (client) => (await client.listMessages({ unreadOnly: true, limit: 1 })).unreadCount).catch(() => undefined);
  }

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
    registered: instance !== undefined,
    instance: instance ? protoJson(InstanceSchema, instance) : null,
    unreadCount: unreadCount ?? null,
  });
  let standing = !session
    ? "not registered (its MCP server, `linker register` or any command that writes registers it)"
    : session.cursor === undefined
      ? "a token was proposed from this home but never accepted (another session holds the name, or the first register was cut short)"
      : "registered from this home, but unknown to this hub";
  if (!serving) standing = session ? "unknown while the hub is unreachable" : standing;
  else if (instance) {
    const status = instance.status ? `, status "${oneLine(instance.status, 50)}"` : "";
    const unread = unreadCount !== undefined ? `, ${unreadCount} unread` : session ? "" : " by another home (no session here)";
    standing = `${enumName(PresenceSchema, instance.presence)}${status}${unread}`;
  }
  out.text(
    ...table([
      ["name", `${settings.name} (${NAME_ORIGIN[settings.nameSource]})`],
      ...probes.map((p) => ["hub", `${p.url}: ${p.probe}`]),
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
Without text, status only reads: it registers nothing and reads the unread count
with the session stored for the name, if any. Exit status 3 when no hub answers.

Examples:
  linker status "reviewing PR 12"
  linker status --clear
  linker status            # hub URL, hosting, session, unread count
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
