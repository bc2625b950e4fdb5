import type { JsonValue } from '../core/message.js';
import type { WorkflowDefinition } from '../net/definition.js';
import type {
  AbandonReason,
  ExecutionError,
  IncidentKind,
  TaskState,
  TimerKind,
  TokenState,
  WorkitemAssignment,
  WorkitemState,
} from './events.js';

export interface Token {
  readonly id: string;
  readonly placeId: string;
  readonly state: TokenState;
  readonly payload: JsonValue;
  readonly producedByTaskId: string;
  readonly lockedByTaskId: string | null;
  readonly consumedByTaskId: string | null;
}

/** A firing attempt of a transition, with its own token table (`offered`, `locked`) and workitem table. */
export interface Task {
  readonly id: string;
  readonly transitionId: string;
  readonly state: TaskState;
  /** Tokens offered to the task and not discarded, in the order received; while the task is live none is consumed. */
  readonly offered: readonly string[];
  /** Tokens this task holds locked (a subset of `offered`); consumed on completion. */
  readonly locked: readonly string[];
  readonly workitemIds: readonly string[];
  readonly tokenPayload: JsonValue;
  readonly abandonReason: AbandonReason | null;
}

export interface Workitem {
  readonly id: string;
  readonly taskId: string;
  readonly transitionId: string;
  readonly executor: string;
  readonly state: WorkitemState;
  readonly output: JsonValue;
  /** Its candidates, when its transition has an assignment; absent: anyone who may work workitems. */
  readonly assignment?: WorkitemAssignment;
  /** The user who claimed it; absent when unclaimed, and always once it has ended. */
  readonly claimedBy?: string;
}

/** An open incident; a resolved one is only in the history. */
export interface Incident {
  readonly id: string;
  readonly kind: IncidentKind;
  readonly taskId: string;
  readonly workitemId: string | null;
  readonly message: string;
  readonly createdAt: string;
}

/** A pending timer; a fired or cancelled one is only in the history. */
export interface Timer {
  readonly id: string;
  readonly kind: TimerKind;
  readonly dueAt: string;
  readonly taskId: string | null;
  /** Its owner; null for the case's own timer (`case`). */
  readonly workitemId: string | null;
}

/** The failed attempts of a workitem that has failed at least once. */
export interface WorkitemAttempts {
  readonly attempts: number;
  readonly lastError: ExecutionError;
  /** When the next attempt may start; null when none is scheduled (attempts ran out, or an incident). */
  readonly retryAt: string | null;
}

export type CaseStatus = 'created' | 'active' | 'finished' | 'terminated';

/** How many tokens, tasks and workitems a case has made: their ids are numbered 1 to these. */
export interface CaseCounts {
  readonly tokens: number;
  readonly tasks: number;
  readonly workitems: number;
  readonly incidents: number;
  readonly timers: number;
}

export interface CaseData {
  readonly status: CaseStatus;
  readonly caseId: string;
  readonly workflowId: string;
  /** The definition pinned when the case was created; later workflow changes never reach it. */
  readonly definition: WorkflowDefinition;
  readonly data: JsonValue;
  /**
   * What can still change: the unconsumed tokens, the live tasks and the workitems of live tasks. What
   * has ended is only in the history, so a state, its snapshot and every command on it stay as small as
   * the work in progress however long the case runs (see `foldCaseWithEnded` for the rest).
   */
  readonly tokens: ReadonlyMap<string, Token>;
  readonly tasks: ReadonlyMap<string, Task>;
  readonly workitems: ReadonlyMap<string, Workitem>;
  /** The open incidents. */
  readonly incidents: ReadonlyMap<string, Incident>;
  /** The pending timers. */
  readonly timers: ReadonlyMap<string, Timer>;
  /** The failures of open workitems that have failed, by workitem id. */
  readonly attempts: ReadonlyMap<string, WorkitemAttempts>;
  readonly counts: CaseCounts;
  /**
   * The users who completed each transition's workitems through the API, by transition id, for four eyes;
   * kept for the whole case (it is small: one entry per person and transition).
   */
  readonly completedBy: ReadonlyMap<string, readonly string[]>;
  /** The one live task (started, allocated or executing) of each transition that has one. */
  readonly liveTaskOf: ReadonlyMap<string, string>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type CaseState = { readonly status: 'none' } | CaseData;

/** The number of a workitem's next attempt: one more than the failures recorded for it. */
export function nextAttemptOf(state: Pick<CaseData, 'attempts'>, workitemId: string): number {
  return (state.attempts.get(workitemId)?.attempts ?? 0) + 1;
}
