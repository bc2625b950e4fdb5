export interface PollOptions {
  /** Give up after this long; the last value seen goes into the error. */
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/**
 * Asks `probe` again and again until `accept` holds for its answer, and answers that value. Bounded: after
 * `timeoutMs` it throws with the last answer, so a stuck case fails the test with something to read.
 */
export async function until<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 5000, intervalMs = 15 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() >= deadline) {
      throw new Error(`still not there after ${timeoutMs} ms; last answer: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
