/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Polls `condition` every few milliseconds; resolves true once it holds, false at the deadline. */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

/**
 * Waits until `count()` has not changed for `quietMs` (or `timeoutMs` passed),
 * so a burst of setup events has drained before a measurement starts.
 */
export async function waitForQuiet(count: () => number, quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = count();
  let since = performance.now();
  while (performance.now() < deadline) {
    await sleep(20);
    const now = count();
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) {
      return;
    }
  }
}

/** Outcome of a closed-loop run. */
export interface ClosedLoopResult {
  /** Operations that succeeded. */
  ok: number;
  /** Operations that failed. */
  errors: number;
  /** The first failure, if any. */
  firstError?: string;
  /** Wall time of the run, seconds. */
  seconds: number;
  /** Successful operations per second. */
  perSecond: number;
}

/**
 * Runs `op` from `concurrency` workers, each starting its next call as soon as
 * the previous one finished, until `durationMs` passed or `maxOps` calls were
 * started. Stops by itself; failures are counted, not thrown.
 */
export async function runClosedLoop(
  options: { concurrency: number; durationMs: number; maxOps: number },
  op: (index: number) => Promise<void>,
): Promise<ClosedLoopResult> {
  let started = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const begin = performance.now();
  const deadline = begin + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline && started < options.maxOps) {
      const index = started++;
      try {
        await op(index);
        ok += 1;
      } catch (err) {
        errors += 1;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - begin) / 1000;
  return { ok, errors, firstError, seconds, perSecond: ok / seconds };
}

/** Outcome of an open-loop run. */
export interface OpenLoopResult {
  /** Calls started. */
  started: number;
  /** Calls that failed. */
  errors: number;
  /** The first failure, if any. */
  firstError?: string;
  /** How late each call started against its schedule, milliseconds. */
  startLagMs: number[];
}

/**
 * Starts call `i` at `start + i / ratePerSecond` whatever happened to earlier
 * calls (open loop: a slow server does not slow the offered load), `count`
 * calls in all, and resolves once every call settled.
 */
export async function runOpenLoop(
  options: { ratePerSecond: number; count: number },
  op: (index: number) => Promise<void>,
): Promise<OpenLoopResult> {
  const intervalMs = 1000 / options.ratePerSecond;
  const begin = performance.now() + 20;
  const calls: Promise<void>[] = [];
  const startLagMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  while (calls.length < options.count) {
    const due = Math.min(options.count, Math.floor((performance.now() - begin) / intervalMs) + 1);
    while (calls.length < due) {
      const index = calls.length;
      startLagMs.push(performance.now() - (begin + index * intervalMs));
      calls.push(
        op(index).catch((err: unknown) => {
          errors += 1;
          firstError ??= err instanceof Error ? err.message : String(err);
        }),
      );
    }
    await sleep(1);
  }
  await Promise.all(calls);
  return { started: calls.length, errors, firstError, startLagMs };
}
