import type {
  AbandonWorkitem,
  CaseCommand,
  CaseData,
  ClaimWorkitem,
  CompleteWorkitem,
  ForceAbandonTask,
  PreexecuteTask,
  ReleaseWorkitem,
  Task,
  Token,
  WorkflowState,
  Workitem,
  WorkitemAttempts,
} from '@wfnet/domain';

/**
 * What a command's caller answers with besides the case: the task or workitem the command named, as the
 * command left it (also when it ended it, so no longer in the case's state), or the tokens it locked.
 */
export type CaseAnswer<C extends CaseCommand> = C extends PreexecuteTask
  ? { readonly lockedTokens: readonly Token[] }
  : C extends ForceAbandonTask
    ? { readonly task: Task }
    : C extends CompleteWorkitem | AbandonWorkitem | ClaimWorkitem | ReleaseWorkitem
      ? { readonly workitem: Workitem; readonly attempts: WorkitemAttempts | undefined }
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
