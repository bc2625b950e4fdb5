import { describe, expect, it } from '@jest/globals';
import { deadlineNet, fakeTiming, timedStepNet } from '../testing/index.js';
import type { WorkflowDefinition } from './definition.js';
import { assertValidNet, validateNet } from './validate.js';
import type { NetRule } from './validate.js';

const timing = fakeTiming();

/** `timedStepNet()` with its `step` transition's timeouts and retry, and the workflow's caseTimeout, as given. */
function timedWith(fields: {
  timeouts?: unknown;
  retry?: unknown;
  caseTimeout?: unknown;
}): WorkflowDefinition {
  const base = timedStepNet();
  return {
    ...base,
    ...(fields.caseTimeout !== undefined && { caseTimeout: fields.caseTimeout as string }),
    transitions: base.transitions.map((t) =>
      t.id === 'step'
        ? {
            ...t,
            ...(fields.timeouts !== undefined && { timeouts: fields.timeouts as never }),
            ...(fields.retry !== undefined && { retry: fields.retry as never }),
          }
        : t,
    ),
  };
}

describe('validateNet on timeouts, retry policies and the case timeout', () => {
  it('finds nothing wrong with well-formed ones, with or without timing to check the durations', () => {
    const definition = timedWith({
      timeouts: { scheduleToStart: 'PT1H', startToClose: 'PT10M', scheduleToClose: 'P1D' },
      retry: {
        initialInterval: 'PT1S',
        backoffCoefficient: 2,
        maximumInterval: 'PT5M',
        maximumAttempts: 0,
        nonRetryableErrorTypes: ['invalid_address'],
      },
      caseTimeout: 'P30D',
    });
    expect(validateNet(definition)).toEqual([]);
    expect(validateNet(definition, { timing })).toEqual([]);
    expect(validateNet(deadlineNet(), { timing })).toEqual([]);
  });

  it.each<[string, Parameters<typeof timedWith>[0], NetRule, string]>([
    [
      'a timeout that is not a duration',
      { timeouts: { startToClose: 'ten minutes' } },
      'timeouts_invalid',
      'transitions[0].timeouts.startToClose',
    ],
    [
      'a timeout that is a number',
      { timeouts: { scheduleToClose: 60 } },
      'timeouts_invalid',
      'transitions[0].timeouts.scheduleToClose',
    ],
    [
      'a timeout Temporal has no name for',
      { timeouts: { scheduleToStrat: 'PT1H' } },
      'timeouts_invalid',
      'transitions[0].timeouts.scheduleToStrat',
    ],
    [
      'timeouts that are not an object',
      { timeouts: ['PT1H'] },
      'timeouts_invalid',
      'transitions[0].timeouts',
    ],
    [
      'an initial interval that is not a duration',
      { retry: { initialInterval: '1s' } },
      'retry_invalid',
      'transitions[0].retry.initialInterval',
    ],
    [
      'a maximum interval that is not a duration',
      { retry: { maximumInterval: 300 } },
      'retry_invalid',
      'transitions[0].retry.maximumInterval',
    ],
    [
      'a backoff coefficient below 1',
      { retry: { backoffCoefficient: 0.5 } },
      'retry_invalid',
      'transitions[0].retry.backoffCoefficient',
    ],
    [
      'a backoff coefficient that is not a number',
      { retry: { backoffCoefficient: '2' } },
      'retry_invalid',
      'transitions[0].retry.backoffCoefficient',
    ],
    [
      'a negative maximum of attempts',
      { retry: { maximumAttempts: -1 } },
      'retry_invalid',
      'transitions[0].retry.maximumAttempts',
    ],
    [
      'a fractional maximum of attempts',
      { retry: { maximumAttempts: 2.5 } },
      'retry_invalid',
      'transitions[0].retry.maximumAttempts',
    ],
    [
      'non-retryable error types that are not strings',
      { retry: { nonRetryableErrorTypes: [404] } },
      'retry_invalid',
      'transitions[0].retry.nonRetryableErrorTypes',
    ],
    [
      'non-retryable error types that are not a list',
      { retry: { nonRetryableErrorTypes: 'http_4xx' } },
      'retry_invalid',
      'transitions[0].retry.nonRetryableErrorTypes',
    ],
    [
      'a field a retry policy does not have',
      { retry: { maxAttempts: 3 } },
      'retry_invalid',
      'transitions[0].retry.maxAttempts',
    ],
    ['a retry policy that is not an object', { retry: 3 }, 'retry_invalid', 'transitions[0].retry'],
    [
      'a case timeout that is not a duration',
      { caseTimeout: 'a month' },
      'case_timeout_invalid',
      'caseTimeout',
    ],
  ])('refuses %s, naming the rule and the path', (_, fields, rule, path) => {
    const violations = validateNet(timedWith(fields), { timing });
    expect(violations).toEqual([expect.objectContaining({ rule, path })]);
    expect(violations[0]?.message).toMatch(/step|caseTimeout/);
  });

  it('holds durations only to being strings without timing, and to what timing takes with it', () => {
    const definition = timedWith({ timeouts: { startToClose: 'ten minutes' }, caseTimeout: 'a month' });
    expect(validateNet(definition)).toEqual([]);
    expect(validateNet(timedWith({ timeouts: { startToClose: 600 } }))).toMatchObject([
      { rule: 'timeouts_invalid' },
    ]);
    expect(validateNet(definition, { timing }).map((v) => v.rule)).toEqual([
      'case_timeout_invalid',
      'timeouts_invalid',
    ]);
  });

  it('makes assertValidNet refuse with invalid_net and a detail per problem', () => {
    const definition = timedWith({ retry: { backoffCoefficient: 0, maximumAttempts: -1 } });
    expect(() => assertValidNet(definition, { timing })).toThrow(
      expect.objectContaining({
        code: 'invalid_net',
        details: [
          expect.objectContaining({ rule: 'retry_invalid', path: 'transitions[0].retry.backoffCoefficient' }),
          expect.objectContaining({ rule: 'retry_invalid', path: 'transitions[0].retry.maximumAttempts' }),
        ],
      }),
    );
  });
});
