import type {
  BeforeApplicationShutdown,
  DynamicModule,
  FactoryProvider,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import type { Executor } from '@wfnet/domain';
import type { Config } from './config/config.js';
import type { DispatcherOptions } from './executors/dispatcher.js';
import { ExecutorRegistry } from './executors/executor-registry.js';
import { Followers } from './followers/followers.js';
import { Metrics } from './metrics/metrics.js';
import { ReadModelRunner } from './projections/index.js';
import { Engine } from './engine/engine.js';
import { CaseHistory } from './cases/case-history.js';
import { CelConditions } from './conditions/cel.js';
import { Dispatcher } from './executors/dispatcher.js';
import { ReadModels } from './projections/index.js';
import {
  CaseAtRevisionQueryHandler,
  CaseCommandHandler,
  CaseHistoryQueryHandler,
  FollowCaseQueryHandler,
  StartCaseHandler,
} from './cases/case.handlers.js';
import { HealthQueryHandler } from './health/health.handler.js';
import { OutputForms } from './forms/output-schemas.js';
import { CompleteWorkitemHandler } from './workitems/workitem.handlers.js';
import { ReadModelQueryHandler } from './reads/read-model.handler.js';
import { WorkflowCommandHandler, WorkflowQueryHandler } from './workflows/workflow.handlers.js';
import type { Runtime } from './runtime.js';
import { createRuntime } from './runtime.js';
import { Clock } from './clock/clock.js';
import { ServiceTiming } from './clock/timing.js';
import { CONFIG, EVENT_STORE } from './tokens.js';

const RUNTIME = Symbol('wfnet:runtime');

/** The parts of the runtime the app injects, each under its token. */
const RUNTIME_PARTS: readonly (readonly [FactoryProvider['provide'], (runtime: Runtime) => unknown])[] = [
  [Engine, (runtime) => runtime.engine],
  [ExecutorRegistry, (runtime) => runtime.executors],
  [ReadModels, (runtime) => runtime.readModels],
  [Dispatcher, (runtime) => runtime.dispatcher],
  [CaseHistory, (runtime) => runtime.history],
  [Metrics, (runtime) => runtime.metrics],
  [CelConditions, (runtime) => runtime.conditions],
  [ReadModelRunner, (runtime) => runtime.runner],
  [Followers, (runtime) => runtime.followers],
  [EVENT_STORE, (runtime) => runtime.stores.eventStore],
  [Clock, (runtime) => runtime.clock],
  [ServiceTiming, (runtime) => runtime.timing],
];

const runtimePartProviders = (): FactoryProvider[] =>
  RUNTIME_PARTS.map(([provide, part]) => ({ provide, useFactory: part, inject: [RUNTIME] }));

/**
 * Starts the read side and the dispatcher with the app, and stops everything in order with it. Nest
 * closes the HTTP server between the two shutdown hooks: live event streams are ended before, or the
 * server would wait for them forever; the runtime stops after, once the last request has been answered.
 */
@Injectable()
class RuntimeLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  onApplicationBootstrap(): Promise<void> {
    return this.runtime.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.runtime.history.endLiveReads();
  }

  onApplicationShutdown(): Promise<void> {
    return this.runtime.stop();
  }
}

@Module({})
export class RuntimeModule {
  static forRoot(
    config: Config,
    executors: Readonly<Record<string, Executor>>,
    dispatcher: DispatcherOptions = {},
  ): DynamicModule {
    return {
      module: RuntimeModule,
      global: true,
      providers: [
        { provide: CONFIG, useValue: config },
        {
          provide: RUNTIME,
          useFactory: () => createRuntime(config, executors, new Logger('engine'), dispatcher),
        },
        ...runtimePartProviders(),
        RuntimeLifecycle,
        { provide: OutputForms, useFactory: () => new OutputForms() },
        CaseCommandHandler,
        CompleteWorkitemHandler,
        StartCaseHandler,
        WorkflowCommandHandler,
        ReadModelQueryHandler,
        WorkflowQueryHandler,
        CaseHistoryQueryHandler,
        CaseAtRevisionQueryHandler,
        FollowCaseQueryHandler,
        HealthQueryHandler,
      ],
      exports: [
        CONFIG,
        Engine,
        ExecutorRegistry,
        Metrics,
        ReadModelRunner,
        Followers,
        EVENT_STORE,
        CelConditions,
        ServiceTiming,
        Clock,
      ],
    };
  }
}
