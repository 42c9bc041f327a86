/** A failure the command line detected itself, with the exit status it means and advice. */
export class CliError extends Error {
  constructor(
    message: string,
    /** Exit status (see ExitCode). */
    readonly exitCode: number,
    /** What to do about it. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}
