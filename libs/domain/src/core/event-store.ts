import type { JsonValue } from './message.js';

/**
 * What an append expects of its stream, in EventStoreDB's vocabulary: `no_stream` (it must not exist),
 * `stream_exists` (it must), `any`, or the exact revision of its last event. Revisions are 0-based.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export interface EventToAppend {
  /** A time-ordered UUID. Appending the same ids again at the same expected revision is an idempotent retry. */
  readonly id: string;
  readonly type: string;
  readonly data: JsonValue | object;
  readonly metadata?: JsonValue | object;
}

export interface RecordedEvent {
  readonly id: string;
  readonly streamId: string;
  /** 0-based index of the event in its stream. */
  readonly revision: bigint;
  /** Global position: strictly increasing across all streams, never reused. */
  readonly position: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  /** ISO-8601 time at which the store recorded the event. */
  readonly recordedAt: string;
}

export interface AppendResult {
  /** The revision of the last event now in the stream. */
  readonly nextRevision: bigint;
  /** The global position of the last event appended. */
  readonly position: bigint;
}

export interface ReadStreamOptions {
  /** First revision to read (inclusive); 0 by default. */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events whose position is greater than this one; from the beginning when absent. */
  readonly after?: bigint;
  readonly maxCount?: number;
}

export interface SubscribeOptions {
  /** Deliver events whose position is greater than this one (a checkpoint); all events when absent. */
  readonly after?: bigint;
  /** Deliver only events of streams whose id starts with one of these prefixes. */
  readonly streamPrefixes?: readonly string[];
  /**
   * The event types whose `data` the subscriber reads. Where the store can, events of other types arrive
   * with empty `data` (their ids, type, position and time as recorded), which spares decoding them; all
   * arrive whole when absent. (Events of streams outside `streamPrefixes` are never delivered, so a store
   * need not decode them either.)
   */
  readonly dataOf?: readonly string[];
}

/** Catch-up then live delivery of all events in position order, with no gap and no duplicate. */
export interface EventSubscription extends AsyncIterable<RecordedEvent> {
  /**
   * The same events in the same order, in the pages the store reads them in (none empty), for a follower
   * that takes them in batches: it then pays for one promise per page instead of one per event. Absent
   * where a store delivers event by event. Iterate either this or the subscription, not both.
   */
  pages?(): AsyncIterable<readonly RecordedEvent[]>;
  close(): Promise<void>;
}

/** The event store port: every adapter (memory, sqlite, esdb) answers the same contract suite. */
export interface EventStore {
  /** A short description for logs and `/health`, e.g. `sqlite:./data/wfnet.db`. */
  readonly description: string;
  /**
   * Appends atomically: all events or none. Throws `ConcurrencyError` when the expectation fails,
   * `StoreUnavailableError` when the store cannot be reached.
   */
  append(
    streamId: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult>;
  /** A stream's events in revision order; empty when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]>;
  /** All events in position order, one page at a time. */
  readAll(options?: ReadAllOptions): Promise<readonly RecordedEvent[]>;
  /** The position of the last event in the store (0n when it is empty). Reads only. */
  headPosition(): Promise<bigint>;
  /**
   * Throws `StoreUnavailableError` when the store would refuse a write now (a read-only or full disk, a
   * file replaced under it) although it still answers reads. Only `/health` asks, as it may write to find
   * out; a store without it is as writable as it is reachable.
   */
  checkWritable?(): Promise<void>;
  subscribe(options?: SubscribeOptions): EventSubscription;
  close(): Promise<void>;
}
