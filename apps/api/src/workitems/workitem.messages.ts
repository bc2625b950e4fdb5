import { Command } from '@nestjs/cqrs';
import type { CompleteWorkitem } from '@wfnet/domain';
import type { CaseOutcome } from '../engine/outcomes.js';

/** A completion sent through the API: its output must satisfy the transition's output schema first. */
export class CompleteWorkitemMessage extends Command<CaseOutcome<CompleteWorkitem>> {
  constructor(readonly command: CompleteWorkitem) {
    super();
  }
}
