import { Inject } from '@nestjs/common';
import { CommandHandler, QueryHandler } from '@nestjs/cqrs';
import type { ICommandHandler, IQueryHandler } from '@nestjs/cqrs';
import type { CaseCommand, CreateCase, EventStore, RecordedEvent, WorkflowState } from '@wfnet/domain';
import type { CaseAtRevision, CaseFollow } from '../cases/case-history.js';
import { CaseHistory } from '../cases/case-history.js';
import type { Config } from '../config/config.js';
import { Dispatcher } from '../executors/dispatcher.js';
import { readiness } from '../health/readiness.js';
import { Followers } from '../followers/followers.js';
import { ProjectionRunner, READ_MODELS, ReadModels } from '../projections/index.js';
import { Engine } from './engine.js';
import type { CaseOutcome, Health, WorkflowOutcome } from './messages.js';
import {
  CaseAtRevisionQuery,
  CaseCommandMessage,
  CaseHistoryQuery,
  FollowCaseQuery,
  HealthQuery,
  ReadModelQuery,
  StartCaseMessage,
  WorkflowCommandMessage,
  WorkflowQuery,
} from './messages.js';
import { CONFIG, EVENT_STORE } from '../tokens.js';

@CommandHandler(CaseCommandMessage)
export class CaseCommandHandler implements ICommandHandler<CaseCommandMessage, CaseOutcome> {
  constructor(private readonly engine: Engine) {}

  execute<C extends CaseCommand>({ command }: CaseCommandMessage<C>): Promise<CaseOutcome<C>> {
    return this.engine.executeCase(command);
  }
}

@CommandHandler(StartCaseMessage)
export class StartCaseHandler implements ICommandHandler<StartCaseMessage, CaseOutcome<CreateCase>> {
  constructor(private readonly engine: Engine) {}

  async execute({ caseId, workflowId, data, at }: StartCaseMessage): Promise<CaseOutcome<CreateCase>> {
    const workflow = await this.engine.requireWorkflow(workflowId);
    return this.engine.executeCase({
      type: 'CreateCase',
      data: { caseId, workflow: { definition: workflow.definition, state: workflow.status }, data, at },
    });
  }
}

@CommandHandler(WorkflowCommandMessage)
export class WorkflowCommandHandler implements ICommandHandler<WorkflowCommandMessage, WorkflowOutcome> {
  constructor(private readonly engine: Engine) {}

  execute({ command }: WorkflowCommandMessage): Promise<WorkflowOutcome> {
    return this.engine.executeWorkflow(command);
  }
}

/** Answers the contract's reads from the read models, after `waitFor` when asked. */
@QueryHandler(ReadModelQuery)
export class ReadModelQueryHandler implements IQueryHandler<ReadModelQuery, unknown> {
  constructor(
    private readonly models: ReadModels,
    private readonly runner: ProjectionRunner,
    private readonly dispatcher: Dispatcher,
  ) {}

  async execute({ request, waitFor }: ReadModelQuery): Promise<unknown> {
    if (waitFor !== undefined) await this.runner.waitFor(waitFor);
    const models = this.models;
    switch (request.kind) {
      case 'workflow':
        return models.getWorkflow(request.id);
      case 'workflows':
        return models.listWorkflows(request.page);
      case 'case':
        return models.getCase(request.id);
      case 'cases': {
        const { page, workflowId, state } = request;
        return models.listCases({ ...page, workflowId, state });
      }
      case 'caseTokens':
        return models.getCaseTokens(request.caseId);
      case 'caseTasks':
        return models.getCaseTasks(request.caseId);
      case 'task':
        return models.getTask(request.id);
      case 'workitem':
        return this.withExecution(models.getWorkitem(request.id));
      case 'workitems': {
        const { page, kind: _, ...filter } = request;
        const listed = models.listWorkitems({ ...page, ...filter });
        return { ...listed, items: listed.items.map((item) => this.withExecution(item)) };
      }
    }
  }

  /** Attempts and the last error of a workitem's executor, while it is being retried. */
  private withExecution<W extends { readonly id: string }>(workitem: W): W {
    const status = this.dispatcher.statusOf(workitem.id);
    return status ? { ...workitem, attempts: status.attempts, lastError: status.lastError } : workitem;
  }
}

@QueryHandler(WorkflowQuery)
export class WorkflowQueryHandler implements IQueryHandler<
  WorkflowQuery,
  Exclude<WorkflowState, { status: 'none' }>
> {
  constructor(private readonly engine: Engine) {}

  execute({ workflowId }: WorkflowQuery): Promise<Exclude<WorkflowState, { status: 'none' }>> {
    return this.engine.requireWorkflow(workflowId);
  }
}

@QueryHandler(CaseHistoryQuery)
export class CaseHistoryQueryHandler implements IQueryHandler<CaseHistoryQuery, readonly RecordedEvent[]> {
  constructor(private readonly history: CaseHistory) {}

  execute({ caseId, fromRevision, limit }: CaseHistoryQuery): Promise<readonly RecordedEvent[]> {
    return this.history.page(caseId, fromRevision, limit);
  }
}

@QueryHandler(CaseAtRevisionQuery)
export class CaseAtRevisionQueryHandler implements IQueryHandler<CaseAtRevisionQuery, CaseAtRevision> {
  constructor(private readonly history: CaseHistory) {}

  execute({ caseId, revision }: CaseAtRevisionQuery): Promise<CaseAtRevision> {
    return this.history.atRevision(caseId, revision);
  }
}

@QueryHandler(FollowCaseQuery)
export class FollowCaseQueryHandler implements IQueryHandler<FollowCaseQuery, CaseFollow> {
  constructor(private readonly history: CaseHistory) {}

  execute({ caseId }: FollowCaseQuery): Promise<CaseFollow> {
    return this.history.follow(caseId);
  }
}

/** Ready means: the store answers, and the read models follow it no more than `readyMaxLag` events behind. */
@QueryHandler(HealthQuery)
export class HealthQueryHandler implements IQueryHandler<HealthQuery, Health> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly followers: Followers,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** Ready while the store answers and the read models keep up with it; every follower shows its position. */
  async execute(): Promise<Health> {
    const readModels = this.followers.get(READ_MODELS);
    const position = readModels?.position ?? 0n;
    const head = await this.store.headPosition().catch(() => undefined);
    const state = readiness({
      head,
      projectionPosition: position,
      following: readModels?.following ?? false,
      maxLag: this.config.readyMaxLag,
    });
    const facts = {
      store: this.store.description,
      projectionPosition: position.toString(),
      ...(state.lag !== undefined && { projectionLag: state.lag.toString() }),
      followers: Object.fromEntries(
        this.followers.all.map(({ id, position, following }) => [
          id,
          { position: position.toString(), following },
        ]),
      ),
    };
    if (state.ready) return { ready: true, body: { status: 'ok', ...facts } };
    return {
      ready: false,
      body: { statusCode: 503, code: state.code, message: state.message, status: 'unavailable', ...facts },
    };
  }
}
