import { pino, type Logger } from "pino";
import * as vscode from "vscode";
import { type ClientLogger } from "@linker/client";

/** The log lines the extension writes, on the "Claude Team" output channel. */
export interface Log {
  debug(text: string): void;
  info(text: string): void;
  warn(text: string): void;
  error(text: string): void;
}

/** Short JSON of log details: bigints as strings, errors as their message, long strings cut. */
export function compactDetails(details: object): string {
  const seen = new WeakSet<object>();
  const text = JSON.stringify(details, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (value instanceof Error) return value.message;
    if (typeof value === "string" && value.length > 300) return `${value.slice(0, 300)}…`;
    if (typeof value === "object" && value !== null) {
      if (seen.has(value)) return "[circular]";
      seen.add(value);
    }
    return value;
  });
  return text === undefined || text === "{}" ? "" : text;
}

/**
 * The output channel of the extension (Show Log): connection changes, every
 * message sent and received, auto-responder runs, and the hub's own log when
 * this window hosts it.
 */
export class OutputLog implements Log, vscode.Disposable {
  /** The channel. */
  readonly channel: vscode.LogOutputChannel;

  constructor(name = "Claude Team") {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  /** Writes a debug line. */
  debug(text: string): void {
    this.channel.debug(text);
  }

  /** Writes an info line. */
  info(text: string): void {
    this.channel.info(text);
  }

  /** Writes a warning line. */
  warn(text: string): void {
    this.channel.warn(text);
  }

  /** Writes an error line. */
  error(text: string): void {
    this.channel.error(text);
  }

  /** Reveals the channel. */
  show(): void {
    this.channel.show(true);
  }

  /** Closes the channel. */
  dispose(): void {
    this.channel.dispose();
  }
}

/** A LinkerClient logger that writes to `log`. */
export function clientLogger(log: Log): ClientLogger {
  const line = (message: string | undefined, details: object) => `client: ${message ?? ""} ${compactDetails(details)}`.trimEnd();
  return {
    debug: (details, message) => log.debug(line(message, details)),
    info: (details, message) => log.info(line(message, details)),
    warn: (details, message) => log.warn(line(message, details)),
    error: (details, message) => log.error(line(message, details)),
  };
}

/** A logger whose info lines are just their message (for lines written to be read, such as the hosting choice). */
export function messageLogger(log: Log): ClientLogger {
  const line = (message: string | undefined, details: object) => `${message ?? ""} ${compactDetails(details)}`.trim();
  return {
    debug: (details, message) => log.debug(line(message, details)),
    info: (_details, message) => log.info(message ?? ""),
    warn: (details, message) => log.warn(line(message, details)),
    error: (details, message) => log.error(line(message, details)),
  };
}

/** A pino logger for a hub this window hosts, writing its JSON lines to `log` as short text. */
export function hubLogger(log: Log, level = "info"): Logger {
  return pino(
    { level, base: undefined, timestamp: false, redact: ["req.headers.authorization", "token", "sessionToken"] },
    {
      write(json: string) {
        let entry: { level?: number; msg?: string; [key: string]: unknown };
        try {
          entry = JSON.parse(json) as typeof entry;
        } catch {
          log.info(`hub: ${json.trim()}`);
          return;
        }
        const { level: severity = 30, msg = "", ...rest } = entry;
        const text = `hub: ${msg} ${compactDetails(rest)}`.trimEnd();
        if (severity >= 50) log.error(text);
        else if (severity >= 40) log.warn(text);
        else if (severity >= 30) log.info(text);
        else log.debug(text);
      },
    },
  );
}
