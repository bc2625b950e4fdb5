import { describe, expect, it } from '@jest/globals';
import type { ConditionLanguage } from '../net/conditions.js';
import { ConditionFailure } from '../net/conditions.js';
import {
  AT,
  expectRefused,
  expectStep,
  fakeConditions,
  forceAbandonTask,
  given,
  ids,
  orBlockNet,
  resolveIncident,
  startCase,
  terminateCase,
  xorNet,
} from '../testing/index.js';
import { oneStepNet } from '../testing/nets.js';
import type { CaseEvent } from './events.js';

const { task, workitem, token, incident } = ids;

/** A register step whose condition cannot be evaluated: incident 1 is open on task 1, its token 1 locked. */
const failed = (conditions: ConditionLanguage = fakeConditions()) =>
  startCase(xorNet(), { data: { name: 'no amount' }, options: { conditions } });

/** A language that fails the first `failures` evaluations, then holds every condition. */
function failingAtFirst(failures: number): ConditionLanguage {
  let left = failures;
  return {
    check: () => undefined,
    evaluate() {
      if (left > 0) {
        left -= 1;
        throw new ConditionFailure('the service is down');
      }
      return true;
    },
  };
}

describe('ResolveIncident retry', () => {
  it('evaluates the conditions again and completes the task with the route they give', () => {
    const run = failed(failingAtFirst(1));
    expectStep(run, resolveIncident(incident(1), { action: 'retry' }), [
      { type: 'IncidentResolved', data: { incidentId: incident(1), resolution: { action: 'retry' } } },
      { type: 'TokensConsumed', data: { taskId: task(1), tokenIds: [token(1)] } },
      { type: 'TaskCompleted', data: { taskId: task(1), route: { placeIds: ['board'], by: 'condition' } } },
      { type: 'TokensIssued', data: { tokens: [expect.objectContaining({ placeId: 'board' })] } },
      { type: 'TaskStarted', data: { transitionId: 'boardReview' } },
      { type: 'TokensReceived' },
      { type: 'TaskAllocated' },
      { type: 'WorkitemCreated' },
    ]);
    expect(run.state.incidents.size).toBe(0);
  });

  it('raises a new incident when the conditions fail again', () => {
    const run = failed();
    expectStep(run, resolveIncident(incident(1), { action: 'retry' }), [
      { type: 'IncidentResolved', data: { incidentId: incident(1) } },
      {
        type: 'IncidentRaised',
        data: { incidentId: incident(2), taskId: task(1), kind: 'condition_failed' },
      },
    ]);
    expect([...run.state.incidents.keys()]).toEqual([incident(2)]);
  });
});

describe('ResolveIncident route', () => {
  it("completes the task with the operator's route, recorded as theirs", () => {
    const run = failed();
    expectStep(run, resolveIncident(incident(1), { action: 'route', placeIds: ['clerk'] }), [
      {
        type: 'IncidentResolved',
        data: { incidentId: incident(1), resolution: { action: 'route', placeIds: ['clerk'] } },
      },
      { type: 'TokensConsumed', data: { taskId: task(1) } },
      { type: 'TaskCompleted', data: { taskId: task(1), route: { placeIds: ['clerk'], by: 'operator' } } },
      { type: 'TokensIssued', data: { tokens: [expect.objectContaining({ placeId: 'clerk' })] } },
      { type: 'TaskStarted', data: { transitionId: 'clerkReview' } },
      { type: 'TokensReceived' },
      { type: 'TaskAllocated' },
      { type: 'WorkitemCreated' },
    ]);
  });

  it('takes several places for an or split, in arc order, and issues the control token naming them', () => {
    const run = startCase(orBlockNet({ toKyc: 'fail' }), {
      data: {},
      options: { conditions: fakeConditions() },
    });
    const events = run.send(resolveIncident(incident(1), { action: 'route', placeIds: ['basic', 'kyc'] }));
    expect(events.find((e) => e.type === 'TaskCompleted')?.data).toMatchObject({
      route: { placeIds: ['kyc', 'basic'], by: 'operator' },
    });
    expect(run.state.tokens.get(token(4))).toMatchObject({
      placeId: 'checks#decide',
      payload: { branches: ['kyc', 'basic'] },
    });
  });

  it.each([
    ['two places for an xor split', ['board', 'clerk']],
    ['no place', []],
    ['a place that is not an output of the split', ['end']],
    ['a place twice', ['board', 'board']],
  ])('refuses %s with validation_failed and records nothing', (_what, placeIds) => {
    const run = failed();
    expectRefused(run, resolveIncident(incident(1), { action: 'route', placeIds }), {
      code: 'validation_failed',
    });
    expect(run.state.incidents.has(incident(1))).toBe(true);
  });
});

describe('ResolveIncident abandon', () => {
  it('abandons the task (forced), unlocking its tokens, which are offered again', () => {
    const run = failed();
    expectStep(run, resolveIncident(incident(1), { action: 'abandon' }), [
      { type: 'IncidentResolved', data: { incidentId: incident(1), resolution: { action: 'abandon' } } },
      { type: 'TokensUnlocked', data: { taskId: task(1), tokenIds: [token(1)] } },
      { type: 'TaskAbandoned', data: { taskId: task(1), reason: 'forced' } },
      { type: 'TaskStarted', data: { taskId: task(2), transitionId: 'register' } },
      { type: 'TokensReceived', data: { taskId: task(2), tokenIds: [token(1)] } },
      { type: 'TaskAllocated', data: { taskId: task(2) } },
      { type: 'WorkitemCreated', data: { workitemId: workitem(2) } },
    ]);
  });
});

describe('ResolveIncident complete', () => {
  it('refuses a condition_failed incident, whose workitem has completed, with validation_failed', () => {
    const run = failed();
    expectRefused(run, resolveIncident(incident(1), { action: 'complete', output: { ok: true } }), {
      code: 'validation_failed',
    });
  });

  it('completes the open workitem of an incident with the output given', () => {
    const run = startCase(oneStepNet('manual'));
    const raised: CaseEvent = {
      type: 'IncidentRaised',
      data: {
        caseId: 'c1',
        taskId: task(1),
        incidentId: incident(1),
        kind: 'executor_failed',
        workitemId: workitem(1),
        message: 'the executor gave up',
        at: AT,
      },
    };
    given([...run.history, raised])
      .when(resolveIncident(incident(1), { action: 'complete', output: { done: 1 } }))
      .then([
        { type: 'IncidentResolved', data: { incidentId: incident(1) } },
        { type: 'TokensLocked', data: { taskId: task(1) } },
        {
          type: 'WorkitemUpdated',
          data: { workitemId: workitem(1), state: 'completed', output: { done: 1 } },
        },
        { type: 'TokensConsumed' },
        { type: 'TaskCompleted', data: { taskId: task(1) } },
        { type: 'TokensIssued' },
        { type: 'TokensConsumed' },
        { type: 'CaseFinished' },
      ]);
  });

  it('refuses route for an incident that is not condition_failed', () => {
    const run = startCase(oneStepNet('manual'));
    given([
      ...run.history,
      {
        type: 'IncidentRaised',
        data: {
          caseId: 'c1',
          taskId: task(1),
          incidentId: incident(1),
          kind: 'timeout',
          workitemId: workitem(1),
          message: 'late',
          at: AT,
        },
      },
    ])
      .when(resolveIncident(incident(1), { action: 'route', placeIds: ['end'] }))
      .thenFails('validation_failed');
  });
});

describe('an incident that cannot be resolved', () => {
  it('answers incident_not_open once resolved', () => {
    const run = failed();
    run.send(resolveIncident(incident(1), { action: 'abandon' }));
    expectRefused(run, resolveIncident(incident(1), { action: 'abandon' }), { code: 'incident_not_open' });
  });

  it('answers not found for an incident the case never raised', () => {
    const run = failed();
    expectRefused(run, resolveIncident(incident(2), { action: 'retry' }), {
      name: 'NotFoundError',
      entity: 'incident',
    });
  });
});

describe('no incident outlives its task', () => {
  it('ForceAbandonTask resolves the incidents of the task it abandons (abandon)', () => {
    const run = failed();
    const events = run.send(forceAbandonTask(task(1)));
    expect(events.slice(0, 3).map((e) => e.type)).toEqual([
      'IncidentResolved',
      'TokensUnlocked',
      'TaskAbandoned',
    ]);
    expect(events[0]?.data).toMatchObject({ incidentId: incident(1), resolution: { action: 'abandon' } });
    expect(run.state.incidents.size).toBe(0);
  });

  it('TerminateCase resolves them too', () => {
    const run = failed();
    expectStep(run, terminateCase(), [
      { type: 'IncidentResolved', data: { incidentId: incident(1), resolution: { action: 'abandon' } } },
      { type: 'TaskAbandoned', data: { taskId: task(1), reason: 'case_ended' } },
      { type: 'CaseTerminated' },
    ]);
    expect(run.state.incidents.size).toBe(0);
  });
});
