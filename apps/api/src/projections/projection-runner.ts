import type { RecordedEvent } from '@wfnet/domain';
import type { View } from '@wfnet/projections';
import { readModelViews } from '@wfnet/projections';
import { StoreFeed } from '../followers/store-feed.js';
import { ParallelReplay } from './parallel-replay.js';
import type { ParallelReplayOptions } from './parallel-replay.js';
import { Projector } from './projector.js';
import type { CatchUpProgress } from './read-model-runner.js';
import { ReadModelRunner, describeProgress } from './read-model-runner.js';
import type { ReadStore } from './read-store.js';
import type { FollowedEvents } from './sqlite-event-reader.js';

export interface ProjectionRunnerOptions {
  readonly views?: readonly View[];
  /** Most events applied in one transaction while catching up (the page size of the reads). */
  readonly batchSize?: number;
  /**
   * Most events applied in one transaction while following: smaller, because a batch holds the event
   * loop (and the requests it serves) for as long as it takes.
   */
  readonly followBatchSize?: number;
  /** Documents kept in memory per read model between batches: between this many and twice as many. */
  readonly cacheSize?: number;
  /**
   * The same while catching up or rebuilding (then dropped): a replay touches far more documents, and
   * each one evicted too early is read back from the read store.
   */
  readonly catchUpCacheSize?: number;
  /**
   * While following, under a steady stream of small commits, the least time between the starts of two
   * batches (see `StoreFeedOptions.gatherMs`): events wait up to this long and go in fewer, larger
   * transactions. A few commits in a row, or the first after a quiet spell, are applied at once. 0 (the
   * default) applies each burst as soon as it is read.
   */
  readonly gatherMs?: number;
  /**
   * What this process has committed: a read without `waitFor` waits for the read models to reach it, at
   * most `SETTLE_MS`. Absent, such a read waits for nothing.
   */
  readonly settleTo?: () => bigint;
  /** Pause before following again after a failure. */
  readonly retryDelayMs?: number;
  readonly log?: (line: string) => void;
  /** Where failures go; to `log` when not given. */
  readonly warn?: (line: string) => void;
  /** Told each time the read models reach a further position (or go back to 0 for a rebuild). */
  readonly onPosition?: (position: bigint) => void;
  /**
   * How to catch up on worker threads when far behind, or `false` never to. Only SQLite files for both
   * the events and the read models, and the standard views, allow it; the defaults suit a whole replay.
   */
  readonly parallelReplay?: ParallelReplayOptions | false;
}

/**
 * Keeps the read models up to date: catches up from its checkpoint by pages, then follows the store
 * live. Each batch of events is applied to the documents it touches and written with the checkpoint in
 * one transaction, so a crash loses a whole batch or nothing; on restart the batch is applied again
 * from the checkpoint. Events at or below a document's last revision are skipped, so redelivery is
 * harmless too.
 */
export class ProjectionRunner extends ReadModelRunner {
  readonly #projector: Projector;
  readonly #replay: ParallelReplay | undefined;
  readonly #cacheSize: number;
  readonly #catchUpCacheSize: number;
  readonly #batchSize: number;
  readonly #feed: StoreFeed;
  readonly #log: (line: string) => void;
  readonly #warn: (line: string) => void;
  readonly #onPosition: ((position: bigint) => void) | undefined;
  readonly #settleTo: (() => bigint) | undefined;

  constructor(
    private readonly store: FollowedEvents,
    private readonly readStore: ReadStore,
    options: ProjectionRunnerOptions = {},
  ) {
    super(readStore.checkpoint());
    this.#batchSize = options.batchSize ?? 50_000;
    this.#cacheSize = options.cacheSize ?? 10_000;
    this.#catchUpCacheSize = options.catchUpCacheSize ?? 20_000;
    this.#projector = new Projector(
      options.views ?? readModelViews,
      (table, id) => readStore.get(table, id),
      this.#cacheSize,
    );
    // The threads project the standard views: they cannot be handed others.
    this.#replay =
      options.parallelReplay === false || options.views !== undefined
        ? undefined
        : ParallelReplay.for(store, readStore, options.parallelReplay);
    this.#log = options.log ?? (() => undefined);
    this.#warn = options.warn ?? this.#log;
    this.#onPosition = options.onPosition;
    this.#settleTo = options.settleTo;
    this.#feed = new StoreFeed(
      store,
      { position: () => this.position, handle: (batch) => this.apply(batch) },
      {
        maxBatch: options.followBatchSize ?? Math.min(this.#batchSize, 2000),
        gatherMs: options.gatherMs ?? 0,
        retryDelayMs: options.retryDelayMs ?? 1000,
        onFailure: (error) =>
          this.#warn(
            `read models: following the store failed at position ${this.position}: ${error.message}`,
          ),
      },
    );
  }

  get following(): boolean {
    return this.#feed.following;
  }

  get lastError(): Error | undefined {
    return this.#feed.lastError;
  }

  async start(onProgress?: (progress: CatchUpProgress) => void): Promise<void> {
    await this.serially(async () => {
      if (this.#feed.following) return;
      this.moveTo(this.readStore.checkpoint());
      const head = await this.store.headPosition();
      if (this.position > head) {
        // The store behind the read models is not the one they were built from (it was replaced or wiped).
        this.#log(`read models: checkpoint ${this.position} is past the store's head ${head}; rebuilding`);
        this.readStore.reset();
        this.moveTo(0n);
      }
      const progress = await this.#catchUp(onProgress);
      if (progress.events > 0) this.#log(describeProgress('read models caught up', progress));
      this.#feed.start();
    });
  }

  protected override settleTarget(): bigint | undefined {
    return this.#feed.following ? this.#settleTo?.() : undefined;
  }

  protected override moveTo(position: bigint): void {
    super.moveTo(position);
    this.#onPosition?.(position);
  }

  async stop(): Promise<void> {
    await this.serially(() => this.#feed.stop());
    this.failWaiters('the projection runner stopped');
  }

  async rebuild(onProgress?: (progress: CatchUpProgress) => void): Promise<CatchUpProgress> {
    return this.serially(async () => {
      const wasFollowing = this.#feed.following;
      await this.#feed.stop();
      const started = performance.now();
      this.readStore.reset({ deferIndexes: true });
      this.moveTo(0n);
      let caughtUp: CatchUpProgress;
      try {
        caughtUp = await this.#catchUp(onProgress);
      } finally {
        this.readStore.buildIndexes();
      }
      // The whole rebuild: the read models serve lists fast only once their indexes are built.
      const elapsedMs = performance.now() - started;
      const progress = {
        ...caughtUp,
        elapsedMs,
        eventsPerSecond: Math.round((caughtUp.events * 1000) / elapsedMs),
      };
      this.#log(describeProgress('read models rebuilt', progress));
      if (wasFollowing) this.#feed.start();
      return progress;
    });
  }

  /**
   * Applies recorded events (in position order) in one transaction: the documents they change and the
   * checkpoint. Events at or below the current position are skipped.
   */
  apply(events: readonly RecordedEvent[]): void {
    try {
      this.#apply(events, false);
    } catch {
      // The cache may be ahead of a store that refused the batch; start over from what the store holds.
      this.#projector.reset();
      // A failure of the fast path may come from a document it assumed new: apply again, checking each.
      this.#apply(events, true);
    }
  }

  #apply(events: readonly RecordedEvent[], careful: boolean): void {
    const last = events[events.length - 1];
    if (last === undefined || last.position <= this.position) return;
    const writes = this.#projector.project(events, this.position, careful);
    this.readStore.commit(writes, last.position);
    this.#projector.remember(writes);
    this.moveTo(last.position);
  }

  async #catchUp(onProgress?: (progress: CatchUpProgress) => void): Promise<CatchUpProgress> {
    const started = performance.now();
    const head = await this.store.headPosition();
    let events = 0;
    let reported = started;
    const progress = (done: boolean): CatchUpProgress => {
      const elapsedMs = performance.now() - started;
      const eventsPerSecond = elapsedMs > 0 ? Math.round((events * 1000) / elapsedMs) : 0;
      return { events, position: this.position, head, elapsedMs, eventsPerSecond, done };
    };
    const applied = (count: number): void => {
      events += count;
      if (onProgress && performance.now() - reported >= 1000) {
        reported = performance.now();
        onProgress(progress(false));
      }
    };
    if (this.#replay && head - this.position >= this.#replay.minEvents) {
      this.#log(
        `read models: catching up from position ${this.position} to ${head} on ${this.#replay.threads} worker threads`,
      );
      try {
        await this.#replay.run(this.position, head, (position, count) => {
          this.moveTo(position);
          applied(count);
        });
      } catch (error) {
        this.#warn(
          `read models: the replay on worker threads stopped at position ${this.position} (${asError(error).message}); going on in this thread`,
        );
      }
    }
    this.#projector.reset(this.#catchUpCacheSize);
    try {
      for (;;) {
        const page = await this.store.readAll({ after: this.position, maxCount: this.#batchSize });
        if (page.length === 0) break;
        this.apply(page);
        // An in-process store answers at once: without this, a long replay would hold every request.
        await yieldToEventLoop();
        applied(page.length);
      }
    } finally {
      // Following starts again with caches of its own, smaller size.
      this.#projector.reset(this.#cacheSize);
    }
    const final = progress(true);
    onProgress?.(final);
    return final;
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
