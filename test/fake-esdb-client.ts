import {
  PersistentSubscriptionExistsError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type {
  AllStreamRecordedEvent,
  AllStreamResolvedEvent,
  AppendResult,
  AppendToStreamOptions,
  CreatePersistentSubscriptionToAllOptions,
  EventData,
  PersistentAction,
  PersistentSubscriptionToAllResolvedEvent,
  PersistentSubscriptionToAllSettings,
  ReadAllOptions,
  ReadStreamOptions,
  ResolvedEvent,
  StreamMetadata,
  SubscribeToAllOptions,
  SubscribeToPersistentSubscriptionToAllOptions,
} from '@eventstore/db-client';
import type { EsdbPersistentSubscription, EsdbRawClient } from '../apps/api/src/event-store/esdb-client.js';

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
  /** Persistent subscription groups on `$all`, by name. */
  readonly groups = new Map<string, FakeConsumerGroup>();
  /** Every ack and nack the members sent, in order. */
  readonly answers: {
    group: string;
    action: 'ack' | PersistentAction;
    reason?: string;
    eventIds: string[];
  }[] = [];
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
    this.notify();
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

  createPersistentSubscriptionToAll(
    groupName: string,
    settings: PersistentSubscriptionToAllSettings,
    options?: CreatePersistentSubscriptionToAllOptions,
  ): Promise<void> {
    this.#fail();
    if (this.groups.has(groupName)) {
      // As the server answers: the client reads the group from the metadata of a gRPC ALREADY_EXISTS.
      const metadata = { 'stream-name': '$all', 'group-name': groupName };
      const serviceError = {
        code: 6,
        details: `Subscription group ${groupName} on stream $all exists.`,
        message: `6 ALREADY_EXISTS: Subscription group ${groupName} on stream $all exists.`,
        metadata: { getMap: () => metadata },
      };
      throw new PersistentSubscriptionExistsError(
        serviceError as unknown as ConstructorParameters<typeof PersistentSubscriptionExistsError>[0],
      );
    }
    this.groups.set(groupName, new FakeConsumerGroup(groupName, settings, options, this));
    return Promise.resolve();
  }

  subscribeToPersistentSubscriptionToAll(
    groupName: string,
    options?: SubscribeToPersistentSubscriptionToAllOptions,
  ): EsdbPersistentSubscription & {
    readonly options: SubscribeToPersistentSubscriptionToAllOptions | undefined;
  } {
    this.#fail();
    const group = this.groups.get(groupName);
    if (group === undefined) throw new Error(`fake: no persistent subscription group ${groupName}`);
    return group.connect(options);
  }

  /** Wakes the members of every group waiting for events. */
  notify(): void {
    for (const group of this.groups.values()) group.wake();
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

/**
 * A consumer group as the server keeps one, enough for the queue's tests: each event of the log its filter
 * lets through goes to one connected member at a time (whichever asks next), until acked; a `retry` nack
 * or the member's unsubscribing hands it out again, a `park` nack sets it aside.
 */
export class FakeConsumerGroup {
  readonly acked = new Set<string>();
  readonly parked = new Set<string>();
  readonly #held = new Map<string, object>();
  /** How many times each event was handed out again. */
  readonly retryCounts = new Map<string, number>();
  readonly #filter: RegExp | undefined;
  #waiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly settings: PersistentSubscriptionToAllSettings,
    readonly options: CreatePersistentSubscriptionToAllOptions | undefined,
    private readonly client: FakeEsdbClient,
  ) {
    const filter = options?.filter;
    this.#filter = filter !== undefined && 'regex' in filter ? new RegExp(filter.regex) : undefined;
  }

  wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  connect(options: SubscribeToPersistentSubscriptionToAllOptions | undefined) {
    const member = {};
    let closed = false;
    const next = () => this.#nextFor(member);
    const waitForEvents = () => new Promise<void>((resolve) => this.#waiters.push(resolve));
    const retryCountOf = (id: string) => this.retryCounts.get(id) ?? 0;
    const answer = (action: 'ack' | PersistentAction, events: ResolvedEvent[], reason?: string) => {
      if (closed) return Promise.reject(new Error('fake: the subscription is closed'));
      const eventIds = events.map((resolved) => resolved.event?.id ?? '');
      this.client.answers.push({
        group: this.name,
        action,
        ...(reason === undefined ? {} : { reason }),
        eventIds,
      });
      for (const id of eventIds) {
        if (this.#held.get(id) !== member) continue;
        this.#held.delete(id);
        if (action === 'ack' || action === 'skip') this.acked.add(id);
        else if (action === 'park') this.parked.add(id);
        else this.retryCounts.set(id, (this.retryCounts.get(id) ?? 0) + 1);
      }
      this.wake();
      return Promise.resolve();
    };
    const close = () => {
      if (closed) return;
      closed = true;
      for (const [id, holder] of [...this.#held]) {
        if (holder !== member) continue;
        this.#held.delete(id);
        this.retryCounts.set(id, (this.retryCounts.get(id) ?? 0) + 1);
      }
      this.wake();
    };
    return {
      options,
      async *[Symbol.asyncIterator](): AsyncGenerator<PersistentSubscriptionToAllResolvedEvent> {
        while (!closed) {
          const event = next();
          if (event === undefined) {
            await waitForEvents();
            continue;
          }
          yield { event, commitPosition: event.position.commit, retryCount: retryCountOf(event.id) };
        }
      },
      ack: (...events: ResolvedEvent[]) => answer('ack', events),
      nack: (action: PersistentAction, reason: string, ...events: ResolvedEvent[]) =>
        answer(action, events, reason),
      unsubscribe: () => {
        close();
        return Promise.resolve();
      },
    };
  }

  #nextFor(member: object): AllStreamRecordedEvent | undefined {
    const event = this.client.log.find(
      (e) =>
        !this.acked.has(e.id) &&
        !this.parked.has(e.id) &&
        !this.#held.has(e.id) &&
        (this.#filter === undefined || this.#filter.test(e.type)),
    );
    if (event !== undefined) this.#held.set(event.id, member);
    return event;
  }
}
