import type { JsonValue } from '../core/message.js';
import type { RetryPolicy, Transition } from './definition.js';

/** What a `timer` executor's `at` expression reads. */
export interface TimestampScope {
  /** The case's data. */
  readonly case: JsonValue;
  /** The payloads of the tokens offered to the workitem's task, by place id. */
  readonly inputs: { readonly [placeId: string]: JsonValue };
  /** The command's time (ISO 8601). */
  readonly now: string;
}

/**
 * Durations and timestamps, supplied by the caller as the condition language is: the domain stays free
 * of any library. Both methods are pure.
 */
export interface Timing {
  /** Why `duration` is not an ISO 8601 duration the engine takes, else undefined. */
  checkDuration(duration: string): string | undefined;
  /** `from` (ISO 8601) plus the duration, as an ISO 8601 time. */
  addDuration(from: string, duration: string): string;
  /** Why `source` is not an expression giving a timestamp, else undefined. */
  checkTimestamp(source: string): string | undefined;
  /** The ISO 8601 time the expression gives in `scope`; throws when it cannot be evaluated. */
  evaluateTimestamp(source: string, scope: TimestampScope): string;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialInterval: 'PT1S',
  backoffCoefficient: 2,
  maximumInterval: 'PT5M',
  maximumAttempts: 10,
  nonRetryableErrorTypes: [],
};

export const retryPolicyOf = (transition: Transition): RetryPolicy => ({
  ...DEFAULT_RETRY_POLICY,
  ...transition.retry,
});

/** The executor that waits: its workitem completes with `{firedAt}` when its timer fires, and is never dispatched. */
export const TIMER_EXECUTOR = 'timer';
