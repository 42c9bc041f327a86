import { pino, type Logger } from "pino";

/** A structured JSON logger writing to stderr (stdout may carry a protocol). */
export function createLogger(level: string = process.env.LINKER_LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { component: "linker-hub" }, redact: ["req.headers.authorization", "token", "sessionToken"] }, pino.destination(2));
}
