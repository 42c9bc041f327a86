import { terminalSafe } from "@linker/protocol";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MemoryConflict } from "@linker/protocol/gen/linker/v1/memory_pb.js";
import { LinkerError } from "@linker/client";
import { CliError } from "./cli-error.js";
import { ExitCode } from "./exit-codes.js";

/** Advice in terms of linker commands, by "<rpc> <code>", where the library's is phrased for API users. */
const CLI_HINTS: Record<string, string> = {
  [`Send ${Code.NotFound}`]: "see who is registered with `linker ls`",
  [`Ask ${Code.NotFound}`]: "see who is registered with `linker ls`",
  [`Ask ${Code.Unavailable}`]: "use `linker send` to leave a message it reads when it comes back",
  [`Ask ${Code.DeadlineExceeded}`]: "the question stays in its inbox; a late reply shows in `linker inbox`",
  [`ClaimTask ${Code.FailedPrecondition}`]: "`linker task ls --open` lists tasks nobody has yet",
  [`UpdateTask ${Code.FailedPrecondition}`]: "see the task's state with `linker task show <id>`",
  [`UpdateTask ${Code.Aborted}`]: "the task changed meanwhile: check it with `linker task show <id>` and retry with its revision",
  [`CancelTask ${Code.FailedPrecondition}`]: "see the task's state with `linker task show <id>`",
};

/** A lost compare-and-set on a memory key, in terms of --if-revision. */
function memoryConflictText(conflict: MemoryConflict): { message: string; hint: string } {
  const { key, expectedRevision: expected, currentRevision: current } = conflict;
  if (current === 0n) return { message: `memory key "${key}" does not exist (expected revision ${expected})`, hint: "create it with --if-revision 0, or leave --if-revision out" };
  if (expected === 0n) return { message: `memory key "${key}" already exists (revision ${current})`, hint: `read it with \`linker memory get ${key}\`; overwrite with --if-revision ${current}` };
  return { message: `memory key "${key}" is at revision ${current}, not ${expected}`, hint: `somebody changed it: read it again, then retry with --if-revision ${current}` };
}

/** What went wrong and what to do, in the CLI's words. */
export function describeError(err: unknown): { message: string; hint: string | undefined } {
  if (err instanceof CliError) return { message: err.message, hint: err.hint };
  if (err instanceof LinkerError) {
    if (err.hubFailure && err.hubUrl) {
      return {
        message: `cannot reach the Linker hub at ${err.hubUrl} (${err.reason})`,
        hint: `start one with \`linker hub\`, pass another URL with --hub (LINKER_URL), or run a long-lived command (mcp, tail) with --auto-hub`,
      };
    }
    const conflict = err.memoryConflict;
    if (conflict) return memoryConflictText(conflict);
    return { message: err.reason, hint: CLI_HINTS[`${err.rpc} ${err.code}`] ?? (err.hint || undefined) };
  }
  if (err instanceof ConnectError) return { message: err.rawMessage, hint: undefined };
  return { message: err instanceof Error ? err.message : String(err), hint: undefined };
}

/** Prints `linker: <what went wrong>` and the hint on stderr; returns the exit status. */
export function reportError(err: unknown): number {
  const { message, hint } = describeError(err);
  process.stderr.write(terminalSafe(`linker: ${message}\n${hint ? `  hint: ${hint}\n` : ""}`));
  if (process.env.LINKER_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCodeFor(err);
}

/** The exit status for a failure: the one place Connect codes become exit codes. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof LinkerError && err.hubFailure) return ExitCode.unavailable;
  if (!(err instanceof ConnectError)) return ExitCode.internal;
  switch (err.code) {
    case Code.InvalidArgument:
    case Code.OutOfRange:
      return ExitCode.usage;
    case Code.NotFound:
      return ExitCode.notFound;
    case Code.Unavailable:
      return ExitCode.unavailable;
    case Code.FailedPrecondition:
    case Code.Aborted:
    case Code.AlreadyExists:
      return ExitCode.conflict;
    case Code.PermissionDenied:
    case Code.Unauthenticated:
      return ExitCode.denied;
    case Code.ResourceExhausted:
      return ExitCode.limit;
    case Code.DeadlineExceeded:
      return ExitCode.timeout;
    default:
      return ExitCode.internal;
  }
}
