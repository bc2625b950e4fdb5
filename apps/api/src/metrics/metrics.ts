import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  Executor,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  EventSubscription,
} from '@wfnet/domain';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { errorBody } from '../http/error.filter.js';

/** What the gauges read at scrape time; given once the runtime is wired. */
export interface MetricSources {
  headPosition(): Promise<bigint>;
  projectionPosition(): bigint;
  dispatcherBacklog(): number;
  /** New cases held back while the followers catch up. */
  casesWaiting(): number;
  /** How many workitems are in `state` (only the open states are asked for). */
  workitemsIn(state: 'created' | 'started'): number;
  /** How many incidents are open, as the read models have them. */
  incidentsOpen(): number;
}

/**
 * The service's Prometheus metrics, in a registry of its own: several apps in one process (tests,
 * embedding) must not share or collide on the global one.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #commands = new Counter({
    name: 'wfnet_commands_total',
    help: 'Commands handled, by command type and outcome (ok or the error code answered)',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #appended = new Counter({
    name: 'wfnet_events_appended_total',
    help: 'Events appended to the event store by commands',
    registers: [this.registry],
  });
  readonly #appendSeconds = new Histogram({
    name: 'wfnet_append_duration_seconds',
    help: 'Time taken by one append to the event store, conflicts included',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly #webhookAttempts = new Counter({
    name: 'wfnet_webhook_attempts_total',
    help: 'Calls made by the webhook executor',
    registers: [this.registry],
  });
  readonly #timersFired = new Counter({
    name: 'wfnet_timers_fired_total',
    help: 'Timers fired by the timer scheduler (a FireTimer that had its effect)',
    registers: [this.registry],
  });
  readonly #timerLagSeconds = new Histogram({
    name: 'wfnet_timer_lag_seconds',
    help: "How late timers fired: the service clock's time at firing minus the timer's due time",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 60],
    registers: [this.registry],
  });
  readonly #webhookFailures = new Counter({
    name: 'wfnet_webhook_failures_total',
    help: 'Webhook calls that failed (network error, timeout, non-2xx, a failed answer, bad answer)',
    registers: [this.registry],
  });
  #sources: MetricSources | undefined;

  /**
   * `process` labels every sample with the name of this process, for processes that share a store and
   * are scraped into one series each; without it the samples carry only their own labels.
   */
  constructor(options: { readonly process?: string } = {}) {
    if (options.process !== undefined) this.registry.setDefaultLabels({ process: options.process });
    const sources = () => this.#sources;
    new Gauge({
      name: 'wfnet_projection_position',
      help: 'Global position of the last event the read models reflect',
      registers: [this.registry],
      collect() {
        const from = sources();
        if (from) this.set(Number(from.projectionPosition()));
      },
    });
    new Gauge({
      name: 'wfnet_projection_lag_events',
      help: 'Events in the store that the read models do not reflect yet',
      registers: [this.registry],
      async collect() {
        const from = sources();
        if (!from) return;
        // An unreachable store leaves the lag unknown; /health reports the store itself.
        const head = await from.headPosition().catch(() => undefined);
        if (head !== undefined) this.set(Number(head - from.projectionPosition()));
      },
    });
    new Gauge({
      name: 'wfnet_dispatcher_backlog',
      help: 'Workitems whose executor has not answered yet: under way, or waiting for a retry',
      registers: [this.registry],
      collect() {
        const from = sources();
        if (from) this.set(from.dispatcherBacklog());
      },
    });
    new Gauge({
      name: 'wfnet_cases_waiting',
      help: 'New cases held back until the read models and the dispatcher catch up (WFNET_ADMISSION_MAX_LAG)',
      registers: [this.registry],
      collect() {
        const from = sources();
        if (from) this.set(from.casesWaiting());
      },
    });
    new Gauge({
      name: 'wfnet_workitems',
      help: 'Open workitems by state, as the read models have them',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const from = sources();
        if (!from) return;
        for (const state of ['created', 'started'] as const) this.set({ state }, from.workitemsIn(state));
      },
    });
    new Gauge({
      name: 'wfnet_incidents_open',
      help: 'Incidents waiting for a person to resolve them, as the read models have them',
      registers: [this.registry],
      collect() {
        const from = sources();
        if (from) this.set(from.incidentsOpen());
      },
    });
  }

  observeFrom(sources: MetricSources): void {
    this.#sources = sources;
  }

  command(type: string, error?: unknown): void {
    this.#commands.inc({ type, outcome: error === undefined ? 'ok' : errorBody(error).code });
  }

  timerFired(lagSeconds: number): void {
    this.#timersFired.inc();
    this.#timerLagSeconds.observe(Math.max(0, lagSeconds));
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The store as the engine should use it: appends are timed and their events counted. */
  timedAppends(store: EventStore): EventStore {
    return new TimedEventStore(store, (seconds, events) => {
      this.#appendSeconds.observe(seconds);
      this.#appended.inc(events);
    });
  }

  /** Counts the executor's calls and failures (a throw is a failed attempt the dispatcher retries). */
  countedWebhook(executor: Executor): Executor {
    return {
      ...executor,
      execute: async (request) => {
        this.#webhookAttempts.inc();
        try {
          const result = await executor.execute(request);
          if (result.status === 'failed') this.#webhookFailures.inc();
          return result;
        } catch (error) {
          this.#webhookFailures.inc();
          throw error;
        }
      },
    };
  }
}

class TimedEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly observe: (seconds: number, events: number) => void,
  ) {}

  get description(): string {
    return this.inner.description;
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const started = process.hrtime.bigint();
    let appended = 0;
    try {
      const result = await this.inner.append(streamId, events, expectedRevision);
      appended = events.length;
      return result;
    } finally {
      this.observe(Number(process.hrtime.bigint() - started) / 1e9, appended);
    }
  }

  readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]> {
    return this.inner.readStream(streamId, options);
  }

  readAll(options?: ReadAllOptions): Promise<readonly RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  headPosition(): Promise<bigint> {
    return this.inner.headPosition();
  }

  async checkWritable(): Promise<void> {
    await this.inner.checkWritable?.();
  }

  subscribe(options?: SubscribeOptions): EventSubscription {
    return this.inner.subscribe(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
