import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { durationMillis, fakeTiming, isoTime } from './timing.js';

describe('the fake Timing of the tests', () => {
  it('writes any time from 1970 to 2200 as Date does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7_258_118_400_000 }), (millis) => {
        expect(isoTime(millis)).toBe(new Date(millis).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['PT1S', 1000],
    ['PT0.25S', 250],
    ['PT10M', 600_000],
    ['PT48H', 172_800_000],
    ['P1DT1H', 90_000_000],
    ['P30D', 2_592_000_000],
  ])('reads %s as %i ms', (duration, millis) => {
    expect(durationMillis(duration)).toBe(millis);
  });

  it.each(['P', 'PT', '1S', 'PT1H ', 'P1M', 'P1Y', '-PT1S', 'PT1.2345S'])('refuses %j', (duration) => {
    expect(durationMillis(duration)).toBeUndefined();
    expect(fakeTiming().checkDuration(duration)).toEqual(expect.any(String));
  });

  it('adds a duration across a month and a leap day', () => {
    expect(fakeTiming().addDuration('2028-02-28T23:00:00Z', 'PT2H')).toBe('2028-02-29T01:00:00.000Z');
    expect(fakeTiming().addDuration('2026-01-31T12:00:00.000Z', 'P1D')).toBe('2026-02-01T12:00:00.000Z');
  });

  it('evaluates now, a UTC time, and a field of the case holding one; anything else fails', () => {
    const timing = fakeTiming();
    const scope = {
      case: { due: '2026-03-01T09:00:00Z', n: 1 },
      inputs: {},
      now: '2026-01-01T00:00:00.000Z',
    };
    expect(timing.evaluateTimestamp('now', scope)).toBe(scope.now);
    expect(timing.evaluateTimestamp('2026-02-01T00:00:00Z', scope)).toBe('2026-02-01T00:00:00.000Z');
    expect(timing.evaluateTimestamp('case.due', scope)).toBe('2026-03-01T09:00:00.000Z');
    expect(() => timing.evaluateTimestamp('case.n', scope)).toThrow('case.n is not a UTC time');
    expect(() => timing.evaluateTimestamp('case.other', scope)).toThrow('case.other is missing');
    expect(() => timing.evaluateTimestamp('tomorrow', scope)).toThrow('cannot evaluate "tomorrow"');
    expect(timing.checkTimestamp('tomorrow')).toEqual(expect.any(String));
    expect(timing.checkTimestamp('case.due')).toBeUndefined();
  });
});
