import type { TimestampScope, Timing } from '@wfnet/domain';
import { CelTimestamps } from '../conditions/cel.js';
import { ClockInputError, durationMs } from './clock.js';

/** The longest duration a definition may give: a timer further off is a mistake, not a plan. */
export const MAX_DURATION_YEARS = 100;

// Calendar units have no fixed length: the bound is measured from one fixed time, so that a duration is
// taken or refused whatever the day. A century from 2000 has its full 25 leap days.
const REFERENCE = new Date(Date.UTC(2000, 0, 1));
const MAX_DURATION_MS = durationMs(`P${MAX_DURATION_YEARS}Y`, REFERENCE);

/** The latest time an ISO 8601 string with a four-digit year names: later ones would not order as text. */
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Why `duration` is not one a definition may give (malformed, negative, over a century), else undefined. */
export function durationProblem(duration: unknown): string | undefined {
  if (typeof duration !== 'string') return 'must be an ISO 8601 duration such as PT1H or P30D';
  let ms: number;
  try {
    ms = durationMs(duration, REFERENCE);
  } catch (error) {
    if (error instanceof ClockInputError) return error.message;
    throw error;
  }
  if (ms > MAX_DURATION_MS) {
    return `${JSON.stringify(duration)} is longer than ${MAX_DURATION_YEARS} years`;
  }
  return undefined;
}

/**
 * The service's `Timing`: ISO 8601 durations (months and years by the calendar) and `timer` executors'
 * `at` expressions in CEL. Every time it answers is `toISOString()`'s form (UTC, milliseconds), the one
 * the due-timer index orders as text.
 */
export class ServiceTiming implements Timing {
  constructor(private readonly timestamps: CelTimestamps = new CelTimestamps()) {}

  checkDuration(duration: string): string | undefined {
    return durationProblem(duration);
  }

  addDuration(from: string, duration: string): string {
    const start = Date.parse(from);
    if (Number.isNaN(start)) throw new Error(`${JSON.stringify(from)} is not an ISO 8601 time`);
    const problem = durationProblem(duration);
    if (problem) throw new Error(problem);
    const end = start + durationMs(duration, new Date(start));
    if (end > LATEST) throw new Error(`${from} plus ${duration} is after the year 9999`);
    return new Date(end).toISOString();
  }

  checkTimestamp(source: string): string | undefined {
    if (typeof source !== 'string') return 'must be a CEL expression giving a timestamp';
    return this.timestamps.check(source);
  }

  evaluateTimestamp(source: string, scope: TimestampScope): string {
    return this.timestamps.evaluate(source, scope);
  }
}
