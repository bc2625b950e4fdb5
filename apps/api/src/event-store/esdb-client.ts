/**
 * Everything that knows @eventstore/db-client: the calls we make, the shapes they answer and the errors
 * they throw. The rest of the app speaks the event-store port; moving to @kurrent/kurrentdb-client
 * (same calls, renamed package) changes this file only.
 */
import {
  BACKWARDS,
  DeadlineExceededError,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NotLeaderError,
  START,
  StreamNotFoundError,
  streamNameFilter,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  AppendResult as EsdbAppendResult,
  AppendToStreamOptions,
  EventData,
  ReadAllOptions as EsdbReadAllOptions,
  ReadStreamOptions as EsdbReadStreamOptions,
  ResolvedEvent,
  StreamMetadata,
  SubscribeToAllOptions,
} from '@eventstore/db-client';
import { ConcurrencyError, StoreUnavailableError } from '@wfnet/domain';
import type { EventToAppend, ExpectedRevision, RecordedEvent } from '@wfnet/domain';

/** The calls of the client we use. The real client has them; unit tests hand in a fake of this shape. */
export interface EsdbRawClient {
  appendToStream(
    streamName: string,
    events: EventData[],
    options: AppendToStreamOptions,
  ): Promise<EsdbAppendResult>;
  readStream(streamName: string, options: EsdbReadStreamOptions): AsyncIterable<ResolvedEvent>;
  readAll(options: EsdbReadAllOptions): AsyncIterable<AllStreamResolvedEvent>;
  subscribeToAll(options: SubscribeToAllOptions): AsyncIterable<AllStreamResolvedEvent> & {
    unsubscribe(): Promise<void>;
  };
  setStreamMetadata(streamName: string, metadata: StreamMetadata): Promise<unknown>;
  dispose(): Promise<void>;
}

/** A client for `esdb://…` (or `kurrentdb://…`/`kurrent://…`, the same connection string under the new names). */
export function connectEsdbClient(url: string): EsdbRawClient {
  return EventStoreDBClient.connectionString(url.replace(/^kurrent(db)?(\+discover)?:/, 'esdb$2:'));
}

export type ReadDirection = 'forwards' | 'backwards';

export function appendOptions(expected: ExpectedRevision): AppendToStreamOptions {
  return { expectedRevision: expected };
}

export function toEventData(event: EventToAppend): EventData {
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data as Record<string, unknown>,
    ...(event.metadata === undefined ? {} : { metadata: event.metadata as Record<string, unknown> }),
  });
}

export function streamReadOptions(options: {
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
  readonly direction?: ReadDirection;
}): EsdbReadStreamOptions {
  const backwards = options.direction === 'backwards';
  return {
    direction: backwards ? BACKWARDS : FORWARDS,
    fromRevision: options.fromRevision ?? (backwards ? END : START),
    ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
  };
}

/** `readAll` starts at (and includes) the event at `from`; the caller skips it when it was a checkpoint. */
export function allReadOptions(options: {
  readonly from?: bigint;
  readonly maxCount: number;
  readonly direction?: ReadDirection;
}): EsdbReadAllOptions {
  const backwards = options.direction === 'backwards';
  return {
    direction: backwards ? BACKWARDS : FORWARDS,
    fromPosition: options.from === undefined ? (backwards ? END : START) : atCommit(options.from),
    maxCount: options.maxCount,
  };
}

/** Positions are commit positions: equal to prepare positions for every append but explicit transactions. */
export function subscribeOptions(
  after: bigint | undefined,
  prefixes: readonly string[] | undefined,
): SubscribeToAllOptions {
  return {
    fromPosition: after === undefined ? START : atCommit(after),
    filter:
      prefixes === undefined || prefixes.length === 0
        ? excludeSystemEvents()
        : streamNameFilter({ prefixes: [...prefixes] }),
  };
}

function atCommit(position: bigint): { commit: bigint; prepare: bigint } {
  return { commit: position, prepare: position };
}

export function appendResult(result: EsdbAppendResult): { nextRevision: bigint; position: bigint } {
  // Every server since v20 reports the position of a write; -1 only marks one that did not.
  return { nextRevision: result.nextExpectedRevision, position: result.position?.commit ?? -1n };
}

/** Snapshots live in streams of their own on the server; they are no events of the app. */
export const SNAPSHOT_STREAM_PREFIX = 'snapshot-';

/** Our event, or undefined for what is not one: a system event, a snapshot, a link, a deleted event. */
export function fromResolved(
  resolved: ResolvedEvent | AllStreamResolvedEvent,
  { snapshots = false } = {},
): RecordedEvent | undefined {
  const event = resolved.event;
  if (event === undefined || event.streamId.startsWith('$') || !event.isJson) return undefined;
  if (!snapshots && event.streamId.startsWith(SNAPSHOT_STREAM_PREFIX)) return undefined;
  return {
    id: event.id,
    streamId: event.streamId,
    revision: event.revision,
    // Stream reads of servers before 22.10 carry no position; read-all and subscriptions always do.
    position: event.position?.commit ?? resolved.commitPosition ?? -1n,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.created.toISOString(),
  };
}

export function isStreamNotFound(error: unknown): boolean {
  return error instanceof StreamNotFoundError;
}

/** The client's errors in the port's terms; anything else is passed on as it is. */
export function toStoreError(error: unknown, streamId?: string): unknown {
  if (error instanceof WrongExpectedVersionError) {
    return new ConcurrencyError(
      error.streamName || (streamId ?? ''),
      String(error.expectedVersion),
      String(error.actualVersion),
    );
  }
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof NotLeaderError
  ) {
    return new StoreUnavailableError(`EventStoreDB: ${error.message}`, { cause: error });
  }
  return error;
}
