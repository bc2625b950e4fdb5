import type {
  BeforeApplicationShutdown,
  DynamicModule,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Executor } from '@wfnet/domain';
import type { Config } from '../config/config.js';
import type { DispatcherOptions } from '../executors/dispatcher.js';
import { ExecutorRegistry } from '../executors/executor-registry.js';
import { Followers } from '../followers/followers.js';
import { AuthGuard } from '../http/auth.guard.js';
import { Metrics } from '../metrics/metrics.js';
import { ProjectionRunner } from '../projections/index.js';
import { Engine } from './engine.js';
import { CaseHistory } from '../cases/case-history.js';
import { Dispatcher } from '../executors/dispatcher.js';
import { ReadModels } from '../projections/index.js';
import {
  CaseAtRevisionQueryHandler,
  CaseCommandHandler,
  CaseHistoryQueryHandler,
  FollowCaseQueryHandler,
  HealthQueryHandler,
  ReadModelQueryHandler,
  StartCaseHandler,
  WorkflowCommandHandler,
  WorkflowQueryHandler,
} from './handlers.js';
import type { Runtime } from './runtime.js';
import { createRuntime } from './runtime.js';
import { CONFIG, EVENT_STORE } from './tokens.js';

const RUNTIME = Symbol('wfnet:runtime');

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
export class EngineModule {
  static forRoot(
    config: Config,
    executors: Readonly<Record<string, Executor>>,
    dispatcher: DispatcherOptions = {},
  ): DynamicModule {
    return {
      module: EngineModule,
      global: true,
      providers: [
        { provide: CONFIG, useValue: config },
        {
          provide: RUNTIME,
          useFactory: () => createRuntime(config, executors, new Logger('engine'), dispatcher),
        },
        { provide: Engine, useFactory: (runtime: Runtime) => runtime.engine, inject: [RUNTIME] },
        { provide: ExecutorRegistry, useFactory: (runtime: Runtime) => runtime.executors, inject: [RUNTIME] },
        { provide: ReadModels, useFactory: (runtime: Runtime) => runtime.readModels, inject: [RUNTIME] },
        { provide: Dispatcher, useFactory: (runtime: Runtime) => runtime.dispatcher, inject: [RUNTIME] },
        { provide: CaseHistory, useFactory: (runtime: Runtime) => runtime.history, inject: [RUNTIME] },
        { provide: Metrics, useFactory: (runtime: Runtime) => runtime.metrics, inject: [RUNTIME] },
        { provide: ProjectionRunner, useFactory: (runtime: Runtime) => runtime.runner, inject: [RUNTIME] },
        { provide: Followers, useFactory: (runtime: Runtime) => runtime.followers, inject: [RUNTIME] },
        {
          provide: EVENT_STORE,
          useFactory: (runtime: Runtime) => runtime.stores.eventStore,
          inject: [RUNTIME],
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        RuntimeLifecycle,
        CaseCommandHandler,
        StartCaseHandler,
        WorkflowCommandHandler,
        ReadModelQueryHandler,
        WorkflowQueryHandler,
        CaseHistoryQueryHandler,
        CaseAtRevisionQueryHandler,
        FollowCaseQueryHandler,
        HealthQueryHandler,
      ],
      exports: [CONFIG, Engine, ExecutorRegistry, Metrics, ProjectionRunner, Followers, EVENT_STORE],
    };
  }
}
