import type { EventStore, FireTimer, RecordedEvent } from '@wfnet/domain';
import { CASE_STREAM_PREFIX, IllegalStateError, StoreUnavailableError } from '@wfnet/domain';
import type { StoreFollower } from '../followers/followers.js';
import { StoreFeed } from '../followers/store-feed.js';
import { DEFAULT_CLAIM_LEASE_MS, SOLE_PROCESS_CLAIMS } from '../executors/work-claims.js';
import type { WorkClaims } from '../executors/work-claims.js';

/** A pending timer as the due-timer index (a read model) lists it. */
export interface DueTimer {
  readonly id: string;
  readonly caseId: string;
  readonly dueAt: string;
}

/** The due-timer index, read on disk at each round: the scheduler holds no timer beyond the batch it fires. */
export interface DueTimerIndex {
  /** Pending timers due at `at` or before, earliest first, at most `limit`. */
  dueTimers(at: string, limit: number): readonly DueTimer[];
  /** The due time of the earliest pending timer, if any. */
  nextTimerDue(): string | null | undefined;
}

/** The service's time as the scheduler reads it; a manual clock wakes it when moved. */
export interface SchedulerClock {
  readonly mode: 'system' | 'manual';
  now(): Date;
  onMove(listener: () => void): () => void;
}

/** How the scheduler fires: the service's defaults suit production, tests pass smaller ones. */
export interface TimerSchedulerOptions {
  /** Most `FireTimer` commands under way at once; also the size of a round's query. */
  readonly concurrency?: number;
  /** How long a timer whose tokens a competitor holds, or that the store could not take, waits before it is fired again. */
  readonly busyRetryMs?: number;
  /**
   * How long a claim on a timer lasts: past it, another process may fire the timer this one is firing
   * (which the case makes a no-op), so it only needs to outlast a firing and its projection.
   */
  readonly claimLeaseMs?: number;
}

export interface TimerSchedulerDeps extends TimerSchedulerOptions {
  readonly store: EventStore;
  readonly index: DueTimerIndex;
  /** Resolves once the index has projected the store up to `position` (rejects if it lags too long). */
  projected(position: bigint): Promise<void>;
  fire(command: FireTimer): Promise<{ readonly position: bigint; readonly appended: number }>;
  readonly clock: SchedulerClock;
  readonly log: { warn(message: string): void; error(message: string): void };
  /** Told of each timer that fired, with how late (seconds by the service's clock). */
  readonly onFired?: (lagSeconds: number) => void;
  /** Who fires a timer when several processes follow the store; without them this process fires all. */
  readonly claims?: WorkClaims;
}

/** The longest a sleep lasts with the system clock: a wake-up missed for any reason is made up this soon. */
const MAX_SLEEP_MS = 30_000;
/** How long a timer refused for another reason than busy tokens, or found pending after firing, waits. */
const REFUSED_RETRY_MS = 60_000;
/** How soon to look again when a due timer may hide behind held-back ones. */
const DUE_RECHECK_MS = 100;
/** Node's longest timeout. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Timers fired in one round: those that took a position, the claims held for them, the last position. */
interface FiredBatch {
  readonly ids: Set<string>;
  readonly claimed: string[];
  upTo: bigint;
}

/**
 * Fires the timers as they fall due. The due-timer index is a read model, so the scheduler starts once
 * the read models have caught up and first fires every timer due meanwhile (one that fell due while the
 * service was stopped fires at once); then it sleeps until the next due time, waking early when a new
 * timer is projected (it follows the store for `TimerScheduled`) or when a manual clock moves. Firing is
 * idempotent in the case (`FireTimer` has its effect only while the timer is pending), so a timer fired
 * twice, by a crash or by two processes, has its effect once. Processes sharing a store also claim a
 * timer before they fire it, so that one does the work; the claim is released once the firing is projected,
 * or another process whose index (read at the same time) still lists the timer would fire it again.
 */
export class TimerScheduler implements StoreFollower {
  readonly id = 'timers';
  readonly #feed: StoreFeed;
  readonly #concurrency: number;
  readonly #busyRetryMs: number;
  readonly #claims: WorkClaims;
  readonly #claimsShared: boolean;
  readonly #claimLeaseMs: number;
  /** Timers not to fire again before a time of the machine's clock (ms): refused, or not taking effect. */
  readonly #heldBack = new Map<string, number>();
  #lastSeen = 0n;
  #loop: Promise<void> | undefined;
  #stopped = true;
  #woken = false;
  #wake: (() => void) | undefined;
  #stopListening: (() => void) | undefined;

  constructor(private readonly deps: TimerSchedulerDeps) {
    this.#concurrency = deps.concurrency ?? 256;
    this.#busyRetryMs = deps.busyRetryMs ?? 1000;
    this.#claims = deps.claims ?? SOLE_PROCESS_CLAIMS;
    this.#claimsShared = this.#claims !== SOLE_PROCESS_CLAIMS;
    this.#claimLeaseMs = deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
    this.#feed = new StoreFeed(
      deps.store,
      { position: () => this.#lastSeen, handle: (batch) => this.#handleBatch(batch) },
      {
        streamPrefixes: [CASE_STREAM_PREFIX],
        // Only the events' types and positions are read.
        dataOf: [],
        maxBatch: 1000,
        onFailure: (error) =>
          deps.log.error(
            `timers: following the store failed at position ${this.#lastSeen}: ${error.message}`,
          ),
      },
    );
  }

  get position(): bigint {
    return this.#lastSeen;
  }

  get following(): boolean {
    return this.#feed.following;
  }

  get lastError(): Error | undefined {
    return this.#feed.lastError;
  }

  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    // The index holds every timer scheduled so far: only new ones need following, to wake for them.
    this.#lastSeen = await this.deps.store.headPosition();
    this.#feed.start();
    this.#stopListening = this.deps.clock.onMove(() => this.#wakeUp());
    this.#loop = this.deps
      .projected(this.#lastSeen)
      .catch((error: unknown) =>
        this.deps.log.warn(`timers: the index is behind the store: ${String(error)}`),
      )
      .then(() => this.#run());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopListening?.();
    this.#wakeUp();
    await this.#feed.stop();
    await this.#loop;
    this.#heldBack.clear();
  }

  async #handleBatch(batch: readonly RecordedEvent[]): Promise<void> {
    const last = batch.at(-1);
    if (!last) return;
    if (batch.some(({ type }) => type === 'TimerScheduled')) {
      // Woken once the index has the new timers, or the sleep would not know of them.
      await this.deps.projected(last.position).catch(() => undefined);
      this.#wakeUp();
    }
    this.#lastSeen = last.position;
  }

  #wakeUp(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      this.#woken = false;
      try {
        await this.#fireDue();
      } catch (error) {
        this.deps.log.error(`timers: firing due timers failed: ${String(error)}`);
        await this.#sleep(this.#busyRetryMs);
        continue;
      }
      if (this.#stopped) return;
      // Something came up while firing (a new timer, the clock moved): look again at once.
      if (this.#woken) continue;
      await this.#sleep(this.#untilNext());
    }
  }

  /**
   * Fires every due timer, a bounded batch at a time. While one batch is being projected the next is
   * fired, so the index and the firing overlap (the index may be another thread's work); the batch
   * listed then leaves out the timers still awaiting their projection. Once a batch is projected, a timer
   * of it the index still lists did not take effect: it is held back rather than fired in a loop.
   */
  async #fireDue(): Promise<void> {
    let awaiting: FiredBatch | undefined;
    let projected = new Set<string>();
    try {
      while (!this.#stopped) {
        const now = this.deps.clock.now();
        const at = now.toISOString();
        const clockMs = Date.now();
        const skipped = awaiting?.ids.size ?? 0;
        const listed = this.deps.index.dueTimers(at, this.#concurrency + this.#heldBack.size + skipped);
        const due: DueTimer[] = [];
        for (const timer of listed) {
          if (due.length === this.#concurrency) break;
          if (awaiting?.ids.has(timer.id) || (this.#heldBack.get(timer.id) ?? 0) > clockMs) continue;
          if (projected.has(timer.id)) {
            // Fired and projected, yet still pending in the index: it did not take effect. Later, not in a loop.
            this.#holdBack(timer.id, REFUSED_RETRY_MS, `timer ${timer.id} is still pending after firing`);
            continue;
          }
          due.push(timer);
        }
        if (due.length === 0 && awaiting === undefined) return;
        const before = awaiting;
        awaiting = due.length === 0 ? undefined : await this.#fireBatch(due, at, now);
        if (before !== undefined) projected = await this.#projectedBatch(before);
      }
    } finally {
      if (awaiting !== undefined) await this.#release(awaiting.claimed);
    }
  }

  async #fireBatch(due: readonly DueTimer[], at: string, now: Date): Promise<FiredBatch> {
    const batch = { ids: new Set<string>(), claimed: [] as string[], upTo: 0n };
    await Promise.all(
      due.map(async (timer) => {
        if (this.#claimsShared) {
          if (!(await this.#claim(timer.id))) return;
          batch.claimed.push(timer.id);
        }
        const position = await this.#fire(timer, at, now);
        if (position === undefined) return;
        batch.ids.add(timer.id);
        if (position > batch.upTo) batch.upTo = position;
      }),
    );
    return batch;
  }

  /** Waits for the batch's firings to reach the index, then lets go of its claims; answers its timers. */
  async #projectedBatch(batch: FiredBatch): Promise<Set<string>> {
    try {
      if (batch.upTo > 0n) await this.deps.projected(batch.upTo);
    } finally {
      await this.#release(batch.claimed);
    }
    return batch.ids;
  }

  /** Whether this process may fire the timer now; one another process holds is held back meanwhile. */
  async #claim(timerId: string): Promise<boolean> {
    try {
      if (await this.#claims.claim(`timer:${timerId}`, this.#claimLeaseMs)) return true;
      // Once the other process's firing is projected the index no longer lists it; should that process
      // die first, its claim runs out and this one fires the timer.
      this.#holdBack(timerId, this.#busyRetryMs);
    } catch (error) {
      this.#holdBack(timerId, this.#busyRetryMs, `timer ${timerId} could not be claimed: ${String(error)}`);
    }
    return false;
  }

  async #release(timerIds: readonly string[]): Promise<void> {
    await Promise.all(
      timerIds.map((timerId) =>
        this.#claims
          .release(`timer:${timerId}`)
          .catch((error: unknown) =>
            this.deps.log.warn(`timers: the claim on timer ${timerId} was not released: ${String(error)}`),
          ),
      ),
    );
  }

  /** Sends `FireTimer`; answers the position of what it appended, undefined when refused. */
  async #fire(timer: DueTimer, at: string, now: Date): Promise<bigint | undefined> {
    try {
      const { position, appended } = await this.deps.fire({
        type: 'FireTimer',
        data: { caseId: timer.caseId, timerId: timer.id, at },
      });
      this.#heldBack.delete(timer.id);
      if (appended > 0) this.deps.onFired?.((now.getTime() - Date.parse(timer.dueAt)) / 1000);
      return position;
    } catch (error) {
      if (error instanceof IllegalStateError && error.code === 'tokens_not_available') {
        this.#holdBack(timer.id, this.#busyRetryMs);
      } else if (error instanceof StoreUnavailableError) {
        // A database restarting or a moment without connections: the timer is due, so soon again.
        this.#holdBack(timer.id, this.#busyRetryMs, `timer ${timer.id} could not be fired: ${error.message}`);
      } else {
        this.#holdBack(timer.id, REFUSED_RETRY_MS, `timer ${timer.id} was refused: ${String(error)}`);
      }
      return undefined;
    }
  }

  #holdBack(timerId: string, ms: number, warning?: string): void {
    if (warning !== undefined) this.deps.log.warn(`timers: ${warning}; trying again in ${ms / 1000} s`);
    this.#heldBack.set(timerId, Date.now() + ms);
  }

  /** Milliseconds (by the machine's clock) until the next timer falls due or a held-back one may go again. */
  #untilNext(): number {
    let wait = this.deps.clock.mode === 'system' ? MAX_SLEEP_MS : Infinity;
    const clockMs = Date.now();
    for (const [id, until] of this.#heldBack) {
      if (until <= clockMs) this.#heldBack.delete(id);
      wait = Math.min(wait, Math.max(0, until - clockMs));
    }
    const next = this.deps.index.nextTimerDue();
    // A manual clock stands still: its timers fall due only when it moves, which wakes the scheduler.
    if (next && this.deps.clock.mode === 'system') {
      const untilDue = Date.parse(next) - this.deps.clock.now().getTime();
      // Due already: either held back (its hold is counted above) or fallen due since the round; look soon.
      wait = Math.min(wait, untilDue > 0 ? untilDue : this.#heldBack.size === 0 ? 0 : DUE_RECHECK_MS);
    }
    return wait;
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#stopped || this.#woken) return;
    await new Promise<void>((resolve) => {
      const timeout = Number.isFinite(ms) ? setTimeout(resolve, Math.min(ms, MAX_TIMEOUT_MS)) : undefined;
      this.#wake = () => {
        clearTimeout(timeout);
        resolve();
      };
    });
    this.#wake = undefined;
  }
}
