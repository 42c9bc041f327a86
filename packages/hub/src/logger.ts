import { pino } from "pino";

/** What the hub logs through: structured lines at four levels (pino loggers fit). */
export interface HubLogger {
  debug(details: object, message?: string): void;
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
  /** Whether lines at `level` are written (pino loggers have it); callers skip building details otherwise. */
  isLevelEnabled?(level: string): boolean;
}

/** A structured JSON logger writing to stderr (stdout may carry a protocol). */
export function createLogger(level: string = process.env.LINKER_LOG_LEVEL ?? "info"): HubLogger & pino.Logger {
  return pino({ level, base: { component: "linker-hub" }, redact: ["req.headers.authorization", "token", "sessionToken"] }, pino.destination(2));
}
