import type { RecordedEvent } from '@wfnet/domain';
import { afterLoopRound } from '../event-loop.js';

/** An event as its store committed it; decoded on first read. */
export interface CommittedEvent {
  readonly position: bigint;
  readonly type: string;
  readonly streamId: string;
  /** The length of its encoded data and metadata: what decoding it costs. */
  readonly encodedLength: number;
  decode(): RecordedEvent;
  /** The event with empty `data` and no metadata, decoding nothing. */
  withoutData(): RecordedEvent;
}

/** The `data` of an event whose reader does not read it. */
const NO_DATA: Readonly<Record<string, never>> = Object.freeze({});

/** An event as recorded but for its `data` (empty) and metadata (none): see `SubscribeOptions.dataOf`. */
export function withoutData(
  id: string,
  streamId: string,
  revision: bigint,
  position: bigint,
  type: string,
  recordedAt: string,
): RecordedEvent {
  return { id, streamId, revision, position, type, data: NO_DATA, metadata: undefined, recordedAt };
}

/**
 * How much encoded JSON is decoded in one round of the event loop at most (one event at least): a burst of
 * large events is handed over a few at a time, with timers and requests served between, instead of
 * holding the event loop for all of them at once.
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
  /** What is left to decode in this round of the event loop; refilled in the next. */
  #budget = DECODE_BUDGET;
  #refillScheduled = false;
  /** A follower was answered nothing for want of budget: it hears of the refill. */
  #followerWaiting = false;

  /**
   * @param onRefill called when the budget is refilled after a follower was answered nothing for want of
   *   it, so that the follower reads again (the store's commit signal).
   */
  constructor(
    private readonly capacity = 10_000,
    private readonly onRefill: () => void = () => undefined,
  ) {}

  /** Events just committed, in position order. */
  add(events: readonly CommittedEvent[]): void {
    for (const committed of events) this.#entries.push({ committed, decoded: undefined });
    // Trimmed in halves, so that adding stays amortized O(1).
    if (this.#entries.length > 2 * this.capacity) this.#entries = this.#entries.slice(-this.capacity);
  }

  /**
   * The events after `after`, at most `maxCount`, deeply frozen since every reader gets the same objects;
   * undefined when some of them are older than this window. Decoding stops where this round's budget is
   * spent: a reader gets one event at least, but a `follower` (woken by `onRefill`, see the constructor)
   * may get none until the next round. Events the reader does not read the data of (`decodes`, when
   * given) come without it if nobody decoded them yet, at no cost to the budget.
   */
  after(
    after: bigint,
    maxCount: number,
    follower = false,
    decodes?: (type: string, streamId: string) => boolean,
  ): readonly RecordedEvent[] | undefined {
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
    for (let index = low; index < entries.length && page.length < maxCount; index++) {
      const entry = entries[index] as Entry;
      if (entry.decoded === undefined) {
        const { committed } = entry;
        if (decodes !== undefined && !decodes(committed.type, committed.streamId)) {
          page.push(Object.freeze(committed.withoutData()));
          continue;
        }
        const cost = committed.encodedLength;
        // The first decoding of a round goes ahead whatever its size, so that every event gets its turn.
        if (cost > this.#budget && this.#budget < DECODE_BUDGET && (page.length > 0 || follower)) {
          if (page.length === 0) this.#followerWaiting = true;
          break;
        }
        this.#spend(cost);
        entry.decoded = deepFreeze(entry.committed.decode());
      }
      page.push(entry.decoded);
    }
    return page;
  }

  #spend(cost: number): void {
    this.#budget -= cost;
    if (this.#refillScheduled) return;
    this.#refillScheduled = true;
    afterLoopRound(() => {
      this.#refillScheduled = false;
      this.#budget = DECODE_BUDGET;
      if (!this.#followerWaiting) return;
      this.#followerWaiting = false;
      this.onRefill();
    });
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
