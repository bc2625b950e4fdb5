import type { Executor } from '@wfnet/domain';
import type { WorkitemDocument } from '@wfnet/projections';
import { TIMER_EXECUTOR } from '@wfnet/domain';
import type { Config } from './config/config.js';
import { openEventStore, openReadStore } from './stores/store-kinds.js';
import type { OpenedStores } from './stores/store-kinds.js';
import { autoExecutor, manualExecutor, timerExecutor, webhookExecutor } from './executors/built-in.js';
import { Dispatcher } from './executors/dispatcher.js';
import type { DispatcherOptions } from './executors/dispatcher.js';
import { ExecutorRegistry } from './executors/executor-registry.js';
import { Followers } from './followers/followers.js';
import { GATHER_MS, ProjectionRunner, ProjectionThread, ReadModels } from './projections/index.js';
import type { ReadModelRunner } from './projections/index.js';
import { Metrics } from './metrics/metrics.js';
import { Engine } from './engine/engine.js';
import { CaseHistory } from './cases/case-history.js';
import { CelConditions } from './conditions/cel.js';
import { Clock } from './clock/clock.js';
import { ServiceTiming } from './clock/timing.js';
import { TimerScheduler } from './timers/timer-scheduler.js';
import type { TimerSchedulerOptions } from './timers/timer-scheduler.js';

/** Everything the service runs, wired together; NestJS only exposes it. */
export interface Runtime {
  readonly stores: OpenedStores;
  readonly engine: Engine;
  readonly executors: ExecutorRegistry;
  readonly runner: ReadModelRunner;
  readonly dispatcher: Dispatcher;
  readonly timers: TimerScheduler;
  readonly readModels: ReadModels;
  readonly history: CaseHistory;
  readonly followers: Followers;
  readonly metrics: Metrics;
  /** The language of arc conditions, for the workflows' checks and the cases' decisions. */
  readonly conditions: CelConditions;
  /** Durations and timestamps, for the workflows' checks and the cases' timers. */
  readonly timing: ServiceTiming;
  readonly clock: Clock;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createRuntime(
  config: Config,
  ownExecutors: Readonly<Record<string, Executor>>,
  log: Logger,
  dispatcherOptions: DispatcherOptions = {},
  timerOptions: TimerSchedulerOptions = {},
): Runtime {
  // Labelled only when named on purpose: the default output stays as dashboards of one process know it.
  const metrics = new Metrics(config.processNameGiven ? { process: config.processName } : {});
  const clock = new Clock(config.clock);
  const timing = new ServiceTiming();
  const executors = new ExecutorRegistry({
    auto: autoExecutor,
    manual: manualExecutor,
    [TIMER_EXECUTOR]: timerExecutor(timing),
    webhook: metrics.countedWebhook(
      webhookExecutor({
        defaultTimeoutMs: 5000,
        maxResponseBytes: 1024 * 1024,
        ...(config.webhookAllow && { allowHosts: config.webhookAllow }),
        allowNetworks: config.webhookAllowNetworks,
      }),
    ),
    ...ownExecutors,
  });
  const stores = openEventStore(config.eventStore, {
    processName: config.processName,
    claimLeaseMs: config.claimLeaseMs,
    log,
  });
  const readStore = openReadStore(config.readStore);
  const followers = new Followers();
  const conditions = new CelConditions();
  const engine: Engine = new Engine(
    metrics.timedAppends(stores.eventStore),
    stores.snapshotStore,
    executors,
    {
      snapshotEvery: config.snapshotEvery,
      sharedStore: stores.shared,
      conditions,
      timing,
      onCommand: (type, error) => metrics.command(type, error),
      admission: {
        maxLag: config.admissionMaxLag,
        followers: () => followers.positions(),
      },
    },
  );
  const runnerOptions = {
    log: (line: string) => log.log(line),
    warn: (line: string) => log.warn(line),
    gatherMs: GATHER_MS,
  };
  // On a thread of its own where the events and the read models are two SQLite files (the default).
  const thread = ProjectionThread.for(stores.eventStore, readStore, runnerOptions);
  const runner: ReadModelRunner =
    thread ??
    new ProjectionRunner(stores.eventStore, readStore, { ...runnerOptions, settleTo: () => engine.appended });
  const dispatcher: Dispatcher = new Dispatcher({
    store: stores.eventStore,
    registry: executors,
    checkpoints: thread ?? readStore,
    loadCase: (caseId) => engine.loadCase(caseId),
    send: (command) => engine.executeCase(command),
    now: () => clock.iso(),
    log,
    claims: stores.claims,
    claimLeaseMs: config.claimLeaseMs,
    ...(stores.workQueue && { workQueue: stores.workQueue }),
    ...dispatcherOptions,
  });
  const readModels = new ReadModels(readStore, config.maxPageBytes);
  const timers = new TimerScheduler({
    store: stores.eventStore,
    index: readModels,
    projected: (position) => runner.waitFor(position),
    fire: (command) => engine.executeCase(command),
    clock,
    log,
    onFired: (lagSeconds) => metrics.timerFired(lagSeconds),
    claims: stores.claims,
    claimLeaseMs: config.claimLeaseMs,
    ...timerOptions,
  });
  followers.add(runner);
  followers.add(dispatcher);
  // Last: it reads the due-timer index, which the runner has caught up by then.
  followers.add(timers);
  const history = new CaseHistory(stores.eventStore);
  metrics.observeFrom({
    headPosition: () => stores.eventStore.headPosition(),
    projectionPosition: () => runner.position,
    // A workitem waiting for its retry timer is waiting for its executor too, though it holds no execution.
    dispatcherBacklog: () =>
      dispatcher.backlog +
      (['created', 'started'] as const)
        .flatMap((state) => readStore.list<WorkitemDocument>('workitems', { filter: { state } }))
        .filter(({ doc }) => doc.retryAt !== null).length,
    casesWaiting: () => engine.casesWaiting,
    workitemsIn: (state) => readStore.list('workitems', { filter: { state } }).length,
    incidentsOpen: () => readStore.list('incidents', { filter: { state: 'open' } }).length,
  });
  return {
    stores,
    engine,
    executors,
    runner,
    dispatcher,
    timers,
    readModels,
    history,
    followers,
    metrics,
    conditions,
    timing,
    clock,
    start: () => followers.start(),
    async stop() {
      await followers.stop();
      await engine.drain();
      readStore.close();
      // Before the stores: claims kept in the event store's database may use its connections.
      await stores.claims.close();
      await stores.close();
    },
  };
}
