import type { RecordedEvent } from '@wfnet/domain';

/**
 * The last events this process committed, decoded once and shared by every reader that follows the
 * head (the projection runner, the dispatcher, live event streams), so that following the store costs
 * neither a query nor a `JSON.parse` per reader. Invariant: it holds every event committed after its
 * first one, in position order — only the process that writes the store may fill it.
 */
export class RecentEvents {
  #events: RecordedEvent[] = [];

  constructor(private readonly capacity = 10_000) {}

  /** Events just committed, in position order; frozen, since every reader gets the same objects. */
  add(events: readonly RecordedEvent[]): void {
    for (const event of events) this.#events.push(deepFreeze(event));
    // Trimmed in halves, so that adding stays amortized O(1).
    if (this.#events.length > 2 * this.capacity) this.#events = this.#events.slice(-this.capacity);
  }

  /** The events after `after`, at most `maxCount`; undefined when some of them are older than this window. */
  after(after: bigint, maxCount: number): readonly RecordedEvent[] | undefined {
    const events = this.#events;
    const first = events[0];
    if (first === undefined || after < first.position - 1n) return undefined;
    let low = 0;
    let high = events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((events[middle] as RecordedEvent).position <= after) low = middle + 1;
      else high = middle;
    }
    return events.slice(low, low + maxCount);
  }
}

/** Freezes a value and everything in it, so that readers sharing it cannot change it for each other. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
