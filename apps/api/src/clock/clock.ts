import { parse } from 'iso8601-duration';

export type ClockMode = 'system' | 'manual';

/** Why a duration or a time is refused, for a `400 validation_failed`. */
export class ClockInputError extends Error {
  override readonly name = 'ClockInputError';
}

/**
 * The service's time: every command's `at` and every executor's report read it. `system` follows the
 * machine; `manual` (`WFNET_CLOCK=manual`) stands still from the time the service started until it is
 * advanced or set, so tests of time run in milliseconds without sleeping. Durations and intervals the
 * service measures for itself (rate limits, timeouts of its own calls) keep the machine's time.
 */
export class Clock {
  #manualAt: number | undefined;
  readonly #moveListeners = new Set<() => void>();

  constructor(
    readonly mode: ClockMode,
    start: Date = new Date(),
  ) {
    this.#manualAt = mode === 'manual' ? start.getTime() : undefined;
  }

  now(): Date {
    return new Date(this.#manualAt ?? Date.now());
  }

  /** The time as the events record it (ISO 8601, UTC). */
  iso(): string {
    return this.now().toISOString();
  }

  /** Moves a manual clock forward by an ISO 8601 duration (`PT1H`, `P30D`, `P1M`); answers the new time. */
  advance(duration: string): Date {
    const from = this.#manual();
    return this.#setManual(new Date(from + durationMs(duration, new Date(from))));
  }

  /** Sets a manual clock to an ISO 8601 time, forward or back; answers it. */
  set(time: string): Date {
    this.#manual();
    const at = Date.parse(time);
    if (!ISO_TIME.test(time) || Number.isNaN(at)) {
      throw new ClockInputError(
        `${JSON.stringify(time)} is not an ISO 8601 time such as 2026-01-31T12:00:00Z`,
      );
    }
    return this.#setManual(new Date(at));
  }

  /** Calls `listener` after each move of a manual clock (the timer scheduler wakes); answers how to stop. */
  onMove(listener: () => void): () => void {
    this.#moveListeners.add(listener);
    return () => this.#moveListeners.delete(listener);
  }

  #manual(): number {
    if (this.#manualAt === undefined) throw new Error('the system clock cannot be moved');
    return this.#manualAt;
  }

  #setManual(at: Date): Date {
    this.#manualAt = at.getTime();
    for (const listener of this.#moveListeners) listener();
    return at;
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * PnYnMnWnDTnHnMnS, whole: the library's own pattern is not anchored, so it would read `-PT1H` as
 * `PT1H` and ignore what follows a duration. At least one unit; a `T` has a time unit after it.
 */
const DURATION =
  /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+([.,]\d+)?H)?(\d+([.,]\d+)?M)?(\d+([.,]\d+)?S)?)?$/;

/** The furthest a JavaScript date reaches from 1970, either way. */
const MAX_TIME = 8.64e15;

/**
 * An ISO 8601 duration in milliseconds, counted from `from` in UTC: years and months by the calendar (to the
 * same day, or the month's last day when it has no such day: January 31 plus P1M is February 28), then
 * weeks and days of 24 hours, then the time units.
 */
export function durationMs(duration: string, from: Date): number {
  let parts: ReturnType<typeof parse>;
  try {
    if (!DURATION.test(duration)) throw new RangeError(duration);
    parts = parse(duration);
  } catch {
    throw new ClockInputError(`${JSON.stringify(duration)} is not an ISO 8601 duration such as PT1H or P30D`);
  }
  const { years = 0, months = 0, weeks = 0, days = 0, hours = 0, minutes = 0, seconds = 0 } = parts;
  const start = from.getTime();
  const monthIndex = from.getUTCFullYear() * 12 + from.getUTCMonth() + years * 12 + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const sameDay = new Date(start);
  sameDay.setUTCFullYear(year, month, Math.min(from.getUTCDate(), lastDay));
  const end =
    sameDay.getTime() + ((weeks * 7 + days) * 24 + hours) * 3_600_000 + minutes * 60_000 + seconds * 1000;
  const ms = Math.round(end - start);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new ClockInputError(`${JSON.stringify(duration)} is not a duration forward in time`);
  }
  if (!(Math.abs(end) <= MAX_TIME)) {
    throw new ClockInputError(`${JSON.stringify(duration)} goes past the last time a date can hold`);
  }
  return ms;
}
