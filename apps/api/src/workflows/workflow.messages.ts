import { Command, Query } from '@nestjs/cqrs';
import type { WorkflowCommand, WorkflowState } from '@wfnet/domain';
import type { WorkflowOutcome } from '../engine/outcomes.js';

export class WorkflowCommandMessage extends Command<WorkflowOutcome> {
  constructor(readonly command: WorkflowCommand) {
    super();
  }
}

/** The workflow as its own stream has it (not the read model), for drawing it. */
export class WorkflowQuery extends Query<Exclude<WorkflowState, { status: 'none' }>> {
  constructor(readonly workflowId: string) {
    super();
  }
}
