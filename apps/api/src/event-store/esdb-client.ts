/**
 * Everything that knows @eventstore/db-client: the calls we make, the shapes they answer and the errors
 * they throw. The rest of the app speaks the event-store port; moving to @kurrent/kurrentdb-client
 * (same calls, renamed package) changes this file only.
 */
import { createRequire } from 'node:module';
import type * as Esdb from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  AppendResult as EsdbAppendResult,
  AppendToStreamOptions,
  CreatePersistentSubscriptionToAllOptions,
  EventData,
  PersistentAction,
  PersistentSubscriptionToAllResolvedEvent,
  PersistentSubscriptionToAllSettings,
  ReadAllOptions as EsdbReadAllOptions,
  ReadStreamOptions as EsdbReadStreamOptions,
  ResolvedEvent,
  StreamMetadata,
  SubscribeToAllOptions,
  SubscribeToPersistentSubscriptionToAllOptions,
} from '@eventstore/db-client';
import { ConcurrencyError, StoreUnavailableError } from '@wfnet/domain';
import type { EventToAppend, ExpectedRevision, RecordedEvent } from '@wfnet/domain';

let loaded: typeof Esdb | undefined;

/** The client, loaded on first use: a service on another store never loads it and gRPC (≈ 200 modules). */
const esdb = (): typeof Esdb =>
  (loaded ??= createRequire(import.meta.url)('@eventstore/db-client') as typeof Esdb);

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
  createPersistentSubscriptionToAll(
    groupName: string,
    settings: PersistentSubscriptionToAllSettings,
    options?: CreatePersistentSubscriptionToAllOptions,
  ): Promise<void>;
  subscribeToPersistentSubscriptionToAll(
    groupName: string,
    options?: SubscribeToPersistentSubscriptionToAllOptions,
  ): EsdbPersistentSubscription;
  dispose(): Promise<void>;
}

/** A connection to a persistent subscription group: what the server hands this member, and its answers. */
export interface EsdbPersistentSubscription extends AsyncIterable<PersistentSubscriptionToAllResolvedEvent> {
  ack(...events: ResolvedEvent[]): Promise<void>;
  nack(action: PersistentAction, reason: string, ...events: ResolvedEvent[]): Promise<void>;
  unsubscribe(): Promise<void>;
}

export type { PersistentSubscriptionToAllResolvedEvent as EsdbDelivered };

/** A client for `esdb://…` (or `kurrentdb://…`/`kurrent://…`, the same connection string under the new names). */
export function connectEsdbClient(url: string): EsdbRawClient {
  return esdb().EventStoreDBClient.connectionString(url.replace(/^kurrent(db)?(\+discover)?:/, 'esdb$2:'));
}

/**
 * The connection string with `connectionName` set, unless it sets one: the server lists a persistent
 * subscription's members by the name of their connection.
 */
export function withConnectionName(url: string, name: string): string {
  if (/[?&]connectionName=/i.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}connectionName=${encodeURIComponent(name)}`;
}

/** How a dispatch group hands out its events; see `createDispatchGroup`. */
export interface DispatchGroupSettings {
  /** The types of the events it hands out, exactly these. */
  readonly eventTypes: readonly string[];
  /** How long a member has to ack an event before the server hands it to another member. */
  readonly messageTimeoutMs: number;
  /** How many times an event is handed out again before the server parks it. */
  readonly maxRetryCount: number;
}

/**
 * Creates the persistent subscription group on `$all`, unless it exists: then its settings stay those it was
 * created with (changing them would drop every member's connection). Answers whether it was created.
 *
 * It starts at the beginning of `$all`: a group made for a store that already holds cases hands out every
 * past event of its types once, and each is acked as soon as its workitem is found settled. Starting at the
 * head instead would lose the workitems a previous process left unsettled.
 */
export async function createDispatchGroup(
  client: EsdbRawClient,
  group: string,
  settings: DispatchGroupSettings,
): Promise<boolean> {
  const escaped = settings.eventTypes.map((type) => type.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  try {
    await client.createPersistentSubscriptionToAll(
      group,
      esdb().persistentSubscriptionToAllSettingsFromDefaults({
        startFrom: esdb().START,
        messageTimeout: settings.messageTimeoutMs,
        maxRetryCount: settings.maxRetryCount,
        consumerStrategyName: esdb().ROUND_ROBIN,
        resolveLinkTos: false,
      }),
      { filter: esdb().eventTypeFilter({ regex: `^(${escaped.join('|')})$` }) },
    );
    return true;
  } catch (error) {
    if (error instanceof esdb().PersistentSubscriptionExistsError) return false;
    throw toStoreError(error);
  }
}

export function subscribeDispatchGroup(
  client: EsdbRawClient,
  group: string,
  bufferSize: number,
): EsdbPersistentSubscription {
  return client.subscribeToPersistentSubscriptionToAll(group, { bufferSize });
}

/** `retry` hands the event out again at once; `park` sets it aside until an operator replays it. */
export type HandBack = 'retry' | 'park';

export function nackAction(handBack: HandBack): PersistentAction {
  return handBack === 'park' ? esdb().PARK : esdb().RETRY;
}

export type ReadDirection = 'forwards' | 'backwards';

export function appendOptions(expected: ExpectedRevision): AppendToStreamOptions {
  return { expectedRevision: expected };
}

export function toEventData(event: EventToAppend): EventData {
  return esdb().jsonEvent({
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
    direction: backwards ? esdb().BACKWARDS : esdb().FORWARDS,
    fromRevision: options.fromRevision ?? (backwards ? esdb().END : esdb().START),
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
    direction: backwards ? esdb().BACKWARDS : esdb().FORWARDS,
    fromPosition:
      options.from === undefined ? (backwards ? esdb().END : esdb().START) : atCommit(options.from),
    maxCount: options.maxCount,
  };
}

/** Positions are commit positions: equal to prepare positions for every append but explicit transactions. */
export function subscribeOptions(
  after: bigint | undefined,
  prefixes: readonly string[] | undefined,
): SubscribeToAllOptions {
  return {
    fromPosition: after === undefined ? esdb().START : atCommit(after),
    filter:
      prefixes === undefined || prefixes.length === 0
        ? esdb().excludeSystemEvents()
        : esdb().streamNameFilter({ prefixes: [...prefixes] }),
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
  return error instanceof esdb().StreamNotFoundError;
}

/** The client's errors in the port's terms; anything else is passed on as it is. */
export function toStoreError(error: unknown, streamId?: string): unknown {
  if (error instanceof esdb().WrongExpectedVersionError) {
    return new ConcurrencyError(
      error.streamName || (streamId ?? ''),
      String(error.expectedVersion),
      String(error.actualVersion),
    );
  }
  if (
    error instanceof esdb().UnavailableError ||
    error instanceof esdb().DeadlineExceededError ||
    error instanceof esdb().TimeoutError ||
    error instanceof esdb().NotLeaderError
  ) {
    return new StoreUnavailableError(`EventStoreDB: ${error.message}`, { cause: error });
  }
  return error;
}
