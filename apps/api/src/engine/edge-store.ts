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

/**
 * The event store as the HTTP edge uses it. Its live subscriptions (server-sent events) are tracked so
 * that a shutdown can end them: the HTTP server only closes once every response has ended, so a client
 * following a case would otherwise keep the process from stopping.
 */
export class EdgeStore implements EventStore {
  readonly #live = new Set<EventSubscription>();
  #ended = false;

  constructor(private readonly store: EventStore) {}

  get description(): string {
    return this.store.description;
  }

  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    return this.store.append(streamId, events, expected);
  }

  readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]> {
    return this.store.readStream(streamId, options);
  }

  readAll(options?: ReadAllOptions): Promise<readonly RecordedEvent[]> {
    return this.store.readAll(options);
  }

  headPosition(): Promise<bigint> {
    return this.store.headPosition();
  }

  /** After `endSubscriptions`, a new subscription is closed at once: it delivers nothing. */
  subscribe(options?: SubscribeOptions): EventSubscription {
    const subscription = this.store.subscribe(options);
    if (this.#ended) void subscription.close();
    else this.#live.add(subscription);
    return {
      [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
      close: () => {
        this.#live.delete(subscription);
        return subscription.close();
      },
    };
  }

  async endSubscriptions(): Promise<void> {
    this.#ended = true;
    const live = [...this.#live];
    this.#live.clear();
    await Promise.all(live.map((subscription) => subscription.close()));
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
