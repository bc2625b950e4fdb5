import { StreamNotFoundError, WrongExpectedVersionError } from '@eventstore/db-client';
import type {
  AllStreamRecordedEvent,
  AllStreamResolvedEvent,
  AppendResult,
  AppendToStreamOptions,
  EventData,
  ReadAllOptions,
  ReadStreamOptions,
  StreamMetadata,
  SubscribeToAllOptions,
} from '@eventstore/db-client';
import type { EsdbRawClient } from '../apps/api/src/event-store/esdb-client.js';

/**
 * A stand-in for the EventStoreDB client, in its shapes and with its real error classes: enough of a
 * server for the adapter's mapping to be tested where no server runs. Positions grow by 100 like log
 * offsets; reads from a position include it, as the server's do.
 */
export class FakeEsdbClient implements EsdbRawClient {
  readonly log: AllStreamRecordedEvent[] = [];
  readonly metadata = new Map<string, StreamMetadata>();
  readonly subscriptions: { options: SubscribeToAllOptions; unsubscribed: boolean }[] = [];
  /** When set, every call fails with it. */
  failure: Error | undefined;
  disposed = false;
  #position = 1000n;

  appendToStream(
    streamName: string,
    events: EventData[],
    options: AppendToStreamOptions,
  ): Promise<AppendResult> {
    this.#fail();
    const stream = this.log.filter((e) => e.streamId === streamName);
    const current = stream.length === 0 ? 'no_stream' : BigInt(stream.length - 1);
    const expected = options.expectedRevision ?? 'any';
    const holds =
      expected === 'any' ||
      (expected === 'no_stream' && current === 'no_stream') ||
      (expected === 'stream_exists' && current !== 'no_stream') ||
      expected === current;
    if (!holds) throw new WrongExpectedVersionError(undefined, { streamName, expected, current });
    let revision = BigInt(stream.length);
    for (const event of events)
      this.record(streamName, revision++, event.type, event.data, event.id, event.metadata);
    const last = this.log[this.log.length - 1] as AllStreamRecordedEvent;
    return Promise.resolve({ success: true, nextExpectedRevision: last.revision, position: last.position });
  }

  /** Records an event as the server would, system events included. */
  record(
    streamId: string,
    revision: bigint,
    type: string,
    data: unknown,
    id: string = crypto.randomUUID(),
    metadata?: unknown,
  ) {
    this.#position += 100n;
    this.log.push({
      streamId,
      id,
      revision,
      type,
      isJson: true,
      created: new Date('2024-05-01T10:00:00.000Z'),
      data: data as Record<string, unknown>,
      metadata: metadata as Record<string, unknown> | undefined,
      position: { commit: this.#position, prepare: this.#position },
    });
  }

  async *readStream(streamName: string, options: ReadStreamOptions): AsyncGenerator<AllStreamResolvedEvent> {
    this.#fail();
    let events = this.log.filter((e) => e.streamId === streamName);
    if (events.length === 0) throw new StreamNotFoundError(undefined, streamName);
    if (options.direction === 'backwards') events = events.reverse();
    const from = options.fromRevision;
    if (typeof from === 'bigint') {
      events = events.filter((e) =>
        options.direction === 'backwards' ? e.revision <= from : e.revision >= from,
      );
    }
    yield* resolved(events.slice(0, Number(options.maxCount ?? events.length)));
    await Promise.resolve();
  }

  async *readAll(options: ReadAllOptions): AsyncGenerator<AllStreamResolvedEvent> {
    this.#fail();
    const backwards = options.direction === 'backwards';
    let events = backwards ? [...this.log].reverse() : [...this.log];
    const from = options.fromPosition;
    if (typeof from === 'object') {
      events = events.filter((e) =>
        backwards ? e.position.commit <= from.commit : e.position.commit >= from.commit,
      );
    }
    yield* resolved(events.slice(0, Number(options.maxCount ?? events.length)));
    await Promise.resolve();
  }

  /** Delivers what is recorded after the position, the checkpoint itself included, then ends. */
  subscribeToAll(options: SubscribeToAllOptions) {
    const entry = { options, unsubscribed: false };
    this.subscriptions.push(entry);
    const from = options.fromPosition;
    const prefixes = (options.filter as { prefixes?: string[] } | undefined)?.prefixes;
    const events = this.log.filter(
      (e) =>
        (typeof from !== 'object' || e.position.commit >= from.commit) &&
        (prefixes === undefined || prefixes.some((p) => e.streamId.startsWith(p))),
    );
    const failure = this.failure;
    return {
      async *[Symbol.asyncIterator]() {
        yield* resolved(events);
        await Promise.resolve();
        if (failure !== undefined) throw failure;
      },
      unsubscribe: () => {
        entry.unsubscribed = true;
        return Promise.resolve();
      },
    };
  }

  setStreamMetadata(streamName: string, metadata: StreamMetadata): Promise<unknown> {
    this.#fail();
    this.metadata.set(streamName, metadata);
    return Promise.resolve({});
  }

  dispose(): Promise<void> {
    this.disposed = true;
    return Promise.resolve();
  }

  #fail(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

function resolved(events: readonly AllStreamRecordedEvent[]): AllStreamResolvedEvent[] {
  return events.map((event) => ({ event, commitPosition: event.position.commit }));
}
