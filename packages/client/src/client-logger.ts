/** Where a client's log lines go; pino loggers fit. */
export interface ClientLogger {
  debug(details: object, message?: string): void;
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
}

/** A logger that drops everything. */
export const SILENT_LOGGER: ClientLogger = { debug() {}, info() {}, warn() {}, error() {} };
