import type { StoreFollower } from '../followers/followers.js';
import { READ_MODELS } from './read-store.js';

/** The read models have not reached the position a read asked for in time (503 `projection_lagging`). */
export class ProjectionLaggingError extends Error {
  override readonly name = 'ProjectionLaggingError';
  readonly code = 'projection_lagging';
  readonly statusCode = 503;
  constructor(
    readonly target: bigint,
    readonly reached: bigint,
    reason: string,
  ) {
    super(`the read models are at position ${reached}, not yet at ${target}: ${reason}`);
  }
}

export interface CatchUpProgress {
  /** Events read since the catch-up began. */
  readonly events: number;
  readonly position: bigint;
  /** The store's last position when the catch-up began. */
  readonly head: bigint;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
  readonly done: boolean;
}

interface Waiter {
  readonly position: bigint;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export const DEFAULT_WAIT_MS = 5000;

/**
 * How long a read without `waitFor` waits for the read models to reach what this process had committed
 * when the read came. A client that reads after its own command then sees it, unless the read models are
 * that far behind; a read never fails for it.
 */
const SETTLE_MS = 500;

/**
 * The service's read models' `gatherMs`. A read-model transaction per small commit slowed the event
 * store's own commits, which wait on the same disk (seq3-serial: the slowest tenth of commits 0.7 → 0.4 ms,
 * ≈ 335 → ≈ 380 cases/s). Reads still see what was committed before them (`settled`).
 */
export const GATHER_MS = 5;

/**
 * What keeps the read models up to date, in this thread (`ProjectionRunner`) or in one of its own
 * (`ProjectionThread`), as the rest of the service sees it: where the read models are, reads that wait
 * for a position, start, stop and rebuild.
 */
export abstract class ReadModelRunner implements StoreFollower {
  readonly id = READ_MODELS;
  readonly #waiters = new Set<Waiter>();
  #position: bigint;
  #exclusive: Promise<unknown> = Promise.resolve();

  constructor(position: bigint) {
    this.#position = position;
  }

  /** The position of the last event the read models reflect. */
  get position(): bigint {
    return this.#position;
  }

  abstract readonly following: boolean;
  /** The last failure while following, until the next batch succeeds. */
  abstract readonly lastError: Error | undefined;
  /** Catches up with the store (resolving then), and goes on following it live until `stop`. */
  abstract start(onProgress?: (progress: CatchUpProgress) => void): Promise<void>;
  /** Stops following; pending `waitFor` calls fail at once instead of at their timeout. */
  abstract stop(): Promise<void>;
  /**
   * Drops every read model and replays the whole store from position 0, then follows again if it was
   * following. Reads meanwhile see partial models; `waitFor` waits for the replay to pass its position.
   */
  abstract rebuild(onProgress?: (progress: CatchUpProgress) => void): Promise<CatchUpProgress>;

  /**
   * Resolves once the read models reflect every event up to `position` (read-your-writes); fails with
   * `ProjectionLaggingError` after `timeoutMs`.
   */
  waitFor(position: bigint, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    if (position <= this.#position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        position,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new ProjectionLaggingError(position, this.#position, `waited ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** What a read without `waitFor` waits for: `settleTarget`, at most `SETTLE_MS`. Never fails. */
  settled(): Promise<void> {
    const target = this.settleTarget();
    return target === undefined ? Promise.resolve() : this.waitFor(target, SETTLE_MS).catch(() => undefined);
  }

  /** What this process had committed, when the runner knows it and is following; nothing by default. */
  protected settleTarget(): bigint | undefined {
    return undefined;
  }

  /** The read models are at `position` now: reads waiting for it go on. */
  protected moveTo(position: bigint): void {
    this.#position = position;
    for (const waiter of this.#waiters) {
      if (waiter.position > position) continue;
      clearTimeout(waiter.timer);
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }

  /** Start, stop and rebuild never overlap: each waits for the one before. */
  protected serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#exclusive.then(operation);
    this.#exclusive = result.catch(() => undefined);
    return result;
  }

  /** Every read still waiting fails at once, for `reason`. */
  protected failWaiters(reason: string): void {
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new ProjectionLaggingError(waiter.position, this.#position, reason));
    }
    this.#waiters.clear();
  }
}

export function describeProgress(what: string, p: CatchUpProgress): string {
  const seconds = (p.elapsedMs / 1000).toFixed(1);
  const share = p.head > 0n ? ` (${((Number(p.position) / Number(p.head)) * 100).toFixed(1)} %)` : '';
  return `${what}: ${p.events} events to position ${p.position} of ${p.head}${share} in ${seconds} s, ${p.eventsPerSecond} events/s`;
}
