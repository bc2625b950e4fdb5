import { StoreUnavailableError } from '@wfnet/domain';
import type {
  AppendResult,
  EventStore,
  EventSubscription,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from '@wfnet/domain';
import {
  checkBatch,
  concurrencyError,
  DEFAULT_READ_ALL_PAGE,
  expectationHolds,
  matchRetry,
} from './append-rules.js';
import { CatchUpSubscription, CommitSignal, settle } from './catch-up-subscription.js';
import { deepFreeze } from './recent-events.js';

export interface MemoryEventStoreOptions {
  /** Position of the first event (1 by default); tests start past 2^53 to prove positions stay exact. */
  readonly firstPosition?: bigint;
}

/** The event store for tests and demos: the contract of every adapter, nothing kept past the process. */
export class MemoryEventStore implements EventStore {
  readonly description = 'memory';
  readonly #firstPosition: bigint;
  /** Every event, decoded from its JSON text once (as a durable store would give it) and frozen: readers share them. */
  readonly #all: RecordedEvent[] = [];
  readonly #streams = new Map<string, RecordedEvent[]>();
  readonly #ids = new Map<string, RecordedEvent>();
  readonly #signal = new CommitSignal();
  #closed = false;

  constructor(options: MemoryEventStoreOptions = {}) {
    this.#firstPosition = options.firstPosition ?? 1n;
  }

  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    return settle(() => this.#append(streamId, events, expected));
  }

  #append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): AppendResult {
    this.#checkOpen();
    checkBatch(streamId, events);
    const stream = this.#streams.get(streamId) ?? [];
    const current = BigInt(stream.length) - 1n;
    // A retry usually fails its expectation (its own events moved the stream on); with `any` it only shows by its ids.
    if (!expectationHolds(expected, current) || events.some((e) => this.#ids.has(e.id))) {
      const retry = matchRetry(streamId, events, expected, current, (id) => this.#ids.get(id));
      if (retry !== undefined) return retry;
      throw concurrencyError(streamId, expected, current);
    }
    const recordedAt = new Date().toISOString();
    let position = this.#firstPosition + BigInt(this.#all.length);
    const stored = events.map((event, i): RecordedEvent =>
      deepFreeze({
        id: event.id,
        streamId,
        revision: current + 1n + BigInt(i),
        position: position++,
        type: event.type,
        data: throughJson(event.data),
        metadata: event.metadata === undefined ? undefined : throughJson(event.metadata),
        recordedAt,
      }),
    );
    for (const event of stored) {
      this.#all.push(event);
      stream.push(event);
      this.#ids.set(event.id, event);
    }
    this.#streams.set(streamId, stream);
    this.#signal.notify();
    const last = stored[stored.length - 1] as RecordedEvent;
    return { nextRevision: last.revision, position: last.position };
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    return this.#read(() => {
      const stream = this.#streams.get(streamId) ?? [];
      const from = clampIndex(options.fromRevision ?? 0n, stream.length);
      return stream.slice(from, from + (options.maxCount ?? stream.length));
    });
  }

  readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    return this.#read(() => {
      // Positions are dense here, so the index of a position is plain arithmetic.
      const from = clampIndex(
        (options.after ?? this.#firstPosition - 1n) - this.#firstPosition + 1n,
        this.#all.length,
      );
      return this.#all.slice(from, from + (options.maxCount ?? DEFAULT_READ_ALL_PAGE));
    });
  }

  headPosition(): Promise<bigint> {
    return settle(() => {
      this.#checkOpen();
      return this.#all[this.#all.length - 1]?.position ?? 0n;
    });
  }

  subscribe(options: SubscribeOptions = {}): EventSubscription {
    return new CatchUpSubscription((o) => this.readAll(o), this.#signal, options);
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#signal.close();
    return Promise.resolve();
  }

  #read(select: () => readonly RecordedEvent[]): Promise<readonly RecordedEvent[]> {
    return settle(() => {
      this.#checkOpen();
      return select();
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreUnavailableError('the memory event store is closed');
  }
}

function clampIndex(index: bigint, length: number): number {
  if (index <= 0n) return 0;
  return index >= BigInt(length) ? length : Number(index);
}

/** What a durable store gives back for this value: JSON's normal form (no undefined, no -0, …). */
function throughJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
