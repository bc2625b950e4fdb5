import { Command, Query } from '@nestjs/cqrs';
import { foldCaseWithEnded } from '@wfnet/domain';
import type {
  CaseCommand,
  CaseData,
  CaseEvent,
  CaseState,
  RecordedEvent,
  WorkflowCommand,
  WorkflowState,
} from '@wfnet/domain';

export interface CaseOutcome {
  readonly state: CaseData;
  /** The state the command was decided on, and its events: with them, `foldCaseWithEnded` gives what it ended. */
  readonly before: CaseState;
  readonly events: readonly CaseEvent[];
  /** The global position of the last event the command appended (or of the stream's last event). */
  readonly position: bigint;
  readonly appended: number;
}

/** The state after the command with what it ended still in it, for answers about what it ended. */
export const stateWithEnded = (outcome: CaseOutcome): CaseData =>
  outcome.events.length === 0
    ? outcome.state
    : (foldCaseWithEnded(outcome.before, outcome.events) as CaseData);

export interface WorkflowOutcome {
  readonly state: Exclude<WorkflowState, { status: 'none' }>;
  readonly position: bigint;
  readonly appended: number;
}

/** Every case command of the domain travels the command bus in this envelope. */
export class CaseCommandMessage extends Command<CaseOutcome> {
  constructor(readonly command: CaseCommand) {
    super();
  }
}

export class WorkflowCommandMessage extends Command<WorkflowOutcome> {
  constructor(readonly command: WorkflowCommand) {
    super();
  }
}

export interface Page {
  readonly limit: number;
  readonly after?: string;
}

export type ReadRequest =
  | { readonly kind: 'workflow'; readonly id: string }
  | { readonly kind: 'workflows'; readonly page: Page }
  | { readonly kind: 'case'; readonly id: string }
  | { readonly kind: 'cases'; readonly page: Page; readonly workflowId?: string; readonly state?: string }
  | { readonly kind: 'caseTokens'; readonly caseId: string }
  | { readonly kind: 'caseTasks'; readonly caseId: string }
  | { readonly kind: 'task'; readonly id: string }
  | { readonly kind: 'workitem'; readonly id: string }
  | {
      readonly kind: 'workitems';
      readonly page: Page;
      readonly state?: string;
      readonly caseId?: string;
      readonly transitionId?: string;
      readonly executor?: string;
    };

/** Every read of a read model travels the query bus in this envelope; `waitFor` asks for read-your-writes. */
export class ReadModelQuery extends Query<unknown> {
  constructor(
    readonly request: ReadRequest,
    readonly waitFor?: bigint,
  ) {
    super();
  }
}

/** A case's history, read straight from its stream. */
export class CaseHistoryQuery extends Query<readonly RecordedEvent[]> {
  constructor(
    readonly caseId: string,
    readonly fromRevision: bigint,
    readonly limit: number,
  ) {
    super();
  }
}
