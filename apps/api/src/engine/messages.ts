import { Command, Query } from '@nestjs/cqrs';
import type {
  AbandonWorkitem,
  CaseCommand,
  CreateCase,
  JsonValue,
  CaseData,
  CompleteWorkitem,
  ForceAbandonTask,
  PreexecuteTask,
  RecordedEvent,
  Task,
  Token,
  WorkflowCommand,
  WorkflowState,
  Workitem,
} from '@wfnet/domain';
import type { CaseAtRevision, CaseFollow } from '../cases/case-history.js';

/**
 * What a command's caller answers with besides the case: the task or workitem the command named, as the
 * command left it (also when it ended it, so no longer in the case's state), or the tokens it locked.
 */
export type CaseAnswer<C extends CaseCommand> = C extends PreexecuteTask
  ? { readonly lockedTokens: readonly Token[] }
  : C extends ForceAbandonTask
    ? { readonly task: Task }
    : C extends CompleteWorkitem | AbandonWorkitem
      ? { readonly workitem: Workitem }
      : object;

export type CaseOutcome<C extends CaseCommand = CaseCommand> = {
  readonly state: CaseData;
  /** The global position of the last event the command appended (or of the stream's last event). */
  readonly position: bigint;
  readonly appended: number;
} & CaseAnswer<C>;

export interface WorkflowOutcome {
  readonly state: Exclude<WorkflowState, { status: 'none' }>;
  readonly position: bigint;
  readonly appended: number;
}

/** Every case command of the domain travels the command bus in this envelope. */
export class CaseCommandMessage<C extends CaseCommand = CaseCommand> extends Command<CaseOutcome<C>> {
  constructor(readonly command: C) {
    super();
  }
}

/** Starts a case on the workflow as it is now: `CreateCase` with the workflow its handler loads. */
export class StartCaseMessage extends Command<CaseOutcome<CreateCase>> {
  constructor(
    readonly caseId: string,
    readonly workflowId: string,
    readonly data: JsonValue,
    readonly at: string,
  ) {
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

/** The workflow as its own stream has it (not the read model), for drawing it. */
export class WorkflowQuery extends Query<Exclude<WorkflowState, { status: 'none' }>> {
  constructor(readonly workflowId: string) {
    super();
  }
}

/** The case as it was at a revision of its stream, or as it is now without one (see `CaseHistory`). */
export class CaseAtRevisionQuery extends Query<CaseAtRevision> {
  constructor(
    readonly caseId: string,
    readonly revision?: bigint,
  ) {
    super();
  }
}

/** A case's history, then its events as they are recorded until it ends (server-sent events). */
export class FollowCaseQuery extends Query<CaseFollow> {
  constructor(readonly caseId: string) {
    super();
  }
}

/** Whether the service is ready: its store answers and the read models keep up with it. */
export class HealthQuery extends Query<Health> {}

export interface Health {
  readonly ready: boolean;
  readonly body: object;
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
