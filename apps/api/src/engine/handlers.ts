import { CommandHandler, QueryHandler } from '@nestjs/cqrs';
import type { ICommandHandler, IQueryHandler } from '@nestjs/cqrs';
import type { CaseCommand, RecordedEvent } from '@wfnet/domain';
import { NotFoundError } from '@wfnet/domain';
import { Engine } from './engine.js';
import type { CaseOutcome, WorkflowOutcome } from './messages.js';
import { CaseCommandMessage, CaseHistoryQuery, ReadModelQuery, WorkflowCommandMessage } from './messages.js';
import { ReadModelQueries } from './read-model-queries.js';

@CommandHandler(CaseCommandMessage)
export class CaseCommandHandler implements ICommandHandler<CaseCommandMessage, CaseOutcome> {
  constructor(private readonly engine: Engine) {}

  execute<C extends CaseCommand>({ command }: CaseCommandMessage<C>): Promise<CaseOutcome<C>> {
    return this.engine.executeCase(command);
  }
}

@CommandHandler(WorkflowCommandMessage)
export class WorkflowCommandHandler implements ICommandHandler<WorkflowCommandMessage, WorkflowOutcome> {
  constructor(private readonly engine: Engine) {}

  execute({ command }: WorkflowCommandMessage): Promise<WorkflowOutcome> {
    return this.engine.executeWorkflow(command);
  }
}

@QueryHandler(ReadModelQuery)
export class ReadModelQueryHandler implements IQueryHandler<ReadModelQuery, unknown> {
  constructor(private readonly readModels: ReadModelQueries) {}

  execute({ request, waitFor }: ReadModelQuery): Promise<unknown> {
    return this.readModels.answer(request, waitFor);
  }
}

@QueryHandler(CaseHistoryQuery)
export class CaseHistoryQueryHandler implements IQueryHandler<CaseHistoryQuery, readonly RecordedEvent[]> {
  constructor(private readonly engine: Engine) {}

  async execute({ caseId, fromRevision, limit }: CaseHistoryQuery): Promise<readonly RecordedEvent[]> {
    const events = await this.engine.caseHistory(caseId, fromRevision, limit);
    if (events.length === 0 && !(await this.engine.caseExists(caseId)))
      throw new NotFoundError('case', caseId);
    return events;
  }
}
