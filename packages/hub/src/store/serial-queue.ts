/**
 * Runs async jobs one at a time, in the order they were queued. A failing job
 * rejects only its own promise.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `job` and resolves with its result once every earlier job has finished. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
