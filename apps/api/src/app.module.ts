import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { Executor } from '@wfnet/domain';
import { AdminController } from './admin/admin.controller.js';
import { CasesController } from './cases/cases.controller.js';
import type { Config } from './config/config.js';
import type { DispatcherOptions } from './executors/dispatcher.js';
import { loadConfig } from './config/config.js';
import { EventStreamLimit } from './cases/event-stream-limit.js';
import { AuthGuard } from './http/auth.guard.js';
import { Callers } from './http/caller.js';
import { ContentTypeGuard } from './http/content-type.guard.js';
import { ErrorFilter } from './http/error.filter.js';
import { JsonShapeInterceptor } from './http/limits.js';
import { RATE_LIMIT_CLOCK, RateLimitGuard } from './http/rate-limit.guard.js';
import { HealthController } from './health/health.controller.js';
import { IncidentsController } from './incidents/incidents.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { RuntimeModule } from './runtime.module.js';
import { TasksController } from './tasks/tasks.controller.js';
import { DiagramsController } from './ui/diagrams.controller.js';
import { UiController } from './ui/ui.controller.js';
import { WorkflowsController } from './workflows/workflows.controller.js';
import { WorkitemsController } from './workitems/workitems.controller.js';
import { WhoamiController } from './http/whoami.controller.js';

export interface WfnetOptions {
  /** Settings; read from the environment when absent. */
  readonly config?: Config;
  /** The application's own executors by name, beside the built-in `auto`, `manual` and `webhook`. */
  readonly executors?: Readonly<Record<string, Executor>>;
  /** Bound on concurrent executions and the retry backoff of executors (defaults: 64, 200 ms doubling to 30 s). */
  readonly dispatcher?: DispatcherOptions;
}

/** The whole service: `WfnetModule.forRoot({ executors: { ... } })` embeds it in an application. */
@Module({})
export class WfnetModule {
  static forRoot(options: WfnetOptions = {}): DynamicModule {
    const config = options.config ?? loadConfig();
    const { rateLimit } = config;
    return {
      module: WfnetModule,
      imports: [
        CqrsModule.forRoot(),
        RuntimeModule.forRoot(config, options.executors ?? {}, options.dispatcher),
      ],
      controllers: [
        WorkflowsController,
        CasesController,
        TasksController,
        WorkitemsController,
        IncidentsController,
        HealthController,
        MetricsController,
        AdminController,
        DiagramsController,
        UiController,
        WhoamiController,
      ],
      providers: [
        Callers,
        EventStreamLimit,
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_GUARD, useClass: ContentTypeGuard },
        { provide: APP_INTERCEPTOR, useClass: JsonShapeInterceptor },
        ...(rateLimit
          ? [
              { provide: RATE_LIMIT_CLOCK, useValue: () => Date.now() },
              { provide: APP_GUARD, useClass: RateLimitGuard },
            ]
          : []),
        // Global guards run in the order they are listed: a refused caller still counts against the rate limit.
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
