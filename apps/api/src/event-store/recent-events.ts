import type { RecordedEvent } from '@wfnet/domain';

/** An event as its store committed it; decoded on first read. */
export interface CommittedEvent {
  readonly position: bigint;
  /** The length of its encoded data and metadata: what decoding it costs. */
  readonly encodedLength: number;
  decode(): RecordedEvent;
}

/**
 * How much encoded JSON one read decodes at most (one event at least): a burst of large events is handed
 * over in several reads, between which the subscriber lets other work run, instead of holding the event
 * loop for all of them at once.
 */
export const DECODE_BUDGET = 256 * 1024;

interface Entry {
  readonly committed: CommittedEvent;
  decoded: RecordedEvent | undefined;
}

/**
 * The last events this process committed, decoded at most once and shared by every reader that follows
 * the head (the projection runner, the dispatcher, live event streams), so that following the store costs
 * neither a query nor a `JSON.parse` per reader. Invariant: it holds every event committed after its
 * first one, in position order — only the process that writes the store may fill it.
 */
export class RecentEvents {
  #entries: Entry[] = [];

  constructor(private readonly capacity = 10_000) {}

  /** Events just committed, in position order. */
  add(events: readonly CommittedEvent[]): void {
    for (const committed of events) this.#entries.push({ committed, decoded: undefined });
    // Trimmed in halves, so that adding stays amortized O(1).
    if (this.#entries.length > 2 * this.capacity) this.#entries = this.#entries.slice(-this.capacity);
  }

  /**
   * The events after `after`, at most `maxCount` and no more than `DECODE_BUDGET` of encoded JSON to decode
   * (one event at least), deeply frozen since every reader gets the same objects; undefined when some of them are older
   * than this window.
   */
  after(after: bigint, maxCount: number): readonly RecordedEvent[] | undefined {
    const entries = this.#entries;
    const first = entries[0];
    if (first === undefined || after < first.committed.position - 1n) return undefined;
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((entries[middle] as Entry).committed.position <= after) low = middle + 1;
      else high = middle;
    }
    const page: RecordedEvent[] = [];
    let budget = DECODE_BUDGET;
    for (let index = low; index < entries.length && page.length < maxCount; index++) {
      const entry = entries[index] as Entry;
      if (entry.decoded === undefined) {
        // A large event waits for the next read rather than join others decoded in this one.
        if (page.length > 0 && entry.committed.encodedLength > budget) break;
        budget -= entry.committed.encodedLength;
      }
      page.push((entry.decoded ??= deepFreeze(entry.committed.decode())));
    }
    return page;
  }
}

/** Freezes a value and everything in it, so that readers sharing it cannot change it for each other. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  // `for in` rather than Object.values: no array of every member (an object may have 100,000), and plain
  // values need no call. JSON gives objects no inherited enumerable members.
  for (const key in value) {
    const child = value[key];
    if (typeof child === 'object' && child !== null) deepFreeze(child);
  }
  return Object.freeze(value);
}
