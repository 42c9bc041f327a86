import { join, resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { defaultLimits, hubConfig } from "@linker/hub";
import { DEFAULT_PORT, linkerHome } from "@linker/protocol";
import type { GlobalOptions } from "../settings.js";

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

/** The data folder: --data-dir, else the global --home, else LINKER_HOME or ~/.linker. */
function dataDirOf(command: Command, dataDir: string): string {
  if (command.getOptionValueSource("dataDir") === "cli") return dataDir;
  const home = command.optsWithGlobals<GlobalOptions>().home;
  return home !== undefined ? resolve(home) : dataDir;
}

/** `linker hub`: runs a standalone hub until SIGTERM or SIGINT. */
export function hubCommand(): Command {
  const option = (flags: string, description: string, env: string, parse?: (v: string) => unknown, fallback?: unknown) => {
    const o = new Option(flags, description).env(env);
    if (parse) o.argParser(parse);
    if (fallback !== undefined) o.default(fallback);
    return o;
  };
  return new Command("hub")
    .summary("run a hub")
    .description("Run a Linker hub (Connect, gRPC and gRPC-Web on one port; SQLite by default)")
    .addOption(option("--host <address>", "address to bind", "LINKER_HOST", undefined, "127.0.0.1"))
    .addOption(option("--port <port>", "port to bind (0 = any free port)", "LINKER_PORT", integer(0), DEFAULT_PORT))
    .addOption(option("--data-dir <dir>", "folder holding hub.db", "LINKER_HOME", undefined, linkerHome(process.env)))
    .addOption(new Option("--store <kind>", "storage backend").choices(["sqlite", "memory"]).default("sqlite").env("LINKER_STORE"))
    .addOption(option("--hub-secret <secret>", "secret Register must present (required off loopback)", "LINKER_HUB_SECRET"))
    .addOption(option("--presence-ttl <seconds>", "seconds without stream or heartbeat before offline", "LINKER_PRESENCE_TTL", integer(1), 30))
    .addOption(
      new Option("--sqlite-synchronous <level>", "NORMAL survives crashes, FULL also power loss")
        .choices(["NORMAL", "FULL"])
        .default("NORMAL")
        .env("LINKER_SQLITE_SYNCHRONOUS"),
    )
    .addOption(
      new Option("--dashboard <who>", "who gets the web dashboard at /: this machine, anyone reaching the port, or nobody")
        .choices(["loopback", "any", "off"])
        .default("loopback")
        .env("LINKER_DASHBOARD"),
    )
    .addOption(option("--retention <seconds>", "keep read messages and old events this long", "LINKER_RETENTION", integer(60), 7 * 24 * 3600))
    .addOption(option("--max-message-bytes <n>", "largest message body + attachment", "LINKER_MAX_MESSAGE_BYTES", integer(1), defaultLimits.maxMessageBytes))
    .addOption(option("--max-memory-value-bytes <n>", "largest memory value", "LINKER_MAX_MEMORY_VALUE_BYTES", integer(1), defaultLimits.maxMemoryValueBytes))
    .addOption(option("--max-backlog <n>", "unread messages stored per instance", "LINKER_MAX_BACKLOG", integer(1), defaultLimits.maxBacklogPerInstance))
    .addOption(option("--subscriber-buffer <n>", "events buffered per subscriber before it is cut off", "LINKER_SUBSCRIBER_BUFFER", integer(1), defaultLimits.subscriberBufferEvents))
    .addOption(option("--ask-timeout <ms>", "Ask wait when the request gives none", "LINKER_ASK_TIMEOUT_MS", integer(1), defaultLimits.askDefaultTimeoutMs))
    .addOption(option("--ask-max-timeout <ms>", "longest Ask wait allowed", "LINKER_ASK_MAX_TIMEOUT_MS", integer(1), defaultLimits.askMaxTimeoutMs))
    .addOption(option("--send-rate <n>", "messages/s one instance may send (0 = unlimited)", "LINKER_SEND_RATE", integer(0), defaultLimits.sendRatePerSecond))
    .addOption(option("--send-burst <n>", "burst above the send rate", "LINKER_SEND_BURST", integer(1), defaultLimits.sendBurst))
    .addOption(new Option("--fault-drop-every-nth <n>", "test only: drop every Nth direct message").argParser(integer(0)).default(0).hideHelp())
    .addOption(new Option("--fault-ignore-memory-revision", "test only: ignore expected_revision").default(false).hideHelp())
    .addHelpText(
      "after",
      `
Examples:
  linker hub                              # 127.0.0.1:3847, SQLite at ~/.linker/hub.db
  linker hub --port 0 --store memory      # throwaway hub on a free port
  LINKER_HOME=/tmp/team linker hub        # another data folder`,
    )
    .action(async (opts, command: Command) => {
      const { createLogger } = await import("@linker/hub");
      const { startHub } = await import("@linker/hub");
      const { mcpHttpEndpoint } = await import("@linker/mcp");
      const config = hubConfig({
        host: opts.host,
        port: opts.port,
        dataDir: dataDirOf(command, opts.dataDir),
        store: opts.store,
        hubSecret: opts.hubSecret,
        presenceTtlSeconds: opts.presenceTtl,
        sqliteSynchronous: opts.sqliteSynchronous,
        retentionSeconds: opts.retention,
        dashboard: opts.dashboard,
        limits: {
          maxMessageBytes: opts.maxMessageBytes,
          maxMemoryValueBytes: opts.maxMemoryValueBytes,
          maxBacklogPerInstance: opts.maxBacklog,
          subscriberBufferEvents: opts.subscriberBuffer,
          askDefaultTimeoutMs: opts.askTimeout,
          askMaxTimeoutMs: opts.askMaxTimeout,
          sendRatePerSecond: opts.sendRate,
          sendBurst: opts.sendBurst,
        },
        faults: { dropEveryNthMessage: opts.faultDropEveryNth, ignoreMemoryRevision: opts.faultIgnoreMemoryRevision },
      });
      const logger = createLogger();
      let running;
      try {
        running = await startHub(config, {
          logger,
          httpHandler: mcpHttpEndpoint({ dataDir: join(config.dataDir, "mcp-http-sessions"), secret: config.hubSecret }),
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const reason = code === "EADDRINUSE" ? `port ${config.port} is in use (is another hub running?)` : (err as Error).message;
        process.stderr.write(`linker hub: ${reason}\n`);
        process.exit(code === "EADDRINUSE" ? 3 : 1);
      }
      process.stdout.write(`linker hub listening on ${running.url} (${config.store}${config.store === "sqlite" ? `: ${config.dataDir}/hub.db` : ""})\n`);
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
