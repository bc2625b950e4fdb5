import { describe, expect, it } from '@jest/globals';
import type { TimestampScope } from '@wfnet/domain';
import { ServiceTiming } from './timing.js';

const timing = new ServiceTiming();
const NOW = '2026-03-01T12:00:00.000Z';
const scope = (data: TimestampScope['case'], inputs: TimestampScope['inputs'] = {}): TimestampScope => ({
  case: data,
  inputs,
  now: NOW,
});

describe('a duration of a definition', () => {
  it.each(['PT48H', 'P30D', 'P1DT30M', 'PT0.25S', 'PT0S', 'P1M', 'P1Y2M3W4DT5H6M7S', 'P100Y'])(
    'takes %s',
    (duration) => {
      expect(timing.checkDuration(duration)).toBeUndefined();
    },
  );

  it.each([
    ['-PT1H', /not an ISO 8601 duration/],
    ['PT-1H', /not an ISO 8601 duration/],
    ['48h', /not an ISO 8601 duration/],
    ['P', /not an ISO 8601 duration/],
    ['PT1H and more', /not an ISO 8601 duration/],
    ['', /not an ISO 8601 duration/],
    ['P101Y', /"P101Y" is longer than 100 years/],
    ['PT876600001H', /longer than 100 years/],
    ['PT99999999999999999999999S', /./],
  ])('refuses %j, saying why', (duration, why) => {
    expect(timing.checkDuration(duration)).toMatch(why);
  });

  it('refuses what is not a string', () => {
    expect(timing.checkDuration(3600 as unknown as string)).toBe(
      'must be an ISO 8601 duration such as PT1H or P30D',
    );
  });
});

describe('a duration added to a time', () => {
  it.each([
    ['2026-03-01T12:00:00.000Z', 'PT48H', '2026-03-03T12:00:00.000Z'],
    ['2026-03-01T12:00:00Z', 'PT0.25S', '2026-03-01T12:00:00.250Z'],
    ['2026-01-31T00:00:00.000Z', 'P1M', '2026-02-28T00:00:00.000Z'],
    ['2026-02-01T00:00:00+02:00', 'P1D', '2026-02-01T22:00:00.000Z'],
  ])('%s plus %s is %s, in UTC with milliseconds', (from, duration, expected) => {
    expect(timing.addDuration(from, duration)).toBe(expected);
  });

  it.each([
    ['yesterday', 'PT1H', /"yesterday" is not an ISO 8601 time/],
    [NOW, '-PT1H', /not an ISO 8601 duration/],
    [NOW, 'P200Y', /longer than 100 years/],
    ['9999-06-01T00:00:00.000Z', 'P1Y', /after the year 9999/],
  ])('refuses %s plus %s', (from, duration, why) => {
    expect(() => timing.addDuration(from, duration)).toThrow(why);
  });
});

describe('a timestamp expression', () => {
  it.each([
    'timestamp(case.due)',
    'now + duration("48h")',
    'timestamp(inputs.order.deliverBy) - duration("1h")',
    'case.deadline',
  ])('%s is one', (source) => {
    expect(timing.checkTimestamp(source)).toBeUndefined();
  });

  it.each([
    ['output.at', 'Unknown variable: output (at character 1)'],
    ['payload', 'Unknown variable: payload (at character 1)'],
    ['case.amount > 3', 'the expression gives bool, not a timestamp'],
    ['duration("1h")', 'the expression gives google.protobuf.Duration, not a timestamp'],
    ['timestamp(case.due', /^Expected RPAREN, got EOF/],
    ['case.name.matches("(a+)+$")', 'regular expressions (matches) are not allowed in timestamp expressions'],
    [`timestamp("${'x'.repeat(1100)}")`, /bytes long, more than 1024/],
  ])('%s is not one: %s', (source, why) => {
    expect(timing.checkTimestamp(source)).toEqual(typeof why === 'string' ? why : expect.stringMatching(why));
  });

  it('gives the time it names in UTC, from the case, the inputs or now', () => {
    expect(timing.evaluateTimestamp('timestamp(case.due)', scope({ due: '2026-05-01T10:00:00+02:00' }))).toBe(
      '2026-05-01T08:00:00.000Z',
    );
    expect(timing.evaluateTimestamp('now + duration("48h")', scope({}))).toBe('2026-03-03T12:00:00.000Z');
    expect(
      timing.evaluateTimestamp(
        'timestamp(inputs.order.deliverBy) - duration("1h")',
        scope({}, { order: { deliverBy: '2026-04-01T00:00:00Z' } }),
      ),
    ).toBe('2026-03-31T23:00:00.000Z');
  });

  it.each([
    ['timestamp(case.due)', {}, /failed: No such key: due/],
    [
      'timestamp(case.due)',
      { due: 'next week' },
      /failed: timestamp\(\) requires a string in ISO 8601 format/,
    ],
    ['case.deadline', { deadline: '2026-05-01T00:00:00Z' }, /gave string, not a timestamp/],
    ['timestamp("9999-12-31T00:00:00Z") + duration("48h")', {}, /./],
    ['case.amount > 3', { amount: 5 }, /gives bool, not a timestamp/],
  ])('%s over %j cannot be evaluated, and says why', (source, data, why) => {
    expect(() => timing.evaluateTimestamp(source, scope(data))).toThrow(why);
  });
});
