import { describe, expect, it } from '@jest/globals';
import type { Timing } from '../net/timing.js';
import {
  atPlus,
  completeWorkitem,
  deadlineNet,
  expectRefused,
  expectStep,
  failWorkitem,
  fakeTiming,
  fireTimer,
  given,
  ids,
  immediateBuiltIns,
  resolveIncident,
  sentAt,
  startCase,
  terminateCase,
  timedStepNet,
  updateWorkitem,
} from '../testing/index.js';
import type { RetryPolicy, Timeouts } from '../net/definition.js';
import type { ExecutionError } from './events.js';

const { task, workitem, timer, incident } = ids;
const timing = { timing: fakeTiming() };

const unavailable: ExecutionError = {
  type: 'http_5xx',
  message: 'the service answered 503',
  retryable: true,
};
const invalidAddress: ExecutionError = {
  type: 'invalid_address',
  message: 'no such street',
  retryable: true,
};

/** A case whose `step` (a webhook, workitem 1) is created and waits for its executor. */
const failing = (retry?: Partial<RetryPolicy>, timeouts?: Timeouts) =>
  startCase(timedStepNet({ retry, timeouts }), { options: timing, runExecutors: false });

describe('FailWorkitem and the retry policy', () => {
  it('records the failed attempt with its retryAt and schedules the retry timer in the same batch', () => {
    const run = failing();
    expectStep(run, failWorkitem(workitem(1), 1, unavailable), [
      {
        type: 'WorkitemFailed',
        data: {
          taskId: task(1),
          workitemId: workitem(1),
          attempt: 1,
          error: unavailable,
          retryAt: atPlus(1),
        },
      },
      {
        type: 'TimerScheduled',
        data: {
          timerId: timer(1),
          kind: 'retry',
          dueAt: atPlus(1),
          taskId: task(1),
          workitemId: workitem(1),
        },
      },
    ]);
    expect(run.state.attempts.get(workitem(1))).toEqual({
      attempts: 1,
      lastError: unavailable,
      retryAt: atPlus(1),
    });
    expect(run.state.workitems.get(workitem(1))?.state).toBe('created');
  });

  it('waits initialInterval × backoffCoefficient^(attempt-1) before each retry, at most maximumInterval', () => {
    const run = failing({ maximumInterval: 'PT10S', maximumAttempts: 0 });
    let now = atPlus(0);
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 7; attempt++) {
      const [failed, scheduled] = run.send(failWorkitem(workitem(1), attempt, unavailable, now));
      if (failed?.type !== 'WorkitemFailed' || scheduled?.type !== 'TimerScheduled')
        throw new Error('no retry');
      waits.push((Date.parse(failed.data.retryAt!) - Date.parse(now)) / 1000);
      expect(scheduled.data.dueAt).toBe(failed.data.retryAt);
      now = scheduled.data.dueAt;
      run.send(fireTimer(scheduled.data.timerId, now));
    }
    expect(waits).toEqual([1, 2, 4, 8, 10, 10, 10]);
  });

  it('takes a fractional coefficient to the millisecond', () => {
    const run = failing({ initialInterval: 'PT1S', backoffCoefficient: 1.5 });
    run.send(failWorkitem(workitem(1), 1, unavailable));
    run.send(fireTimer(timer(1), atPlus(1)));
    const [failed] = run.send(failWorkitem(workitem(1), 2, unavailable, atPlus(1)));
    expect(failed).toMatchObject({ data: { retryAt: atPlus(2.5) } });
  });

  it('raises an executor_failed incident when the attempts run out (maximumAttempts counts the first)', () => {
    const run = failing({ maximumAttempts: 3 });
    for (const attempt of [1, 2]) {
      run.send(failWorkitem(workitem(1), attempt, unavailable, atPlus(10 * attempt)));
      run.send(fireTimer(timer(attempt), atPlus(10 * attempt + 5)));
    }
    expectStep(run, failWorkitem(workitem(1), 3, unavailable, atPlus(40)), [
      { type: 'WorkitemFailed', data: { attempt: 3, retryAt: null } },
      {
        type: 'IncidentRaised',
        data: {
          incidentId: incident(1),
          kind: 'executor_failed',
          taskId: task(1),
          workitemId: workitem(1),
          message: expect.stringContaining('no attempts left (maximumAttempts 3)') as unknown,
        },
      },
    ]);
    expect(run.state.timers.size).toBe(0);
  });

  it('retries without end when maximumAttempts is 0', () => {
    const run = failing({ maximumAttempts: 0, maximumInterval: 'PT1S' });
    for (let attempt = 1; attempt <= 30; attempt++) {
      run.send(failWorkitem(workitem(1), attempt, unavailable, atPlus(attempt)));
      run.send(fireTimer(timer(attempt), atPlus(attempt + 1)));
    }
    expect(run.state.attempts.get(workitem(1))?.attempts).toBe(30);
    expect(run.state.incidents.size).toBe(0);
  });

  it('gives up at once on the tenth attempt by default', () => {
    const run = failing();
    for (let attempt = 1; attempt <= 9; attempt++) {
      run.send(failWorkitem(workitem(1), attempt, unavailable, atPlus(1000 * attempt)));
      run.send(fireTimer(timer(attempt), atPlus(1000 * attempt + 500)));
    }
    const events = run.send(failWorkitem(workitem(1), 10, unavailable, atPlus(20_000)));
    expect(events.map((e) => e.type)).toEqual(['WorkitemFailed', 'IncidentRaised']);
  });

  it.each([
    ['an error marked not retryable', { ...unavailable, retryable: false }, 'the error is not retryable'],
    [
      'an error of a type the policy does not retry',
      invalidAddress,
      'errors of type invalid_address are not retried',
    ],
  ])('raises an executor_failed incident at once for %s', (_, error, why) => {
    const run = failing({ nonRetryableErrorTypes: ['invalid_address'] });
    expectStep(run, failWorkitem(workitem(1), 1, error), [
      { type: 'WorkitemFailed', data: { attempt: 1, error, retryAt: null } },
      {
        type: 'IncidentRaised',
        data: { kind: 'executor_failed', message: expect.stringContaining(why) as unknown },
      },
    ]);
  });

  it('raises an incident when the next attempt cannot be scheduled (no timing)', () => {
    const run = startCase(timedStepNet(), { runExecutors: false });
    expectStep(run, failWorkitem(workitem(1), 1, unavailable), [
      { type: 'WorkitemFailed', data: { retryAt: null } },
      {
        type: 'IncidentRaised',
        data: { kind: 'executor_failed', message: expect.stringContaining('cannot be scheduled') as unknown },
      },
    ]);
  });

  it("cancels the failed attempt's startToClose; the retry schedules the next attempt's", () => {
    const run = failing(undefined, { startToClose: 'PT10M' });
    run.send(updateWorkitem(workitem(1), 'started'));
    expectStep(run, failWorkitem(workitem(1), 1, unavailable, atPlus(30)), [
      { type: 'WorkitemFailed' },
      { type: 'TimerCancelled', data: { timerId: timer(1) } },
      { type: 'TimerScheduled', data: { timerId: timer(2), kind: 'retry' } },
    ]);
    expectStep(run, fireTimer(timer(2), atPlus(31)), [
      { type: 'TimerFired', data: { kind: 'retry' } },
      { type: 'TimerScheduled', data: { kind: 'startToClose', dueAt: atPlus(631) } },
    ]);
  });

  it('cancels a pending retry when the workitem completes meanwhile', () => {
    const run = failing();
    run.send(failWorkitem(workitem(1), 1, unavailable));
    const events = run.send(completeWorkitem(workitem(1), 'done by hand'));
    expect(events.slice(0, 3).map((e) => e.type)).toEqual([
      'TokensLocked',
      'WorkitemUpdated',
      'TimerCancelled',
    ]);
    expect(run.state.timers.size).toBe(0);
  });
});

describe('FailWorkitem refusals', () => {
  it('refuses a stale or repeated report of an attempt with workitem_not_available', () => {
    const run = failing();
    run.send(failWorkitem(workitem(1), 1, unavailable));
    run.send(fireTimer(timer(1), atPlus(1)));
    for (const attempt of [1, 3]) {
      expect(() =>
        given(run.history, timing)
          .when(failWorkitem(workitem(1), attempt, unavailable))
          .events(),
      ).toThrow(/attempt \d is not the one running, 2 \(1 failed so far\)/);
      expectRefused(run, failWorkitem(workitem(1), attempt, unavailable), { code: 'workitem_not_available' });
    }
  });

  it('refuses a failure while the next attempt waits for its time', () => {
    const run = failing();
    run.send(failWorkitem(workitem(1), 1, unavailable));
    expectRefused(run, failWorkitem(workitem(1), 2, unavailable), { code: 'workitem_not_available' });
    expect(() => run.send(failWorkitem(workitem(1), 2, unavailable))).toThrow(/waits until/);
  });

  it('refuses a failure while an incident holds the task', () => {
    const run = failing({ maximumAttempts: 1 });
    run.send(failWorkitem(workitem(1), 1, unavailable));
    expectRefused(run, failWorkitem(workitem(1), 2, unavailable), { code: 'workitem_not_available' });
    expect(() => run.send(failWorkitem(workitem(1), 2, unavailable))).toThrow(/incident c1:incident-1 holds/);
  });

  it('refuses an ended workitem with workitem_not_available and an unknown one as not found', () => {
    const run = failing();
    run.send(terminateCase());
    expectRefused(run, failWorkitem(workitem(1), 1, unavailable), { code: 'workitem_not_available' });
    expectRefused(run, failWorkitem(workitem(9), 1, unavailable), {
      name: 'NotFoundError',
      entity: 'workitem',
    });
  });

  it.each([
    ['attempt 0', failWorkitem(workitem(1), 0, unavailable)],
    [
      'an error without a type',
      failWorkitem(workitem(1), 1, { message: 'x', retryable: true } as ExecutionError),
    ],
    ['retryable not a boolean', failWorkitem(workitem(1), 1, { ...unavailable, retryable: 'yes' } as never)],
  ])('refuses %s with validation_failed', (_, command) => {
    expectRefused(failing(), command, { code: 'validation_failed' });
  });
});

describe('ResolveIncident of an executor_failed incident', () => {
  /** Attempts ran out at the first failure: incident 1 holds task 1, workitem 1 still created. */
  const exhausted = () => {
    const run = failing({ maximumAttempts: 1 });
    run.send(failWorkitem(workitem(1), 1, unavailable));
    return run;
  };

  it('retry: schedules one more attempt, due at once; when it fails too, a new incident', () => {
    const run = exhausted();
    expectStep(run, sentAt(resolveIncident(incident(1), { action: 'retry' }), atPlus(100)), [
      { type: 'IncidentResolved', data: { incidentId: incident(1), resolution: { action: 'retry' } } },
      {
        type: 'TimerScheduled',
        data: { timerId: timer(1), kind: 'retry', dueAt: atPlus(100), workitemId: workitem(1) },
      },
    ]);
    expectStep(run, fireTimer(timer(1), atPlus(100)), [{ type: 'TimerFired', data: { kind: 'retry' } }]);
    expectStep(run, failWorkitem(workitem(1), 2, unavailable, atPlus(101)), [
      { type: 'WorkitemFailed', data: { attempt: 2, retryAt: null } },
      { type: 'IncidentRaised', data: { incidentId: incident(2), kind: 'executor_failed' } },
    ]);
  });

  it('complete: completes the workitem with the output, and the task goes on', () => {
    const run = exhausted();
    expectStep(run, resolveIncident(incident(1), { action: 'complete', output: { paid: true } }), [
      { type: 'IncidentResolved' },
      { type: 'TokensLocked', data: { taskId: task(1) } },
      {
        type: 'WorkitemUpdated',
        data: { workitemId: workitem(1), state: 'completed', output: { paid: true } },
      },
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted', data: { taskId: task(1) } },
      { type: 'TokensIssued' },
      { type: 'TaskStarted', data: { transitionId: 'after' } },
      { type: 'TokensReceived' },
      { type: 'TaskAllocated' },
      { type: 'WorkitemCreated' },
    ]);
  });

  it('abandon: abandons the task, and its token goes to a new task whose workitem starts its attempts anew', () => {
    const run = exhausted();
    expectStep(run, resolveIncident(incident(1), { action: 'abandon' }), [
      { type: 'IncidentResolved' },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(1), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(1), reason: 'forced' } },
      { type: 'TaskStarted', data: { transitionId: 'step' } },
      { type: 'TokensReceived' },
      { type: 'TaskAllocated' },
      { type: 'WorkitemCreated', data: { workitemId: workitem(2) } },
    ]);
    expect(run.state.attempts.size).toBe(0);
    expect(run.send(failWorkitem(workitem(2), 1, unavailable))[0]).toMatchObject({
      type: 'WorkitemFailed',
      data: { attempt: 1 },
    });
  });

  it("is raised in a batch that cancels the workitem's timers: the resolution schedules what comes next", () => {
    const run = failing({ maximumAttempts: 1 }, { scheduleToClose: 'P1D' });
    const events = run.send(failWorkitem(workitem(1), 1, unavailable));
    expect(events.map((e) => e.type)).toEqual(['WorkitemFailed', 'IncidentRaised', 'TimerCancelled']);
    expect(run.state.timers.size).toBe(0);
  });
});

describe('ResolveIncident of a timeout incident', () => {
  it('retry: the next attempt is bounded by a new scheduleToClose and, started, a new startToClose', () => {
    const run = startCase(timedStepNet({ timeouts: { startToClose: 'PT10M', scheduleToClose: 'PT1H' } }), {
      options: timing,
    });
    // timer 1: scheduleToClose, timer 2: startToClose (the dispatcher started the workitem).
    run.send(fireTimer(timer(1), atPlus(3600)));
    expect(run.state.incidents.get(incident(1))).toMatchObject({ kind: 'timeout' });
    run.send(sentAt(resolveIncident(incident(1), { action: 'retry' }), atPlus(4000)));
    expectStep(run, fireTimer(timer(3), atPlus(4000)), [
      { type: 'TimerFired', data: { kind: 'retry' } },
      { type: 'TimerScheduled', data: { kind: 'startToClose', dueAt: atPlus(4600) } },
      { type: 'TimerScheduled', data: { kind: 'scheduleToClose', dueAt: atPlus(7600) } },
    ]);
  });
});

describe("ResolveIncident of a timer executor's incident", () => {
  /** A timing whose first evaluation of a timestamp fails, as a service down would. */
  const failingOnce = (): Timing => {
    const timing = fakeTiming();
    let failed = false;
    return {
      ...timing,
      evaluateTimestamp(source, scope) {
        if (!failed) {
          failed = true;
          throw new Error('the calendar service is down');
        }
        return timing.evaluateTimestamp(source, scope);
      },
    };
  };

  it('retry: evaluates its timer again when the retry fires', () => {
    const run = startCase(deadlineNet({ at: '2026-02-01T00:00:00Z' }), {
      options: { ...immediateBuiltIns, timing: failingOnce() },
    });
    expect(run.state.incidents.get(incident(1))).toMatchObject({
      kind: 'executor_failed',
      workitemId: workitem(2),
      message: expect.stringContaining('the calendar service is down') as unknown,
    });
    run.send(resolveIncident(incident(1), { action: 'retry' }));
    expectStep(run, fireTimer(timer(1), atPlus(0)), [
      { type: 'TimerFired', data: { kind: 'retry', workitemId: workitem(2) } },
      { type: 'TimerScheduled', data: { kind: 'executor', dueAt: '2026-02-01T00:00:00.000Z' } },
    ]);
  });

  it("complete: completes the timer's workitem with the output, withdrawing the manual competitor", () => {
    const run = startCase(deadlineNet({ at: 'tomorrow' }), { options: { ...immediateBuiltIns, ...timing } });
    expect(run.state.incidents.get(incident(1))?.message).toContain('cannot evaluate "tomorrow"');
    const events = run.send(
      resolveIncident(incident(1), { action: 'complete', output: 'escalated by hand' }),
    );
    expect(events.filter((e) => e.type === 'TaskAbandoned')).toMatchObject([{ data: { taskId: task(1) } }]);
    expect(run.state.liveTaskOf.get('review')).toBeDefined();
  });
});
