/** What the `linker` command's exit status means. */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** Bad usage or invalid input (nothing was changed). */
  usage: 1,
  /** No such instance, message, key or task. */
  notFound: 2,
  /** The hub cannot be reached, or nobody can answer now (Ask to an offline instance). */
  unavailable: 3,
  /** Conflict: revision mismatch, task already claimed or not in a state that allows it. */
  conflict: 4,
  /** Permission or authentication: the name belongs to another session, or the hub needs its secret. */
  denied: 5,
  /** A hub limit was hit (message size, backlog, rate). */
  limit: 6,
  /** A wait ran out (Ask without a reply in time). */
  timeout: 7,
  /** Anything else (a bug, an incompatible hub). */
  internal: 8,
} as const;

/** One line per exit status, for `linker --help`. */
export const EXIT_CODE_HELP = `Exit status:
  0  ok
  1  usage error or invalid input (nothing was changed)
  2  not found (instance, message, memory key, task)
  3  hub unreachable, or nobody can answer now
  4  conflict (memory revision mismatch, task already claimed or in the wrong state)
  5  permission denied (the name belongs to another session, the hub needs its secret)
  6  a hub limit was hit (size, backlog, rate)
  7  timed out (ask got no reply in time)
  8  unexpected error`;
