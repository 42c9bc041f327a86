import { type ChildProcess, spawn } from "node:child_process";

/**
 * Runs a program in a pseudo-terminal: python's pty.fork, a 120×40 window,
 * everything the program draws relayed to our stdout pipe and our stdin
 * written to its terminal. Claude Code's interactive mode (and so channels)
 * needs a terminal.
 */
const PTY_RELAY = `
import fcntl, os, pty, select, signal, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
stdin = sys.stdin.fileno()
open_stdin = True
while True:
    readable = [fd] + ([stdin] if open_stdin else [])
    try:
        ready, _, _ = select.select(readable, [], [], 0.5)
    except InterruptedError:
        continue
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        os.write(sys.stdout.fileno(), data)
    if open_stdin and stdin in ready:
        data = os.read(stdin, 65536)
        if not data:
            open_stdin = False
        else:
            os.write(fd, data)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else 0)
`;

/** A program running in a pseudo-terminal. */
export interface PtySession {
  /** The relay process. */
  readonly child: ChildProcess;
  /** Everything drawn so far, with terminal escape sequences removed. */
  screen(): string;
  /** Types text into the terminal (use "\r" for Enter). */
  type(text: string): void;
  /** Resolves once the screen matches `pattern`; rejects after `timeoutMs` or when the program ends. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Ends the program (SIGTERM, then SIGKILL) and waits for it. */
  stop(): Promise<void>;
}

/**
 * Terminal output as text: a cursor move right becomes spaces, a move to a column one space (the
 * renderer may skip blank cells either way, so match words with `\s*` between them), every other
 * escape sequence (colors, moves) is removed.
 */
export function stripAnsi(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\u001B\[(\d*)C/g, (_, n: string) => " ".repeat(Math.min(Number(n || "1"), 200)))
      // eslint-disable-next-line no-control-regex
      .replace(/\u001B\[\d*G/g, " ")
      // eslint-disable-next-line no-control-regex
      .replace(/\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(\u0007|\u001B\\)|\u001B[@-Z\\-_]/g, "")
  );
}

/** Starts `command args…` in a pseudo-terminal with `env`, in `cwd`. */
export function startPtySession(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): PtySession {
  const child = spawn("python3", ["-c", PTY_RELAY, command, ...args], { cwd: options.cwd, env: { TERM: "xterm-256color", ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
  let raw = "";
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    raw += chunk;
    wake();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    raw += chunk;
    wake();
  });
  const exited = new Promise<void>((done) =>
    child.once("exit", () => {
      ended = true;
      wake();
      done();
    }),
  );
  const screen = () => stripAnsi(raw);
  return {
    child,
    screen,
    type: (text) => {
      if (!ended) child.stdin!.write(text);
    },
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out waiting for ${pattern} on the terminal:\n${screen().slice(-2000)}`)), timeoutMs);
        const check = () => {
          if (pattern.test(screen())) finish();
          else if (ended) finish(new Error(`the program ended before ${pattern} showed:\n${screen().slice(-2000)}`));
        };
        const finish = (err?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve();
        };
        waiters.add(check);
        check();
      }),
    stop: async () => {
      if (!ended) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
