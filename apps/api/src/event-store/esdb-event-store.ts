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
import { checkBatch, DEFAULT_READ_ALL_PAGE } from './append-rules.js';
import { matchesPrefixes } from './catch-up-subscription.js';
import {
  allReadOptions,
  appendOptions,
  appendResult,
  connectEsdbClient,
  fromResolved,
  isStreamNotFound,
  streamReadOptions,
  subscribeOptions,
  toEventData,
  toStoreError,
} from './esdb-client.js';
import type { EsdbRawClient } from './esdb-client.js';

/** How many events one server read asks for while skipping system events to fill a page. */
const SERVER_PAGE = 500;

/**
 * The event store on an EventStoreDB (KurrentDB) node or cluster. The server keeps the revisions,
 * positions and idempotency (same ids at the same expected revision); this adapter maps calls and errors.
 */
export class EsdbEventStore implements EventStore {
  #closed = false;

  /** `connect` is the factory of the client: tests hand in a fake that throws the package's real errors. */
  static open(url: string, connect: (url: string) => EsdbRawClient = connectEsdbClient): EsdbEventStore {
    return new EsdbEventStore(connect(url), `esdb:${url.replace(/\/\/[^@/]*@/, '//***@')}`);
  }

  constructor(
    readonly client: EsdbRawClient,
    readonly description = 'esdb',
  ) {}

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    this.#checkOpen();
    checkBatch(streamId, events);
    try {
      return appendResult(
        await this.client.appendToStream(streamId, events.map(toEventData), appendOptions(expected)),
      );
    } catch (error) {
      throw toStoreError(error, streamId);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    this.#checkOpen();
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(streamId, streamReadOptions(options))) {
        const event = fromResolved(resolved);
        if (event !== undefined) events.push(event);
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw toStoreError(error, streamId);
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    this.#checkOpen();
    const maxCount = options.maxCount ?? DEFAULT_READ_ALL_PAGE;
    const events: RecordedEvent[] = [];
    let from = options.after;
    // $all also holds the server's own events: read on until the page is full of ours or $all ends.
    for (;;) {
      let read = 0;
      let last: bigint | undefined;
      for (const resolved of await this.#readAllOnce(from, SERVER_PAGE)) {
        read++;
        const position = resolved.event?.position.commit ?? resolved.commitPosition;
        last = position ?? last;
        // The server read includes the event at the checkpoint itself.
        if (from !== undefined && position !== undefined && position <= from) continue;
        const event = fromResolved(resolved);
        if (event !== undefined) events.push(event);
        if (events.length === maxCount) return events;
      }
      if (read < SERVER_PAGE || last === undefined || last === from) return events;
      from = last;
    }
  }

  async headPosition(): Promise<bigint> {
    this.#checkOpen();
    try {
      for await (const resolved of this.client.readAll(
        allReadOptions({ maxCount: SERVER_PAGE, direction: 'backwards' }),
      )) {
        const event = fromResolved(resolved);
        if (event !== undefined) return event.position;
      }
    } catch (error) {
      throw toStoreError(error);
    }
    return 0n;
  }

  subscribe(options: SubscribeOptions = {}): EventSubscription {
    this.#checkOpen();
    const subscription = this.client.subscribeToAll(subscribeOptions(options.after, options.streamPrefixes));
    const matches = matchesPrefixes(options.streamPrefixes);
    let closed = false;
    return {
      async *[Symbol.asyncIterator]() {
        // The server resumes after the checkpoint; the cursor also drops any repeat at its catch-up/live seam.
        let after = options.after ?? -1n;
        try {
          for await (const resolved of subscription) {
            const event = fromResolved(resolved);
            if (event === undefined || event.position <= after || !matches(event)) continue;
            after = event.position;
            yield event;
            if (closed) return;
          }
        } catch (error) {
          if (!closed) throw toStoreError(error);
        }
      },
      async close() {
        closed = true;
        await subscription.unsubscribe();
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.client.dispose();
  }

  async #readAllOnce(from: bigint | undefined, maxCount: number) {
    const page = [];
    try {
      for await (const resolved of this.client.readAll(allReadOptions({ from, maxCount })))
        page.push(resolved);
    } catch (error) {
      throw toStoreError(error);
    }
    return page;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreUnavailableError(`the event store ${this.description} is closed`);
  }
}
