import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { HUB_SETTINGS, hubConfig, hubConfigInput, type HubSetting, settingDefault } from "@linker/hub";
import { linkerHome } from "@linker/protocol";
import type { GlobalOptions } from "../settings.js";

/** The commander option of one hub setting: its flag, environment variable, default and parser. */
function optionOf(setting: HubSetting): Option {
  const option = new Option(setting.flag, setting.description).env(setting.env);
  if (setting.boolean) {
    // A switch: present means on; its environment variable says true or false.
    const fromEnv = process.env[setting.env];
    if (fromEnv !== undefined && fromEnv !== "") {
      try {
        option.default(setting.parse(fromEnv));
      } catch (err) {
        throw new InvalidArgumentError(`${setting.env}: ${(err as Error).message}`);
      }
    }
    option.envVar = undefined;
    return option;
  }
  if (setting.choices) option.choices(setting.choices);
  else {
    option.argParser((text: string) => {
      try {
        return setting.parse(text);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    });
  }
  const fallback = setting.key === "dataDir" ? linkerHome(process.env) : settingDefault(setting);
  if (fallback !== undefined) option.default(fallback);
  return option;
}

/** The data folder: --data-dir, else the global --home, else LINKER_HOME or ~/.linker. */
function dataDirOf(command: Command, dataDir: string): string {
  if (command.getOptionValueSource("dataDir") === "cli") return dataDir;
  const home = command.optsWithGlobals<GlobalOptions>().home;
  return home !== undefined ? resolve(home) : dataDir;
}

/** `linker hub`: runs a standalone hub until SIGTERM or SIGINT. */
export function hubCommand(): Command {
  const command = new Command("hub").summary("run a hub").description("Run a Linker hub (Connect, gRPC and gRPC-Web on one port; SQLite by default)");
  const options = HUB_SETTINGS.map((setting) => ({ setting, option: optionOf(setting) }));
  for (const { option } of options) command.addOption(option);
  return command
    .addHelpText(
      "after",
      `
Examples:
  linker hub                              # 127.0.0.1:3847, SQLite at ~/.linker/hub.db
  linker hub --port 0 --store memory      # throwaway hub on a free port
  LINKER_HOME=/tmp/team linker hub        # another data folder`,
    )
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const { createLogger, startHub } = await import("@linker/hub");
      const { mcpHttpEndpoint } = await import("@linker/mcp");
      const values = new Map(options.map(({ setting, option }) => [setting.key, opts[option.attributeName()]]));
      const config = hubConfig(hubConfigInput(values, dataDirOf(command, String(opts.dataDir))));
      const logger = createLogger();
      let running;
      try {
        running = await startHub(config, {
          logger,
          httpHandler: mcpHttpEndpoint(),
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const reason = code === "EADDRINUSE" ? `port ${config.port} is in use (is another hub running?)` : (err as Error).message;
        process.stderr.write(`linker hub: ${reason}\n`);
        process.exit(code === "EADDRINUSE" ? 3 : 1);
      }
      process.stdout.write(`linker hub listening on ${running.url} (${config.store}${config.store === "sqlite" ? `: ${config.dataDir}/hub.db` : ""})\n`);
      if (running.tlsFingerprint) {
        process.stdout.write(`TLS certificate fingerprint (SHA-256): ${running.tlsFingerprint}\n`);
        if (running.tlsCaPath) process.stdout.write(`clients trust the hub's CA with --ca ${running.tlsCaPath} (LINKER_CA)\n`);
      }
      if (config.dashboard !== "off") process.stdout.write(`dashboard: ${running.url}/\n`);
      const stop = (signal: string) => {
        logger.info({ signal }, "signal received");
        running.close().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
}
