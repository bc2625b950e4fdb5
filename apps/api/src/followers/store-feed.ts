import type { EventStore, EventSubscription, RecordedEvent } from '@wfnet/domain';

export interface StoreFeedOptions {
  /** Which streams it reads (by id prefix); all of them when absent. */
  readonly streamPrefixes?: readonly string[];
  /** The event types whose data the handler reads (see `SubscribeOptions.dataOf`); all when absent. */
  readonly dataOf?: readonly string[];
  /** Most events handed over in one batch. */
  readonly maxBatch: number;
  /**
   * Under a steady stream (`STEADY` hand-overs in a row, each less than twice this after the one before),
   * the least time between the starts of two hand-overs: events that come sooner wait out the rest of it,
   * gathering what follows into the same batch. Otherwise, and with 0, each burst is handed over once the
   * events already delivered are drained.
   */
  readonly gatherMs?: number;
  /** Pause before subscribing again after a failure. */
  readonly retryDelayMs?: number;
  /** Told of each failure, which the feed then retries. */
  readonly onFailure?: (error: Error) => void;
}

export interface FeedHandler {
  /** Where the feed (re)subscribes: after this position. */
  position(): bigint;
  /**
   * Takes a batch of events in position order; the next batch waits for it. A failure closes the
   * subscription and, after a pause, the feed subscribes again after `position`.
   */
  handle(batch: readonly RecordedEvent[]): Promise<void> | void;
}

/**
 * The follow-from-checkpoint loop every follower shares: subscribes after the handler's position, hands
 * each burst of events over as one batch, and subscribes again after a failure, until stopped. A batch
 * the handler left unfinished by a stop is not taken again in this run: the handler's position says
 * where the next start resumes.
 */
export class StoreFeed {
  readonly #maxBatch: number;
  readonly #gatherMs: number;
  readonly #retryDelayMs: number;
  #run: { stopped: boolean; stop(): Promise<void> } | undefined;
  #lastError: Error | undefined;

  constructor(
    private readonly store: Pick<EventStore, 'subscribe'>,
    private readonly handler: FeedHandler,
    private readonly options: StoreFeedOptions,
  ) {
    this.#maxBatch = options.maxBatch;
    this.#gatherMs = options.gatherMs ?? 0;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
  }

  get following(): boolean {
    return this.#run !== undefined;
  }

  /** The last failure, until a batch is handled again. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  start(): void {
    if (this.#run) return;
    let subscription: EventSubscription | undefined;
    let wakeFromPause: (() => void) | undefined;
    const run = {
      stopped: false,
      stop: async (): Promise<void> => {
        run.stopped = true;
        wakeFromPause?.();
        await subscription?.close();
        await running;
      },
    };
    const loop = async (): Promise<void> => {
      while (!run.stopped) {
        const failure = await this.#followOnce((s) => (subscription = s), run);
        if (run.stopped) return;
        this.#lastError = failure;
        this.options.onFailure?.(failure);
        await new Promise<void>((resolve) => {
          const pause = setTimeout(resolve, this.#retryDelayMs);
          // Cleared, or a stopped feed's pause would keep the process alive until it ran out.
          wakeFromPause = () => {
            clearTimeout(pause);
            resolve();
          };
        });
      }
    };
    const running = loop();
    this.#run = run;
  }

  async stop(): Promise<void> {
    const run = this.#run;
    this.#run = undefined;
    await run?.stop();
  }

  /** Follows one subscription until it fails or the run stops; answers the failure. */
  async #followOnce(
    opened: (subscription: EventSubscription) => void,
    run: { readonly stopped: boolean },
  ): Promise<Error> {
    const subscription = this.store.subscribe({
      after: this.handler.position(),
      ...(this.options.streamPrefixes && { streamPrefixes: this.options.streamPrefixes }),
      ...(this.options.dataOf && { dataOf: this.options.dataOf }),
    });
    opened(subscription);
    const buffer: RecordedEvent[] = [];
    let failure: Error | undefined;
    // A hand-over scheduled before the subscription ended must not run after it: a new one may follow.
    let ended = false;
    let cancelScheduled: (() => void) | undefined;
    let lastHandOver = -Infinity;
    let streak = 0;
    let handing: Promise<void> = Promise.resolve();
    const handOver = (): Promise<void> => {
      handing = handing.then(async () => {
        if (buffer.length === 0 || ended || failure !== undefined || run.stopped) return;
        try {
          await this.handler.handle(buffer.splice(0, this.#maxBatch));
          this.#lastError = undefined;
        } catch (error) {
          failure = asError(error);
          void subscription.close();
        }
      });
      return handing;
    };
    try {
      for await (const page of subscription.pages?.() ?? eventByEvent(subscription)) {
        if (failure !== undefined || run.stopped) break;
        for (const event of page) buffer.push(event);
        if (buffer.length >= this.#maxBatch) {
          while (buffer.length >= this.#maxBatch && failure === undefined && !run.stopped) await handOver();
          await yieldToEventLoop();
        }
        // Handed over once the events already delivered are drained: a burst becomes one batch.
        if (buffer.length > 0 && cancelScheduled === undefined) {
          const later = (): void => {
            cancelScheduled = undefined;
            const now = performance.now();
            streak = now - lastHandOver < 2 * this.#gatherMs ? streak + 1 : 1;
            lastHandOver = now;
            void handOver();
          };
          const wait = streak < STEADY ? 0 : lastHandOver + this.#gatherMs - performance.now();
          if (wait > 0) {
            const timer = setTimeout(later, wait);
            cancelScheduled = () => clearTimeout(timer);
          } else {
            const immediate = setImmediate(later);
            cancelScheduled = () => clearImmediate(immediate);
          }
        }
      }
    } catch (error) {
      failure ??= asError(error);
    } finally {
      cancelScheduled?.();
      await subscription.close();
    }
    ended = true;
    await handing;
    return failure ?? new Error('the subscription ended');
  }
}

/**
 * Hand-overs in a row that make a steady stream: a client's few quick writes in a row are read back at
 * once, even without `waitFor`.
 */
const STEADY = 8;

/** A subscription without pages, as pages of one event. */
async function* eventByEvent(events: AsyncIterable<RecordedEvent>): AsyncGenerator<readonly RecordedEvent[]> {
  for await (const event of events) yield [event];
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
