import { describe, expect, it } from '@jest/globals';
import { sequentialNet } from '../net/fixtures.js';
import {
  abandonWorkitem,
  atPlus,
  completeWorkitem,
  createCase,
  deadlineNet,
  expectRefused,
  expectStep,
  fakeTiming,
  fireTimer,
  forceAbandonTask,
  given,
  ids,
  immediateBuiltIns,
  preexecuteTask,
  sentAt,
  startCase,
  terminateCase,
  timedStepNet,
  updateWorkitem,
} from '../testing/index.js';
import { caseFromSnapshot, caseToSnapshot } from './decider.js';
import type { CaseEvent } from './events.js';

const { task, workitem, timer, incident } = ids;
const timing = { timing: fakeTiming() };
const HOUR = 3600;
const DAY = 24 * HOUR;

const typesOf = (events: readonly CaseEvent[]): string[] => events.map((e) => e.type);

/** A case of the deadline net: `approve` is workitem 1 (started), `escalate` workitem 2 with timer 1. */
const deadline = (net = deadlineNet(), data = {}) =>
  startCase(net, { data, options: { ...immediateBuiltIns, ...timing } });

describe('a case timeout', () => {
  it('is scheduled with the case, in its CreateCase batch', () => {
    given([], timing)
      .when(createCase(timedStepNet({ caseTimeout: 'P30D' })))
      .then([
        { type: 'CaseCreated' },
        { type: 'TokensIssued' },
        { type: 'CaseActivated' },
        {
          type: 'TimerScheduled',
          data: { timerId: timer(1), kind: 'case', dueAt: atPlus(30 * DAY), taskId: null, workitemId: null },
        },
        { type: 'TaskStarted' },
        { type: 'TokensReceived' },
        { type: 'TaskAllocated' },
        { type: 'WorkitemCreated' },
      ]);
  });

  it('refuses to create the case when it cannot be scheduled, rather than never ending it', () => {
    given([])
      .when(createCase(timedStepNet({ caseTimeout: 'P30D' })))
      .thenFails('validation_failed');
    given([], timing)
      .when(createCase(timedStepNet({ caseTimeout: 'thirty days' })))
      .thenFails('validation_failed');
  });

  it('terminates the case when it fires: its work abandoned, its other timers cancelled, reason timeout', () => {
    const net = timedStepNet({ caseTimeout: 'P30D', timeouts: { scheduleToClose: 'P60D' } });
    const run = startCase(net, { options: timing, runExecutors: false });
    expectStep(run, fireTimer(timer(1), atPlus(30 * DAY)), [
      { type: 'TimerFired', data: { timerId: timer(1), kind: 'case', workitemId: null } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(1), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(1), reason: 'case_ended' } },
      { type: 'TimerCancelled', data: { timerId: timer(2) } },
      { type: 'CaseTerminated', data: { reason: 'timeout', at: atPlus(30 * DAY) } },
    ]);
    expect(run.state.status).toBe('terminated');
    expect(run.state.timers.size).toBe(0);
  });

  it('is cancelled when the case is terminated, before CaseTerminated, which gives no reason', () => {
    const run = startCase(timedStepNet({ caseTimeout: 'P30D' }), { options: timing, runExecutors: false });
    const events = expectStep(run, terminateCase(), [
      { type: 'WorkitemUpdated' },
      { type: 'TaskAbandoned' },
      { type: 'TimerCancelled', data: { timerId: timer(1) } },
      { type: 'CaseTerminated' },
    ]);
    expect(events.at(-1)?.data).not.toHaveProperty('reason');
  });

  it('is cancelled when the case finishes', () => {
    const run = startCase(timedStepNet({ executor: 'auto', caseTimeout: 'P30D' }), { options: timing });
    const events = expectStep(run, completeWorkitem(run.workitem('after').id), [
      { type: 'TokensLocked' },
      { type: 'WorkitemUpdated' },
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TokensConsumed' },
      { type: 'TimerCancelled', data: { timerId: timer(1) } },
      { type: 'CaseFinished' },
    ]);
    expect(events).toHaveLength(8);
    expect(run.state.timers.size).toBe(0);
  });
});

describe('a timer executor', () => {
  it("schedules its workitem's timer `after` its creation, in the batch that creates it, and is never started", () => {
    const run = deadline();
    const created = run.history.findIndex(
      (e) => e.type === 'WorkitemCreated' && e.data.transitionId === 'escalate',
    );
    expect(run.history[created + 1]).toMatchObject({
      type: 'TimerScheduled',
      data: {
        timerId: timer(1),
        kind: 'executor',
        dueAt: atPlus(48 * HOUR),
        taskId: task(2),
        workitemId: workitem(2),
      },
    });
    expect(run.state.workitems.get(workitem(2))?.state).toBe('created');
    expect(run.state.tasks.get(task(2))?.state).toBe('allocated');
    run.runExecutors();
    expect(run.state.workitems.get(workitem(2))?.state).toBe('created');
  });

  it('schedules it `at` the time its expression gives, read from the case', () => {
    const run = deadline(deadlineNet({ at: 'case.due' }), { due: '2026-03-01T09:00:00.000Z' });
    expect(run.state.timers.get(timer(1))).toMatchObject({
      kind: 'executor',
      dueAt: '2026-03-01T09:00:00.000Z',
    });
  });

  it.each([
    ['an expression that cannot be evaluated', deadlineNet({ at: 'case.due' }), timing],
    ['no timing', deadlineNet(), {}],
  ])('raises an executor_failed incident on the workitem instead when given %s', (_, net, options) => {
    given([], { ...immediateBuiltIns, ...options })
      .when(createCase(net))
      .then([
        { type: 'CaseCreated' },
        { type: 'TokensIssued' },
        { type: 'CaseActivated' },
        { type: 'TaskStarted' },
        { type: 'TokensReceived' },
        { type: 'TaskStarted' },
        { type: 'TokensReceived' },
        { type: 'TaskAllocated' },
        { type: 'WorkitemCreated', data: { transitionId: 'approve' } },
        { type: 'TaskAllocated' },
        { type: 'WorkitemCreated', data: { transitionId: 'escalate' } },
        {
          type: 'IncidentRaised',
          data: {
            kind: 'executor_failed',
            taskId: task(2),
            workitemId: workitem(2),
            message: expect.stringContaining('cannot be scheduled') as unknown,
          },
        },
        { type: 'WorkitemUpdated', data: { workitemId: workitem(1), state: 'started' } },
      ]);
  });

  it('completes its workitem with {firedAt} when the timer fires, and the manual competitor is withdrawn', () => {
    const run = deadline();
    expectStep(run, fireTimer(timer(1), atPlus(48 * HOUR)), [
      { type: 'TimerFired', data: { timerId: timer(1), kind: 'executor', workitemId: workitem(2) } },
      { type: 'TokensLocked', data: { taskId: task(2) } },
      {
        type: 'WorkitemUpdated',
        data: { workitemId: workitem(2), state: 'completed', output: { firedAt: atPlus(48 * HOUR) } },
      },
      { type: 'TokensConsumed', data: { taskId: task(2) } },
      { type: 'TokensDiscarded', data: { taskId: task(1) } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(1), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(1), reason: 'tokens_withdrawn' } },
      { type: 'TaskCompleted', data: { taskId: task(2) } },
      { type: 'TokensIssued' },
      { type: 'TaskStarted', data: { transitionId: 'review' } },
      { type: 'TokensReceived' },
      { type: 'TaskAllocated' },
      { type: 'WorkitemCreated' },
      { type: 'WorkitemUpdated', data: { state: 'started' } },
    ]);
  });

  it('is cancelled in the batch where the manual step wins, and firing it afterwards changes nothing', () => {
    const run = deadline();
    expectStep(run, completeWorkitem(workitem(1), 'approved'), [
      { type: 'TokensLocked', data: { taskId: task(1) } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(1), state: 'completed' } },
      { type: 'TokensConsumed' },
      { type: 'TokensDiscarded', data: { taskId: task(2) } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(2), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(2), reason: 'tokens_withdrawn' } },
      { type: 'TaskCompleted', data: { taskId: task(1) } },
      { type: 'TokensIssued' },
      { type: 'TimerCancelled', data: { timerId: timer(1) } },
      { type: 'TaskStarted', data: { transitionId: 'archive' } },
      { type: 'TokensReceived' },
      { type: 'TaskAllocated' },
      { type: 'WorkitemCreated' },
      { type: 'WorkitemUpdated', data: { state: 'started' } },
    ]);
    expectStep(run, fireTimer(timer(1), atPlus(49 * HOUR)), []);
  });

  it('is refused with tokens_not_available while the competitor holds the tokens, and stays pending', () => {
    const run = deadline();
    run.send(preexecuteTask(task(1)));
    expectRefused(run, fireTimer(timer(1), atPlus(48 * HOUR)), { code: 'tokens_not_available' });
    expect(run.state.timers.has(timer(1))).toBe(true);

    // The competitor gives up: its tokens are free again, and the scheduler's next try wins.
    run.send(abandonWorkitem(workitem(1)));
    const events = run.send(fireTimer(timer(1), atPlus(48 * HOUR + 1)));
    expect(events[0]).toMatchObject({ type: 'TimerFired', data: { timerId: timer(1) } });
    expect(run.state.liveTaskOf.get('review')).toBeDefined();
  });
});

describe('FireTimer', () => {
  it('has no effect before the timer is due, and fires it at its due time exactly', () => {
    const run = deadline();
    expectStep(run, fireTimer(timer(1), atPlus(48 * HOUR - 1)), []);
    // The same instant written another way is due too: times compare as instants.
    const due = atPlus(48 * HOUR).replace('.000Z', '+00:00');
    const events = run.send(fireTimer(timer(1), due));
    expect(events[0]).toMatchObject({ type: 'TimerFired', data: { timerId: timer(1) } });
  });

  it('has its effect once: a second FireTimer of the same timer records nothing', () => {
    const run = deadline();
    run.send(fireTimer(timer(1), atPlus(48 * HOUR)));
    expectStep(run, fireTimer(timer(1), atPlus(48 * HOUR)), []);
  });

  it('refuses a timer the case never made as not found, and a time that is not one', () => {
    const run = deadline();
    expectRefused(run, fireTimer(timer(2), atPlus(48 * HOUR)), { name: 'NotFoundError', entity: 'timer' });
    expectRefused(run, fireTimer(timer(1), 'tomorrow'), { code: 'validation_failed' });
  });

  it('has no effect on an ended case: its timers went with it', () => {
    const run = deadline();
    run.send(terminateCase());
    expectStep(run, fireTimer(timer(1), atPlus(48 * HOUR)), []);
  });
});

describe('timeouts', () => {
  const net = timedStepNet({
    timeouts: { scheduleToStart: 'PT1H', startToClose: 'PT10M', scheduleToClose: 'P1D' },
  });

  it('schedule scheduleToStart and scheduleToClose with the workitem', () => {
    given([], timing)
      .when(createCase(net))
      .then([
        { type: 'CaseCreated' },
        { type: 'TokensIssued' },
        { type: 'CaseActivated' },
        { type: 'TaskStarted' },
        { type: 'TokensReceived' },
        { type: 'TaskAllocated' },
        { type: 'WorkitemCreated' },
        { type: 'TimerScheduled', data: { kind: 'scheduleToStart', dueAt: atPlus(HOUR) } },
        { type: 'TimerScheduled', data: { kind: 'scheduleToClose', dueAt: atPlus(DAY) } },
      ]);
  });

  it('schedule startToClose when the workitem starts, and cancel scheduleToStart', () => {
    const run = startCase(net, { options: timing, runExecutors: false });
    expectStep(run, sentAt(updateWorkitem(workitem(1), 'started'), atPlus(60)), [
      { type: 'WorkitemUpdated', data: { state: 'started' } },
      { type: 'TimerScheduled', data: { timerId: timer(3), kind: 'startToClose', dueAt: atPlus(60 + 600) } },
      { type: 'TimerCancelled', data: { timerId: timer(1) } },
    ]);
  });

  it('schedule startToClose for a workitem started by an immediate answer, in the creating batch', () => {
    const run = startCase(timedStepNet({ executor: 'manual', timeouts: { startToClose: 'PT10M' } }), {
      options: { ...immediateBuiltIns, ...timing },
      runExecutors: false,
    });
    expect(typesOf(run.history).slice(-2)).toEqual(['WorkitemUpdated', 'TimerScheduled']);
    expect(run.state.timers.get(timer(1))).toMatchObject({ kind: 'startToClose', workitemId: workitem(1) });
  });

  it('raise a timeout incident when they cannot be scheduled, rather than leave the workitem unbounded', () => {
    const events = given([]).when(createCase(net)).events();
    expect(events.at(-1)).toMatchObject({
      type: 'IncidentRaised',
      data: { kind: 'timeout', workitemId: workitem(1) },
    });
    expect(typesOf(events)).not.toContain('TimerScheduled');
  });

  it('are cancelled with the workitem when it completes', () => {
    const run = startCase(net, { options: timing });
    expectStep(run, completeWorkitem(workitem(1)), [
      { type: 'TokensLocked' },
      { type: 'WorkitemUpdated', data: { state: 'completed' } },
      { type: 'TimerCancelled', data: { timerId: timer(2) } },
      { type: 'TimerCancelled', data: { timerId: timer(3) } },
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TaskStarted' },
      { type: 'TokensReceived' },
      { type: 'TaskAllocated' },
      { type: 'WorkitemCreated' },
    ]);
    expect(run.state.timers.size).toBe(0);
  });

  it('are cancelled with the workitem when it is abandoned, and with the task when it is force-abandoned', () => {
    const abandoned = startCase(net, { options: timing, runExecutors: false });
    const events = abandoned.send(abandonWorkitem(workitem(1)));
    expect(events.filter((e) => e.type === 'TimerCancelled').map((e) => e.data)).toMatchObject([
      { timerId: timer(1) },
      { timerId: timer(2) },
    ]);
    // The task's token went back to a new task, whose new workitem has timers of its own.
    expect([...abandoned.state.timers.values()].map((t) => t.workitemId)).toEqual([workitem(2), workitem(2)]);

    const forced = startCase(net, { options: timing, runExecutors: false });
    const forcedEvents = forced.send(forceAbandonTask(task(1)));
    expect(forcedEvents.filter((e) => e.type === 'TimerCancelled')).toHaveLength(2);
    expect([...forced.state.timers.values()].every((t) => t.workitemId === workitem(2))).toBe(true);
  });

  it('startToClose running out is a failed attempt of type timeout, retried by the policy', () => {
    const run = startCase(net, { options: timing });
    expectStep(run, fireTimer(timer(3), atPlus(600)), [
      { type: 'TimerFired', data: { timerId: timer(3), kind: 'startToClose' } },
      {
        type: 'WorkitemFailed',
        data: {
          workitemId: workitem(1),
          attempt: 1,
          error: { type: 'timeout', retryable: true },
          retryAt: atPlus(601),
        },
      },
      { type: 'TimerScheduled', data: { timerId: timer(4), kind: 'retry', dueAt: atPlus(601) } },
    ]);
    // The next attempt of a started workitem gets a startToClose of its own; scheduleToClose still runs.
    expectStep(run, fireTimer(timer(4), atPlus(601)), [
      { type: 'TimerFired', data: { timerId: timer(4), kind: 'retry' } },
      { type: 'TimerScheduled', data: { timerId: timer(5), kind: 'startToClose', dueAt: atPlus(1201) } },
    ]);
    expect([...run.state.timers.keys()]).toEqual([timer(2), timer(5)]);
  });

  it('scheduleToStart running out is a failed attempt too, and the next attempt is bounded again', () => {
    const run = startCase(net, { options: timing, runExecutors: false });
    expectStep(run, fireTimer(timer(1), atPlus(HOUR)), [
      { type: 'TimerFired', data: { kind: 'scheduleToStart' } },
      { type: 'WorkitemFailed', data: { attempt: 1, error: { type: 'timeout' }, retryAt: atPlus(HOUR + 1) } },
      { type: 'TimerScheduled', data: { kind: 'retry' } },
    ]);
    expectStep(run, fireTimer(timer(3), atPlus(HOUR + 1)), [
      { type: 'TimerFired', data: { kind: 'retry' } },
      { type: 'TimerScheduled', data: { kind: 'scheduleToStart', dueAt: atPlus(2 * HOUR + 1) } },
    ]);
  });

  it('scheduleToClose running out is final: a timeout incident, which cancels the rest of its timers', () => {
    const run = startCase(net, { options: timing });
    expectStep(run, fireTimer(timer(2), atPlus(DAY)), [
      { type: 'TimerFired', data: { timerId: timer(2), kind: 'scheduleToClose' } },
      { type: 'IncidentRaised', data: { incidentId: incident(1), kind: 'timeout', workitemId: workitem(1) } },
      { type: 'TimerCancelled', data: { timerId: timer(3) } },
    ]);
    expect(run.state.timers.size).toBe(0);
    expect(run.state.workitems.get(workitem(1))?.state).toBe('started');
  });
});

describe('snapshots', () => {
  it('round-trip pending timers and attempts', () => {
    const run = startCase(timedStepNet({ caseTimeout: 'P30D', timeouts: { startToClose: 'PT10M' } }), {
      options: timing,
    });
    run.send(fireTimer(timer(2), atPlus(600)));
    expect(run.state.timers.size).toBe(2);
    expect(run.state.attempts.size).toBe(1);
    const restored = caseFromSnapshot(JSON.parse(JSON.stringify(caseToSnapshot(run.state))));
    expect(restored).toEqual(run.state);
  });

  it('read a snapshot taken before timers existed as one with none', () => {
    const run = startCase(sequentialNet(), { runExecutors: false });
    const {
      timers: _timers,
      attempts: _attempts,
      ...old
    } = caseToSnapshot(run.state) as Record<string, unknown>;
    const counts = { ...(old['counts'] as Record<string, number>) };
    delete counts['timers'];
    const restored = caseFromSnapshot({ ...old, counts });
    expect(restored).toMatchObject({ counts: { timers: 0 } });
    expect(restored.status !== 'none' && restored.timers.size).toBe(0);
  });
});
