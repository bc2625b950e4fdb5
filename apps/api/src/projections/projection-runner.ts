import type { EventStore, EventSubscription, RecordedEvent } from '@wfnet/domain';
import type { Document, ProjectedEvent, View } from '@wfnet/projections';
import { readModelViews } from '@wfnet/projections';
import type { DocumentWrite, ReadStore } from './read-store.js';

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
   * While following, how long to gather events before applying them: 0 applies each burst at once;
   * a few milliseconds trade that much lag for fewer, larger transactions under a steady stream.
   */
  readonly gatherMs?: number;
  /** Pause before following again after a failure. */
  readonly retryDelayMs?: number;
  readonly log?: (line: string) => void;
}

interface Waiter {
  readonly position: bigint;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** A document a batch touches; written as it is once the batch is applied. */
interface Entry extends DocumentWrite {
  doc: Document;
  readonly cache: DocumentCache;
  dirty: boolean;
}

/**
 * Recently written documents of one read model, up to about a bound: the runner is the only writer, so
 * what it wrote is what the store holds, and live cases touch the same few documents again and again.
 * Two generations instead of a strict LRU: dropping a whole map is O(1), where deleting a Map's oldest
 * keys one by one leaves V8 scanning tombstones.
 */
class DocumentCache {
  #current = new Map<string, Document>();
  #previous = new Map<string, Document>();

  constructor(private readonly generationSize: number) {}

  get(id: string): Document | undefined {
    const doc = this.#current.get(id);
    if (doc !== undefined) return doc;
    const old = this.#previous.get(id);
    if (old !== undefined) this.set(old);
    return old;
  }

  set(doc: Document): void {
    if (this.generationSize === 0) return;
    this.#current.set(doc.id, doc);
    if (this.#current.size >= this.generationSize) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
  }
}

interface Follower {
  stop(): Promise<void>;
}

export const DEFAULT_WAIT_MS = 5000;

/**
 * Keeps the read models up to date: catches up from its checkpoint by pages, then follows the store
 * live. Each batch of events is applied to the documents it touches and written with the checkpoint in
 * one transaction, so a crash loses a whole batch or nothing; on restart the batch is applied again
 * from the checkpoint. Events at or below a document's last revision are skipped, so redelivery is
 * harmless too.
 */
export class ProjectionRunner {
  readonly #byType = new Map<string, View[]>();
  readonly #creates = new Map<View, ReadonlySet<string>>();
  readonly #cacheSize: number;
  readonly #catchUpCacheSize: number;
  #catchingUp = false;
  #caches = new Map<View, DocumentCache>();
  readonly #batchSize: number;
  readonly #followBatchSize: number;
  readonly #retryDelayMs: number;
  readonly #gatherMs: number;
  readonly #log: (line: string) => void;
  readonly #waiters = new Set<Waiter>();
  #position: bigint;
  #follower: Follower | undefined;
  #exclusive: Promise<unknown> = Promise.resolve();
  #lastError: Error | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly readStore: ReadStore,
    options: ProjectionRunnerOptions = {},
  ) {
    for (const view of options.views ?? readModelViews) {
      this.#creates.set(view, new Set(view.creates));
      for (const type of view.handles) {
        const views = this.#byType.get(type);
        if (views) views.push(view);
        else this.#byType.set(type, [view]);
      }
    }
    this.#batchSize = options.batchSize ?? 50_000;
    this.#followBatchSize = options.followBatchSize ?? Math.min(this.#batchSize, 2000);
    this.#cacheSize = options.cacheSize ?? 10_000;
    this.#catchUpCacheSize = options.catchUpCacheSize ?? 20_000;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#gatherMs = options.gatherMs ?? 0;
    this.#log = options.log ?? (() => undefined);
    this.#position = readStore.checkpoint();
  }

  /** The position of the last event the read models reflect. */
  get position(): bigint {
    return this.#position;
  }

  get following(): boolean {
    return this.#follower !== undefined;
  }

  /** The last failure while following, until the next batch succeeds. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Catches up with the store (resolving then), and goes on following it live until `stop`. */
  async start(onProgress?: (progress: CatchUpProgress) => void): Promise<void> {
    await this.#serially(async () => {
      if (this.#follower) return;
      this.#caches.clear();
      this.#position = this.readStore.checkpoint();
      const head = await this.store.headPosition();
      if (this.#position > head) {
        // The store behind the read models is not the one they were built from (it was replaced or wiped).
        this.#log(`read models: checkpoint ${this.#position} is past the store's head ${head}; rebuilding`);
        this.#caches.clear();
        this.readStore.reset();
        this.#position = 0n;
      }
      const progress = await this.#catchUp(onProgress);
      if (progress.events > 0) this.#log(describeProgress('read models caught up', progress));
      this.#startFollowing();
    });
  }

  /** Stops following; pending `waitFor` calls fail at once instead of at their timeout. */
  async stop(): Promise<void> {
    await this.#serially(() => this.#stopFollowing());
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(
        new ProjectionLaggingError(waiter.position, this.#position, 'the projection runner stopped'),
      );
    }
    this.#waiters.clear();
  }

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

  /**
   * Drops every read model and replays the whole store from position 0, then follows again if it was
   * following. Reads meanwhile see partial models; `waitFor` waits for the replay to pass its position.
   */
  async rebuild(onProgress?: (progress: CatchUpProgress) => void): Promise<CatchUpProgress> {
    return this.#serially(async () => {
      const wasFollowing = this.#follower !== undefined;
      await this.#stopFollowing();
      this.#caches.clear();
      this.readStore.reset({ deferIndexes: true });
      this.#position = 0n;
      const progress = await this.#catchUp(onProgress);
      this.readStore.buildIndexes();
      this.#log(describeProgress('read models rebuilt', progress));
      if (wasFollowing) this.#startFollowing();
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
      this.#caches.clear();
      // A failure of the fast path may come from a document it assumed new: apply again, checking each.
      this.#apply(events, true);
    }
  }

  #apply(events: readonly RecordedEvent[], careful: boolean): void {
    const last = events[events.length - 1];
    if (last === undefined || last.position <= this.#position) return;
    const entries = new Map<View, Map<string, Entry>>();
    const writes: Entry[] = [];
    const touch = (view: View, docs: Map<string, Entry>, id: string, event: ProjectedEvent): void => {
      let entry = docs.get(id);
      if (!entry) {
        entry = this.#load(view, id, event.type, careful);
        docs.set(id, entry);
      }
      const next = view.evolve(entry.doc, event);
      if (next === entry.doc) return;
      entry.doc = next;
      // A document's first change in the batch is its creation when it is new: writes keep that order.
      if (!entry.dirty) {
        entry.dirty = true;
        writes.push(entry);
      }
    };
    for (const recorded of events) {
      if (recorded.position <= this.#position) continue;
      const views = this.#byType.get(recorded.type);
      if (!views) continue;
      // The store gives data as `unknown`; the event's type tag is what says its shape.
      const event = recorded as unknown as ProjectedEvent;
      for (const view of views) {
        let docs = entries.get(view);
        if (!docs) {
          docs = new Map();
          entries.set(view, docs);
        }
        const ids = view.documentId(event);
        if (typeof ids === 'string') touch(view, docs, ids, event);
        else for (const id of ids) touch(view, docs, id, event);
      }
    }
    this.readStore.commit(writes, last.position);
    for (const { cache, doc } of writes) cache.set(doc);
    this.#position = last.position;
    this.#wake();
  }

  /**
   * The document as the store holds it, or its stub. Every event past the checkpoint is new to the
   * store, so a creation event names a document the store cannot hold yet: no need to ask it.
   */
  #load(view: View, id: string, type: string, careful: boolean): Entry {
    const table = view.name;
    let cache = this.#caches.get(view);
    if (!cache) {
      cache = new DocumentCache(this.#catchingUp ? this.#catchUpCacheSize : this.#cacheSize);
      this.#caches.set(view, cache);
    }
    const cached = cache.get(id);
    if (cached) return { table, cache, doc: cached, created: false, previous: cached, dirty: false };
    const stored = careful || !this.#creates.get(view)?.has(type) ? this.readStore.get(table, id) : undefined;
    return {
      table,
      cache,
      doc: stored ?? view.initial(id),
      created: stored === undefined,
      previous: stored,
      dirty: false,
    };
  }

  async #catchUp(onProgress?: (progress: CatchUpProgress) => void): Promise<CatchUpProgress> {
    const started = performance.now();
    const head = await this.store.headPosition();
    let events = 0;
    let reported = started;
    const progress = (done: boolean): CatchUpProgress => {
      const elapsedMs = performance.now() - started;
      const eventsPerSecond = elapsedMs > 0 ? Math.round((events * 1000) / elapsedMs) : 0;
      return { events, position: this.#position, head, elapsedMs, eventsPerSecond, done };
    };
    this.#caches.clear();
    this.#catchingUp = true;
    try {
      for (;;) {
        const page = await this.store.readAll({ after: this.#position, maxCount: this.#batchSize });
        if (page.length === 0) break;
        this.apply(page);
        // An in-process store answers at once: without this, a long replay would hold every request.
        await yieldToEventLoop();
        events += page.length;
        if (onProgress && performance.now() - reported >= 1000) {
          reported = performance.now();
          onProgress(progress(false));
        }
      }
    } finally {
      // Following starts again with caches of its own, smaller size.
      this.#catchingUp = false;
      this.#caches.clear();
    }
    const final = progress(true);
    onProgress?.(final);
    return final;
  }

  #startFollowing(): void {
    let stopped = false;
    let subscription: EventSubscription | undefined;
    let wakeFromPause: (() => void) | undefined;
    const run = async (): Promise<void> => {
      while (!stopped) {
        const failure = await this.#followOnce(
          (s) => (subscription = s),
          () => stopped,
        );
        if (stopped) return;
        this.#lastError = failure;
        this.#log(
          `read models: following the store failed at position ${this.#position}: ${failure.message}`,
        );
        await new Promise<void>((resolve) => {
          wakeFromPause = resolve;
          setTimeout(resolve, this.#retryDelayMs);
        });
      }
    };
    const running = run();
    this.#follower = {
      async stop() {
        stopped = true;
        wakeFromPause?.();
        await subscription?.close();
        await running;
      },
    };
  }

  /** Follows one subscription until it fails or the follower stops; answers the failure. */
  async #followOnce(
    opened: (subscription: EventSubscription) => void,
    stopped: () => boolean,
  ): Promise<Error> {
    const subscription = this.store.subscribe({ after: this.#position });
    opened(subscription);
    const buffer: RecordedEvent[] = [];
    let failure: Error | undefined;
    let scheduled = false;
    const flush = (): void => {
      scheduled = false;
      if (buffer.length === 0 || failure !== undefined || stopped()) return;
      try {
        this.apply(buffer.splice(0));
        this.#lastError = undefined;
      } catch (error) {
        failure = asError(error);
        void subscription.close();
      }
    };
    try {
      for await (const event of subscription) {
        if (failure !== undefined || stopped()) break;
        buffer.push(event);
        if (buffer.length >= this.#followBatchSize) {
          flush();
          await yieldToEventLoop();
        }
        // Applied once the events already delivered are drained: a burst becomes one transaction.
        else if (!scheduled) {
          scheduled = true;
          if (this.#gatherMs > 0) setTimeout(flush, this.#gatherMs);
          else setImmediate(flush);
        }
      }
    } catch (error) {
      failure ??= asError(error);
    } finally {
      await subscription.close();
    }
    return failure ?? new Error('the subscription ended');
  }

  async #stopFollowing(): Promise<void> {
    const follower = this.#follower;
    this.#follower = undefined;
    await follower?.stop();
  }

  #wake(): void {
    for (const waiter of this.#waiters) {
      if (waiter.position > this.#position) continue;
      clearTimeout(waiter.timer);
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }

  /** Start, stop and rebuild never overlap: each waits for the one before. */
  #serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#exclusive.then(operation);
    this.#exclusive = result.catch(() => undefined);
    return result;
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function describeProgress(what: string, p: CatchUpProgress): string {
  const seconds = (p.elapsedMs / 1000).toFixed(1);
  const share = p.head > 0n ? ` (${((Number(p.position) / Number(p.head)) * 100).toFixed(1)} %)` : '';
  return `${what}: ${p.events} events to position ${p.position} of ${p.head}${share} in ${seconds} s, ${p.eventsPerSecond} events/s`;
}
