import type { JsonValue } from '../core/message.js';
import type { Timing } from '../net/timing.js';

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
const CASE_FIELD = /^case\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** The milliseconds of a `PnDTnHnMnS` duration (seconds may have up to three decimals), or undefined. */
export function durationMillis(duration: string): number | undefined {
  const match = DURATION.exec(duration);
  if (!match || duration === 'P' || duration.endsWith('T')) return undefined;
  const [, days, hours, minutes, seconds] = match;
  return Math.round(
    ((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes ?? 0)) * 60_000 +
      Number(seconds ?? 0) * 1000,
  );
}

/** A UTC time in milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.sssZ`, from the civil calendar. */
export function isoTime(millis: number): string {
  const days = Math.floor(millis / 86_400_000);
  const inDay = millis - days * 86_400_000;
  // Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const [h, m, s, ms] = [
    Math.floor(inDay / 3_600_000),
    Math.floor(inDay / 60_000) % 60,
    Math.floor(inDay / 1000) % 60,
    inDay % 1000,
  ];
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms, 3)}Z`;
}

/**
 * A test double of `Timing`, pure and tiny. Durations are `PnDTnHnMnS` (no months or years). A timestamp
 * expression is `now`, a literal UTC time (`2026-01-02T00:00:00Z`), or `case.<field>`, which gives the
 * field when it holds such a time and cannot be evaluated otherwise (a missing field, a number).
 */
export function fakeTiming(): Timing {
  return {
    checkDuration(duration) {
      return typeof duration === 'string' && durationMillis(duration) !== undefined
        ? undefined
        : `${JSON.stringify(duration)} is not a duration such as PT1H or P1DT30M`;
    },
    addDuration(from, duration) {
      const millis = durationMillis(duration);
      const start = Date.parse(from);
      if (millis === undefined) throw new Error(`${JSON.stringify(duration)} is not a duration`);
      if (Number.isNaN(start)) throw new Error(`${JSON.stringify(from)} is not a time`);
      return isoTime(start + millis);
    },
    checkTimestamp(source) {
      return source === 'now' || TIME.test(source) || CASE_FIELD.test(source)
        ? undefined
        : `cannot read ${JSON.stringify(source)}: expected now, a UTC time or case.<field>`;
    },
    evaluateTimestamp(source, scope) {
      if (source === 'now') return scope.now;
      if (TIME.test(source)) return isoTime(Date.parse(source));
      const field = CASE_FIELD.exec(source)?.[1];
      if (field === undefined) throw new Error(`cannot evaluate ${JSON.stringify(source)}`);
      const data = scope.case;
      const fields =
        typeof data === 'object' && data !== null && !Array.isArray(data)
          ? (data as { readonly [key: string]: JsonValue })
          : {};
      const value = fields[field];
      if (typeof value === 'string' && TIME.test(value)) return isoTime(Date.parse(value));
      throw new Error(`${source} is ${value === undefined ? 'missing' : 'not a UTC time'}`);
    },
  };
}
