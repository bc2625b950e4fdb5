import { CommandHandler } from '@nestjs/cqrs';
import type { ICommandHandler } from '@nestjs/cqrs';
import type { CompleteWorkitem } from '@wfnet/domain';
import { Engine } from '../engine/engine.js';
import type { CaseOutcome } from '../engine/outcomes.js';
import { OutputForms } from '../forms/output-schemas.js';
import { CompleteWorkitemMessage } from './workitem.messages.js';

@CommandHandler(CompleteWorkitemMessage)
export class CompleteWorkitemHandler implements ICommandHandler<
  CompleteWorkitemMessage,
  CaseOutcome<CompleteWorkitem>
> {
  constructor(
    private readonly engine: Engine,
    private readonly forms: OutputForms,
  ) {}

  async execute({ command }: CompleteWorkitemMessage): Promise<CaseOutcome<CompleteWorkitem>> {
    const { caseId, workitemId, output } = command.data;
    const state = await this.engine.loadCase(caseId);
    // A workitem's transition and the case's definition never change, so the check holds for the command
    // after it. A case or workitem that is not there (or has ended) is the command's to refuse.
    const workitem = state.status === 'none' ? undefined : state.workitems.get(workitemId);
    if (state.status !== 'none' && workitem) {
      this.forms.assertOutput(state.definition, workitem.transitionId, workitemId, output);
    }
    return this.engine.executeCase(command);
  }
}
