import { describe, expect, it } from '@jest/globals';
import { earlyCalls } from './crash-matrix.js';
import type { WebhookCall } from './flaky-webhook.js';
import type { AuditedFailure } from './store-audit.js';

const ms = (time: string): number => Date.parse(`2026-01-01T00:00:${time}Z`);
const call = (attempt: number, time: string): WebhookCall => ({
  arrived: ms(time),
  attempt,
  ended: undefined,
  outcome: 'failed',
});
const failure = (attempt: number, at: string, retryAt: string | null): AuditedFailure => ({
  attempt,
  at: `2026-01-01T00:00:${at}Z`,
  retryAt: retryAt === null ? null : `2026-01-01T00:00:${retryAt}Z`,
  error: { type: 'http_5xx', message: '500', retryable: true },
});

describe('earlyCalls: a webhook call for attempt n comes no sooner than the retryAt of attempt n − 1', () => {
  const failures = [failure(1, '01.000', '01.200'), failure(2, '01.300', '01.700')];

  it('passes calls that each waited for the retryAt before them', () => {
    expect(
      earlyCalls('c1', 'w1', [call(1, '00.900'), call(2, '01.200'), call(3, '01.800')], failures),
    ).toEqual([]);
  });

  it('passes an attempt made again after its failure was recorded: its report was held back, not a retry', () => {
    expect(earlyCalls('c1', 'w1', [call(1, '00.900'), call(1, '01.100')], failures)).toEqual([]);
  });

  it('names a retry made before its retryAt', () => {
    expect(earlyCalls('c1', 'w1', [call(1, '00.900'), call(2, '01.150')], failures)).toEqual([
      'c1: workitem w1 was called for attempt 2 at 2026-01-01T00:00:01.150Z, while it waited for 2026-01-01T00:00:01.200Z',
    ]);
  });

  it('names a retry with no failure recorded before it, and one after a failure no retry follows', () => {
    expect(
      earlyCalls('c1', 'w1', [call(2, '00.500'), call(3, '09.000')], [failure(2, '01.300', null)]),
    ).toEqual([
      'c1: workitem w1 was called for attempt 2 at 2026-01-01T00:00:00.500Z, while it waited for attempt 1 to fail',
      'c1: workitem w1 was called for attempt 3 at 2026-01-01T00:00:09.000Z, while it waited for an operator',
    ]);
  });
});
