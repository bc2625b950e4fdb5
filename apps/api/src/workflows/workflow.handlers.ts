import { CommandHandler, QueryHandler } from '@nestjs/cqrs';
import type { ICommandHandler, IQueryHandler } from '@nestjs/cqrs';
import type { WorkflowState } from '@wfnet/domain';
import { Engine } from '../engine/engine.js';
import type { WorkflowOutcome } from '../engine/outcomes.js';
import { WorkflowCommandMessage, WorkflowQuery } from './workflow.messages.js';

@CommandHandler(WorkflowCommandMessage)
export class WorkflowCommandHandler implements ICommandHandler<WorkflowCommandMessage, WorkflowOutcome> {
  constructor(private readonly engine: Engine) {}

  execute({ command }: WorkflowCommandMessage): Promise<WorkflowOutcome> {
    return this.engine.executeWorkflow(command);
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
