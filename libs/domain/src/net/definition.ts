import type { JsonValue } from '../core/message.js';
import type { JoinType, SplitType } from './kinds.js';

export type PlaceType = 'start' | 'normal' | 'end';

export interface Place {
  readonly id: string;
  readonly type: PlaceType;
  readonly name?: string;
}

export interface Transition {
  readonly id: string;
  readonly name?: string;
  /** A registered executor's name: `auto`, `manual`, `webhook` or one an application registers. */
  readonly executor: string;
  readonly executorParams: { readonly [key: string]: JsonValue };
  readonly joinType: JoinType;
  readonly splitType: SplitType;
  /** An `or` join's pairing: the `or` split whose block it closes; it waits for the branches that split chose. */
  readonly orJoin?: { readonly split: string };
  /** ISO 8601 durations bounding its workitems (see `Timeouts`); absent: no bound. */
  readonly timeouts?: Timeouts;
  /** How its workitems' failed attempts are retried; absent: `DEFAULT_RETRY_POLICY`. */
  readonly retry?: Partial<RetryPolicy>;
  /** Who may work its manual workitems; absent: anyone who may complete workitems. */
  readonly assignment?: Assignment;
  /** Four eyes: a user who completed a workitem of one of these transitions in the case may not complete this one. */
  readonly separateFrom?: readonly string[];
  /** A JSON Schema (draft 2020-12) that a completion's output must satisfy; the UI renders a form from it. */
  readonly outputSchema?: { readonly [key: string]: JsonValue };
}

/**
 * Candidates of a transition's workitems. `assignee` is a CEL expression over `case` and `inputs` giving one
 * user, evaluated when the workitem is created.
 */
export interface Assignment {
  readonly candidateGroups?: readonly string[];
  readonly candidateUsers?: readonly string[];
  readonly assignee?: string;
}

/**
 * Temporal's timeouts, as ISO 8601 durations. `scheduleToStart` (created until started or completed) and
 * `startToClose` (one attempt, from started) count as a failed attempt of type `timeout`;
 * `scheduleToClose` (created until completed) is final: a `timeout` incident.
 */
export interface Timeouts {
  readonly scheduleToStart?: string;
  readonly startToClose?: string;
  readonly scheduleToClose?: string;
}

export const TIMEOUT_KINDS = ['scheduleToStart', 'startToClose', 'scheduleToClose'] as const;

/** Temporal's retry policy: the n-th retry waits `initialInterval × backoffCoefficient^(n-1)`, at most `maximumInterval`. */
export interface RetryPolicy {
  readonly initialInterval: string;
  readonly backoffCoefficient: number;
  readonly maximumInterval: string;
  /** Attempts in all, the first included; 0: no limit. */
  readonly maximumAttempts: number;
  /** Error types that raise an incident at once, whatever `retryable` says. */
  readonly nonRetryableErrorTypes: readonly string[];
}

/**
 * Place → transition (an input arc) or transition → place (an output arc). An output arc of a split that
 * decides (`xor`, `or`) carries a CEL `condition` or is the transition's one `default` arc.
 */
export interface Arc {
  readonly from: string;
  readonly to: string;
  readonly condition?: string;
  readonly default?: true;
}

/** A workflow net with every default filled: what is stored and what a case pins. */
export interface WorkflowDefinition {
  readonly id: string;
  readonly name: string;
  readonly places: readonly Place[];
  readonly transitions: readonly Transition[];
  readonly arcs: readonly Arc[];
  readonly metadata: { readonly [key: string]: JsonValue };
  /** An ISO 8601 duration from the case's creation after which it is terminated (reason `timeout`). */
  readonly caseTimeout?: string;
}

/** Ids of the contract: `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export const ASSIGNMENT_FIELDS = ['candidateGroups', 'candidateUsers', 'assignee'] as const;

export const RETRY_FIELDS = [
  'initialInterval',
  'backoffCoefficient',
  'maximumInterval',
  'maximumAttempts',
  'nonRetryableErrorTypes',
] as const;
