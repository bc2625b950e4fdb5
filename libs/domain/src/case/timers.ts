import type { RetryPolicy } from '../net/definition.js';
import type { Timing } from '../net/timing.js';
import { isOpen } from '../workitem/workitem.js';
import type { ExecutionError, TimerKind } from './events.js';
import type { CaseData, Timer } from './state.js';

export type Due =
  { readonly ok: true; readonly dueAt: string } | { readonly ok: false; readonly message: string };

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** `from` plus `duration`, or why it cannot be computed (no timing, or a duration it refuses). */
export function dueAfter(timing: Timing | undefined, from: string, duration: string): Due {
  if (!timing) return { ok: false, message: 'no timing to compute durations with' };
  try {
    return checkedTime(timing.addDuration(from, duration));
  } catch (error) {
    return { ok: false, message: reason(error) };
  }
}

/** The time a `timer` executor's `at` expression gives, or why it cannot be evaluated. */
export function dueAtExpression(
  timing: Timing | undefined,
  source: string,
  scope: Parameters<Timing['evaluateTimestamp']>[1],
): Due {
  if (!timing) return { ok: false, message: 'no timing to evaluate timestamps with' };
  try {
    return checkedTime(timing.evaluateTimestamp(source, scope));
  } catch (error) {
    return { ok: false, message: reason(error) };
  }
}

function checkedTime(time: string): Due {
  return Number.isNaN(Date.parse(time))
    ? { ok: false, message: `${JSON.stringify(time)} is not an ISO 8601 time` }
    : { ok: true, dueAt: time };
}

/** Whether the time `at` has reached `dueAt` (ISO 8601 times, compared as instants, not as text). */
export const isDue = (dueAt: string, at: string): boolean => Date.parse(at) >= Date.parse(dueAt);

/** The timeouts that bound one attempt; `scheduleToClose` bounds the workitem across its attempts. */
export const PER_ATTEMPT: ReadonlySet<TimerKind> = new Set(['scheduleToStart', 'startToClose']);

/**
 * The invariant the decider keeps after every command: a pending timer's owner is live. The case's own
 * timer lives while the case is active; a workitem's while the workitem is open and its task has no open
 * incident (the incident's resolution schedules what comes next), and `scheduleToStart` only while the
 * workitem is still `created`.
 */
export function hasLiveOwner(
  state: Pick<CaseData, 'status' | 'workitems' | 'incidents'>,
  timer: Timer,
): boolean {
  if (state.status !== 'active') return false;
  if (timer.workitemId === null) return true;
  const workitem = state.workitems.get(timer.workitemId);
  if (!workitem || !isOpen(workitem)) return false;
  if (timer.kind === 'scheduleToStart' && workitem.state !== 'created') return false;
  for (const incident of state.incidents.values()) if (incident.taskId === workitem.taskId) return false;
  return true;
}

/** What follows a failed attempt: the time of the next one, or why there is none (an incident follows). */
export type NextAttempt = { readonly retryAt: string } | { readonly retryAt: null; readonly why: string };

/**
 * The retry policy applied to attempt `attempt` (1 for the first) that failed with `error` at `at`: the
 * next attempt waits `initialInterval × backoffCoefficient^(attempt-1)`, at most `maximumInterval`.
 */
export function nextAttempt(
  policy: RetryPolicy,
  attempt: number,
  error: ExecutionError,
  at: string,
  timing: Timing | undefined,
): NextAttempt {
  if (!error.retryable) return { retryAt: null, why: 'the error is not retryable' };
  if (policy.nonRetryableErrorTypes.includes(error.type)) {
    return { retryAt: null, why: `errors of type ${error.type} are not retried` };
  }
  if (policy.maximumAttempts !== 0 && attempt >= policy.maximumAttempts) {
    return { retryAt: null, why: `no attempts left (maximumAttempts ${policy.maximumAttempts})` };
  }
  const from = Date.parse(at);
  const initial = dueAfter(timing, at, policy.initialInterval);
  const maximum = dueAfter(timing, at, policy.maximumInterval);
  if (!initial.ok || !maximum.ok || Number.isNaN(from)) {
    const message = !initial.ok ? initial.message : !maximum.ok ? maximum.message : `${at} is not a time`;
    return { retryAt: null, why: `the next attempt cannot be scheduled: ${message}` };
  }
  const interval = Math.min(
    (Date.parse(initial.dueAt) - from) * policy.backoffCoefficient ** (attempt - 1),
    Date.parse(maximum.dueAt) - from,
  );
  // The Timing port adds durations only: the interval goes back to it as one, in whole milliseconds.
  const due = dueAfter(timing, at, millisDuration(Math.round(interval)));
  return due.ok
    ? { retryAt: due.dueAt }
    : { retryAt: null, why: `the next attempt cannot be scheduled: ${due.message}` };
}

/** Milliseconds as an ISO 8601 duration in seconds: `PT2S`, `PT0.25S`. */
export function millisDuration(millis: number): string {
  const seconds = Math.floor(millis / 1000);
  const rest = millis % 1000;
  return rest === 0 ? `PT${seconds}S` : `PT${seconds}.${String(rest).padStart(3, '0').replace(/0+$/, '')}S`;
}
