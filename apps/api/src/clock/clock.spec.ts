import { describe, expect, it } from '@jest/globals';
import { Clock, ClockInputError, durationMs } from './clock.js';

const start = new Date('2026-01-31T12:00:00.000Z');

describe('a manual clock', () => {
  it('stands still until it is moved', () => {
    const clock = new Clock('manual', start);
    expect(clock.iso()).toBe('2026-01-31T12:00:00.000Z');
    expect(clock.iso()).toBe('2026-01-31T12:00:00.000Z');
  });

  it('moves forward by a duration, months by the calendar', () => {
    const clock = new Clock('manual', start);
    expect(clock.advance('PT48H').toISOString()).toBe('2026-02-02T12:00:00.000Z');
    expect(clock.advance('P1DT30M').toISOString()).toBe('2026-02-03T12:30:00.000Z');
    expect(clock.iso()).toBe('2026-02-03T12:30:00.000Z');
    // February 2026 has 28 days.
    expect(new Clock('manual', new Date('2026-02-01T00:00:00Z')).advance('P1M').toISOString()).toBe(
      '2026-03-01T00:00:00.000Z',
    );
  });

  it('is set to a time, back or forward', () => {
    const clock = new Clock('manual', start);
    expect(clock.set('2025-06-01T08:00:00+02:00').toISOString()).toBe('2025-06-01T06:00:00.000Z');
    expect(clock.iso()).toBe('2025-06-01T06:00:00.000Z');
  });

  it('tells its listeners of each move, at the new time, until they stop listening; a refused move tells none', () => {
    const clock = new Clock('manual', start);
    const heard: string[] = [];
    const stop = clock.onMove(() => heard.push(clock.iso()));
    clock.advance('PT1H');
    clock.set('2026-02-01T00:00:00Z');
    expect(() => clock.advance('nope')).toThrow(ClockInputError);
    stop();
    clock.advance('PT1H');
    expect(heard).toEqual(['2026-01-31T13:00:00.000Z', '2026-02-01T00:00:00.000Z']);
  });

  it.each(['nope', 'P', 'PT-1H', '48h', '', '-PT1H', 'PT1H ', 'xPT1H', 'PT1Hour', 'PT', 'P1DT'])(
    'refuses %j as a duration and stays where it was',
    (duration) => {
      const clock = new Clock('manual', start);
      expect(() => clock.advance(duration)).toThrow(ClockInputError);
      expect(clock.iso()).toBe('2026-01-31T12:00:00.000Z');
    },
  );

  it.each(['yesterday', '2026-13-01T00:00:00Z', '2026-01-01', '1700000000'])(
    'refuses %j as a time and stays where it was',
    (time) => {
      const clock = new Clock('manual', start);
      expect(() => clock.set(time)).toThrow(ClockInputError);
      expect(clock.iso()).toBe('2026-01-31T12:00:00.000Z');
    },
  );
});

describe('the system clock', () => {
  it('follows the machine and cannot be moved', () => {
    const clock = new Clock('system');
    const before = Date.now();
    const now = clock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
    expect(() => clock.advance('PT1H')).toThrow('the system clock cannot be moved');
  });
});

describe('a duration', () => {
  it('counts in milliseconds from a time', () => {
    expect(durationMs('PT1.5S', start)).toBe(1500);
    expect(durationMs('P1W', start)).toBe(7 * 24 * 3600 * 1000);
  });

  it('counts a month to the same day of the next, or its last day when it has no such day', () => {
    const from = (time: string, duration: string) =>
      new Date(Date.parse(time) + durationMs(duration, new Date(time))).toISOString();
    expect(from('2026-01-31T12:00:00.000Z', 'P1M')).toBe('2026-02-28T12:00:00.000Z');
    expect(from('2028-01-31T12:00:00.000Z', 'P1M')).toBe('2028-02-29T12:00:00.000Z');
    expect(from('2026-03-31T00:00:00.000Z', 'P1M1D')).toBe('2026-05-01T00:00:00.000Z');
    expect(from('2028-02-29T00:00:00.000Z', 'P1Y')).toBe('2029-02-28T00:00:00.000Z');
    expect(from('2026-12-15T00:00:00.000Z', 'P14M')).toBe('2028-02-15T00:00:00.000Z');
    expect(from('2026-03-28T23:30:00.000Z', 'P1DT1H')).toBe('2026-03-30T00:30:00.000Z');
  });

  it('is refused when it goes past the last time a date can hold', () => {
    expect(() => durationMs('PT99999999999999999999S', start)).toThrow(/past the last time a date can hold/);
    expect(() => new Clock('manual', start).advance('P999999999Y')).toThrow(ClockInputError);
  });

  it.each(['-PT1H', '-P1D', 'PT1Hx', ' PT1H', 'P1DT', 'PT'])(
    'is refused when %j is not one whole',
    (duration) => {
      expect(() => durationMs(duration, start)).toThrow(ClockInputError);
    },
  );
});
