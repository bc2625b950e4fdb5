import type { Event, JsonValue } from '../core/message.js';
import type { WorkflowDefinition } from '../net/definition.js';

export type TaskState = 'started' | 'allocated' | 'executing' | 'completed' | 'abandoned';
export type WorkitemState = 'created' | 'started' | 'completed' | 'abandoned';
export type TokenState = 'free' | 'locked' | 'consumed';
export type AbandonReason = 'forced' | 'workitems_abandoned' | 'tokens_withdrawn' | 'case_ended';
export type IncidentKind = 'condition_failed' | 'executor_failed' | 'timeout';
/**
 * What a timer waits for: a `timer` executor's workitem (`executor`), a workitem's timeouts (Temporal's
 * names), the case's `caseTimeout` (`case`), or the next attempt of a failed workitem (`retry`).
 */
export type TimerKind =
  'executor' | 'scheduleToStart' | 'startToClose' | 'scheduleToClose' | 'case' | 'retry';
export const TIMER_KINDS: readonly TimerKind[] = [
  'executor',
  'scheduleToStart',
  'startToClose',
  'scheduleToClose',
  'case',
  'retry',
];

/** Why an executor's attempt failed: its own error, or `error`, `network`, `http_5xx`, `timeout`. */
export interface ExecutionError {
  readonly type: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** Where a split that decides sent the tokens: by its conditions, its default arc, or an operator's resolution. */
export interface Route {
  readonly placeIds: readonly string[];
  readonly by: 'condition' | 'default' | 'operator';
}

/** How an operator settles an incident (`POST /incidents/:id/resolve`). */
export type IncidentResolution =
  | { readonly action: 'retry' }
  | { readonly action: 'complete'; readonly output: JsonValue }
  | { readonly action: 'route'; readonly placeIds: readonly string[] }
  | { readonly action: 'abandon' };

/** The producer of the genesis token, and the consumer of the token a finished case takes from `end`. */
export const GENESIS = 'genesis';
export const TERMINATION = 'termination';

export interface IssuedToken {
  readonly id: string;
  readonly placeId: string;
  readonly payload: JsonValue;
  readonly producedByTaskId: string;
}

interface CaseFact {
  readonly caseId: string;
  /** ISO-8601 time of the command that recorded the event. */
  readonly at: string;
}
interface TaskFact extends CaseFact {
  readonly taskId: string;
}
interface TokensFact extends TaskFact {
  readonly tokenIds: readonly string[];
}

export type CaseCreated = Event<
  'CaseCreated',
  CaseFact & {
    readonly workflowId: string;
    readonly definition: WorkflowDefinition;
    readonly data: JsonValue;
  }
>;
export type CaseActivated = Event<'CaseActivated', CaseFact>;
export type TokensIssued = Event<'TokensIssued', CaseFact & { readonly tokens: readonly IssuedToken[] }>;
export type TaskStarted = Event<'TaskStarted', TaskFact & { readonly transitionId: string }>;
export type TokensReceived = Event<'TokensReceived', TokensFact>;
export type TaskAllocated = Event<'TaskAllocated', TaskFact & { readonly workitemId: string }>;
/** `assignment` is present only when the transition has one. */
export type WorkitemCreated = Event<
  'WorkitemCreated',
  TaskFact & {
    readonly workitemId: string;
    readonly transitionId: string;
    readonly executor: string;
    readonly assignment?: WorkitemAssignment;
  }
>;
/** The task is `executing` from this event on. */
export type TokensLocked = Event<'TokensLocked', TokensFact>;
export type WorkitemUpdated = Event<
  'WorkitemUpdated',
  TaskFact & {
    readonly workitemId: string;
    readonly state: 'started' | 'completed' | 'abandoned';
    /** The executor's output when completed, otherwise null. */
    readonly output: JsonValue;
    /**
     * On an abandonment, the workitem's transition and executor, so that its abandon hook can run from the
     * event alone; absent on other updates and on abandonments recorded before they were added.
     */
    readonly transitionId?: string;
    readonly executor?: string;
    /** The user who completed or abandoned it through the API; absent for executors and the system. */
    readonly by?: string;
    /** The people rules the admin `by` set aside; absent when none was. */
    readonly override?: readonly OverriddenRule[];
  }
>;
/** `taskId` is `termination` when the case itself consumes the token in `end`. */
export type TokensConsumed = Event<'TokensConsumed', TokensFact>;
export type TokensDiscarded = Event<'TokensDiscarded', TokensFact>;
export type TokensUnlocked = Event<'TokensUnlocked', TokensFact>;
export type TaskCompleted = Event<
  'TaskCompleted',
  TaskFact & {
    readonly tokenPayload: JsonValue;
    /** Present when the transition's split decides: replay reads it and never evaluates a condition. */
    readonly route?: Route;
  }
>;
export type TaskAbandoned = Event<'TaskAbandoned', TaskFact & { readonly reason: AbandonReason }>;
/** Work that cannot go on without a person; the task it names waits, its tokens held, until it is resolved. */
export type IncidentRaised = Event<
  'IncidentRaised',
  TaskFact & {
    readonly incidentId: string;
    readonly kind: IncidentKind;
    readonly workitemId: string | null;
    readonly message: string;
  }
>;
export type IncidentResolved = Event<
  'IncidentResolved',
  CaseFact & { readonly incidentId: string; readonly resolution: IncidentResolution }
>;
/**
 * A durable timer, appended in the batch of what starts its clock. Its owner is its workitem, or the case
 * when `workitemId` is null (`case`); it is cancelled in the batch that ends its owner, so none outlives it.
 */
export type TimerScheduled = Event<
  'TimerScheduled',
  CaseFact & {
    readonly timerId: string;
    readonly kind: TimerKind;
    readonly dueAt: string;
    readonly taskId: string | null;
    readonly workitemId: string | null;
  }
>;
/** Appended in the batch of the timer's consequences; `kind` and `workitemId` repeat the schedule's for followers. */
export type TimerFired = Event<
  'TimerFired',
  CaseFact & { readonly timerId: string; readonly kind: TimerKind; readonly workitemId: string | null }
>;
export type TimerCancelled = Event<'TimerCancelled', CaseFact & { readonly timerId: string }>;
/**
 * An attempt of the workitem's executor failed. `retryAt` is when the next attempt may start (a `retry`
 * timer is scheduled in the same batch), null when the attempts ran out or the error is not retryable.
 */
export type WorkitemFailed = Event<
  'WorkitemFailed',
  TaskFact & {
    readonly workitemId: string;
    readonly attempt: number;
    readonly error: ExecutionError;
    readonly retryAt: string | null;
  }
>;
/** A workitem's candidates, evaluated when it was created; `assignee` is null when none was named. */
export interface WorkitemAssignment {
  readonly candidateGroups: readonly string[];
  readonly candidateUsers: readonly string[];
  readonly assignee: string | null;
}
/** The people rules an admin's command set aside; recorded on the event of what the admin did. */
export type OverriddenRule = 'workitem_claimed' | 'not_a_candidate' | 'separation_of_duties';
/** `override` when an admin who is not a candidate claimed it. */
export type WorkitemClaimed = Event<
  'WorkitemClaimed',
  TaskFact & {
    readonly workitemId: string;
    readonly by: string;
    readonly override?: readonly OverriddenRule[];
  }
>;
/** `by` released `claimedBy`'s claim (an admin may release someone else's: `override`). */
export type WorkitemReleased = Event<
  'WorkitemReleased',
  TaskFact & {
    readonly workitemId: string;
    readonly by: string;
    readonly claimedBy: string;
    readonly override?: readonly OverriddenRule[];
  }
>;
export type CaseFinished = Event<'CaseFinished', CaseFact>;
/** `reason` is `timeout` when the case's `caseTimeout` ran out; absent when someone terminated it. */
export type CaseTerminated = Event<'CaseTerminated', CaseFact & { readonly reason?: 'timeout' }>;

export type CaseEvent =
  | CaseCreated
  | CaseActivated
  | TokensIssued
  | TaskStarted
  | TokensReceived
  | TaskAllocated
  | WorkitemCreated
  | TokensLocked
  | WorkitemUpdated
  | TokensConsumed
  | TokensDiscarded
  | TokensUnlocked
  | TaskCompleted
  | TaskAbandoned
  | IncidentRaised
  | IncidentResolved
  | TimerScheduled
  | TimerFired
  | TimerCancelled
  | WorkitemFailed
  | WorkitemClaimed
  | WorkitemReleased
  | CaseFinished
  | CaseTerminated;

export type CaseEventType = CaseEvent['type'];

export const CASE_EVENT_TYPES: readonly CaseEventType[] = [
  'CaseCreated',
  'CaseActivated',
  'TokensIssued',
  'TaskStarted',
  'TokensReceived',
  'TaskAllocated',
  'WorkitemCreated',
  'TokensLocked',
  'WorkitemUpdated',
  'TokensConsumed',
  'TokensDiscarded',
  'TokensUnlocked',
  'TaskCompleted',
  'TaskAbandoned',
  'IncidentRaised',
  'IncidentResolved',
  'TimerScheduled',
  'TimerFired',
  'TimerCancelled',
  'WorkitemFailed',
  'WorkitemClaimed',
  'WorkitemReleased',
  'CaseFinished',
  'CaseTerminated',
];

/** Every case's stream name starts with this: followers of all cases subscribe to it. */
export const CASE_STREAM_PREFIX = 'case-';
export const caseStreamId = (caseId: string): string => `${CASE_STREAM_PREFIX}${caseId}`;
