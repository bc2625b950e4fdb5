import { CommandHandler, QueryHandler } from '@nestjs/cqrs';
import type { ICommandHandler, IQueryHandler } from '@nestjs/cqrs';
import type { CaseCommand, CreateCase, RecordedEvent } from '@wfnet/domain';
import { Engine } from '../engine/engine.js';
import type { CaseOutcome } from '../engine/outcomes.js';
import type { CaseAtRevision, CaseFollow } from './case-history.js';
import { CaseHistory } from './case-history.js';
import {
  CaseAtRevisionQuery,
  CaseCommandMessage,
  CaseHistoryQuery,
  FollowCaseQuery,
  StartCaseMessage,
} from './case.messages.js';

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
