import type { EventSubscription, ReadAllOptions, RecordedEvent, SubscribeOptions } from '@wfnet/domain';

const PAGE = 500;

/**
 * A subscription's read: `ReadAllOptions`, and which events its subscriber reads the data of (by type and
 * stream); the others may come with empty data. All are read whole when absent.
 */
export interface FollowingRead extends ReadAllOptions {
  readonly decodes?: (type: string, streamId: string) => boolean;
}

/** Wakes subscriptions after each commit. Waiters taken before a read hear of any commit after it. */
export class CommitSignal {
  #pending: { promise: Promise<void>; resolve: () => void } | undefined;
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  next(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#pending === undefined) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#pending = { promise, resolve };
    }
    return this.#pending.promise;
  }

  notify(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve();
  }

  close(): void {
    this.#closed = true;
    this.notify();
  }
}

/** Which events a subscriber reads the data of: those it is delivered, of the types it names. */
function decodesFor({
  streamPrefixes,
  dataOf,
}: SubscribeOptions): ((type: string, streamId: string) => boolean) | undefined {
  const types = dataOf && new Set(dataOf);
  const streams = streamPrefixes !== undefined && streamPrefixes.length > 0 ? streamPrefixes : undefined;
  if (types === undefined && streams === undefined) return undefined;
  return (type, streamId) =>
    (types === undefined || types.has(type)) && (streams === undefined || inStreams(streams, streamId));
}

const inStreams = (prefixes: readonly string[], streamId: string): boolean =>
  prefixes.some((prefix) => streamId.startsWith(prefix));

export function matchesPrefixes(
  streamPrefixes: readonly string[] | undefined,
): (event: RecordedEvent) => boolean {
  if (streamPrefixes === undefined || streamPrefixes.length === 0) return () => true;
  return (event) => inStreams(streamPrefixes, event.streamId);
}

/**
 * A subscription of an in-process store: it pages through `readAll` after its cursor and, once a short
 * page shows it has caught up, waits for the next commit. Live delivery is the same read as catch-up,
 * so the hand-over can neither skip nor repeat an event: the cursor alone decides what comes next.
 */
export class CatchUpSubscription implements EventSubscription {
  #closed = false;
  #interrupt: (() => void) | undefined;

  constructor(
    private readonly readAll: (options: FollowingRead) => Promise<readonly RecordedEvent[]>,
    private readonly signal: CommitSignal,
    private readonly options: SubscribeOptions = {},
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    for await (const page of this.pages()) {
      for (const event of page) {
        yield event;
        if (this.#closed) return;
      }
    }
  }

  async *pages(): AsyncGenerator<readonly RecordedEvent[]> {
    const prefixes = this.options.streamPrefixes;
    const matches = matchesPrefixes(prefixes);
    const decodes = decodesFor(this.options);
    let after = this.options.after;
    while (!this.#closed && !this.signal.closed) {
      // Taken before the read, so a commit that lands during or after it still wakes us.
      const committed = this.signal.next();
      const page = await this.readAll({ after, maxCount: PAGE, ...(decodes && { decodes }) });
      const last = page[page.length - 1];
      if (last !== undefined) after = last.position;
      const delivered = prefixes === undefined || prefixes.length === 0 ? page : page.filter(matches);
      if (delivered.length > 0) {
        yield delivered;
        if (this.#closed) return;
      }
      if (page.length === PAGE) continue;
      // A short page may be cut by the store's decoding budget: other work runs before the next read.
      if (page.length > 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#interrupt = resolve;
        void committed.then(resolve);
      });
      this.#interrupt = undefined;
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#interrupt?.();
    return Promise.resolve();
  }
}

/** Runs a synchronous store operation as a promise, so its errors arrive as rejections like any I/O error. */
export function settle<T>(operation: () => T): Promise<T> {
  try {
    return Promise.resolve(operation());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
