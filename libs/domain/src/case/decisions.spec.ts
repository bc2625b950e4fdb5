import { describe, expect, it } from '@jest/globals';
import {
  completeWorkitem,
  expectRefused,
  expectStep,
  fakeConditions,
  ids,
  orBlockNet,
  replay,
  startCase,
  xorNet,
} from '../testing/index.js';
import type { ConditionScope } from '../net/conditions.js';
import { netFromDecisionBlock } from '../testing/arbitraries.js';
import { caseFromSnapshot, caseToSnapshot } from './decider.js';

const { task, workitem, token, incident } = ids;

describe('an xor split completing', () => {
  it('routes to the first arc whose condition holds and records the route', () => {
    const run = startCase(xorNet(), { data: { amount: 20000 }, options: { conditions: fakeConditions() } });
    expect(run.history.find((e) => e.type === 'TaskCompleted')?.data).toMatchObject({
      taskId: task(1),
      route: { placeIds: ['board'], by: 'condition' },
    });
    expect([...run.state.tokens.values()].map((t) => t.placeId)).toEqual(['board']);
    expect(run.task('boardReview').state).toBe('allocated');
  });

  it('takes the default arc when no condition holds', () => {
    const run = startCase(xorNet(), { data: { amount: 10 }, options: { conditions: fakeConditions() } });
    expect(run.history.find((e) => e.type === 'TaskCompleted')?.data).toMatchObject({
      route: { placeIds: ['clerk'], by: 'default' },
    });
    expect([...run.state.tokens.values()].map((t) => t.placeId)).toEqual(['clerk']);
  });

  it('stops at the first arc that holds: later conditions are not evaluated', () => {
    const conditions = fakeConditions();
    const net = xorNet('true');
    const twoConditions = {
      ...net,
      arcs: net.arcs.map((arc) =>
        arc.to === 'clerk' ? { from: arc.from, to: arc.to, condition: 'fail' } : arc,
      ),
    };
    // `fail` on the second arc is never reached; the net has no default, which validation would refuse,
    // but the decision does not need one when a condition holds.
    startCase(twoConditions, { options: { conditions } });
    expect(conditions.evaluations).toEqual(['true']);
  });
});

describe('a condition that cannot be evaluated', () => {
  const failing = () =>
    startCase(xorNet(), { data: { name: 'no amount' }, options: { conditions: fakeConditions() } });

  it('raises a condition_failed incident instead of completing: nothing is consumed, the task stays executing', () => {
    const run = failing();
    const raised = run.history.filter((e) => e.type === 'IncidentRaised');
    expect(raised.map((e) => e.data)).toEqual([
      {
        caseId: 'c1',
        taskId: task(1),
        incidentId: incident(1),
        kind: 'condition_failed',
        workitemId: workitem(1),
        message: 'the condition "case.amount > 10000" of arc register → board failed: case.amount is missing',
        at: expect.any(String),
      },
    ]);
    expect(run.history.map((e) => e.type)).not.toContain('TaskCompleted');
    expect(run.history.map((e) => e.type)).not.toContain('TokensConsumed');
    expect(run.state.tasks.get(task(1))).toMatchObject({ state: 'executing', locked: [token(1)] });
    expect(run.state.tokens.get(token(1))).toMatchObject({ state: 'locked', lockedByTaskId: task(1) });
    expect([...run.state.incidents.values()]).toEqual([
      expect.objectContaining({ id: incident(1), taskId: task(1), kind: 'condition_failed' }),
    ]);
    expect(run.state.counts.incidents).toBe(1);
  });

  it('raises one too when no condition language is given', () => {
    const run = startCase(xorNet(), { data: { amount: 20000 } });
    expect(run.history.filter((e) => e.type === 'IncidentRaised').map((e) => e.data)).toEqual([
      expect.objectContaining({
        message:
          'the condition "case.amount > 10000" of arc register → board cannot be evaluated: no condition language',
      }),
    ]);
  });

  it('is raised once: the task is not settled again while its incident is open', () => {
    const run = failing();
    // Another command on the case cascades, and the task with the open incident is left alone.
    run.send({
      type: 'PreexecuteTask',
      data: { caseId: 'c1', taskId: task(1), at: '2026-01-01T00:00:01.000Z' },
    });
    expect(run.history.filter((e) => e.type === 'IncidentRaised')).toHaveLength(1);
  });

  it('survives a snapshot round trip', () => {
    const run = failing();
    const restored = caseFromSnapshot(JSON.parse(JSON.stringify(caseToSnapshot(run.state))));
    expect(restored).toEqual(run.state);
  });
});

describe('replaying a stream with routes', () => {
  it('gives the same state with no condition language and evaluates nothing', () => {
    const conditions = fakeConditions();
    const run = startCase(orBlockNet(), {
      data: { amount: 6000, risk: 1 },
      options: { conditions },
    });
    const evaluated = conditions.evaluations.length;
    expect(evaluated).toBeGreaterThan(0);
    expect(replay(run.history)).toEqual(run.state);
    expect(conditions.evaluations).toHaveLength(evaluated);
  });
});

describe('an or block', () => {
  const options = { conditions: fakeConditions() };

  it('sends a token down every branch whose condition holds, and a control token naming them to its join', () => {
    const run = startCase(orBlockNet(), { data: { amount: 6000, risk: 1 }, options });
    expect(run.history.find((e) => e.type === 'TaskCompleted')?.data).toMatchObject({
      route: { placeIds: ['kyc', 'fraud'], by: 'condition' },
    });
    expect(
      run.history.find((e) => e.type === 'TokensIssued' && e.data.tokens[0]?.placeId === 'kyc')?.data,
    ).toMatchObject({
      tokens: [
        { placeId: 'kyc', producedByTaskId: task(1) },
        { placeId: 'fraud', producedByTaskId: task(1) },
        { placeId: 'checks#decide', payload: { branches: ['kyc', 'fraud'] }, producedByTaskId: task(1) },
      ],
    });
    // The join is offered the control token at once, and waits.
    expect(run.task('decide')).toMatchObject({ state: 'started' });
  });

  it('enables its join once exactly the chosen branches are done, never waiting for the others', () => {
    const run = startCase(orBlockNet(), { data: { amount: 6000, risk: 1 }, options });
    run.send(completeWorkitem(run.workitem('kycCheck').id));
    expect(run.task('decide').state).toBe('started');
    run.send(completeWorkitem(run.workitem('fraudCheck').id));
    const decide = run.task('decide');
    expect(decide.state).toBe('allocated');
    run.send(completeWorkitem(run.workitem('decide').id));
    expect(run.state.status).toBe('finished');
    // The join consumed the control token with the two branch tokens.
    const consumedByJoin = run.history
      .filter((e) => e.type === 'TokensConsumed' && e.data.taskId === decide.id)
      .flatMap((e) => (e.type === 'TokensConsumed' ? e.data.tokenIds : []));
    expect(consumedByJoin.map((id) => run.withEnded.tokens.get(id)?.placeId).sort()).toEqual([
      'checks#decide',
      'fraudDone',
      'kycDone',
    ]);
  });

  it('takes only the default branch when no condition holds, and its join waits for that one', () => {
    const run = startCase(orBlockNet(), { data: { amount: 1, risk: 0 }, options });
    expect(run.history.find((e) => e.type === 'TaskCompleted')?.data).toMatchObject({
      route: { placeIds: ['basic'], by: 'default' },
    });
    run.send(completeWorkitem(run.workitem('basicCheck').id));
    run.send(completeWorkitem(run.workitem('decide').id));
    expect(run.state.status).toBe('finished');
  });

  it('refuses to preexecute its join before the chosen branches are done', () => {
    const run = startCase(orBlockNet(), { data: { amount: 6000, risk: 0 }, options });
    expectRefused(
      run,
      {
        type: 'PreexecuteTask',
        data: { caseId: 'c1', taskId: run.task('decide').id, at: '2026-01-01T00:00:00.000Z' },
      },
      { code: 'task_not_enabled' },
    );
    expectStep(run, completeWorkitem(run.workitem('kycCheck').id), [
      { type: 'TokensLocked' },
      { type: 'WorkitemUpdated' },
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued', data: { tokens: [expect.objectContaining({ placeId: 'kycDone' })] } },
      { type: 'TokensReceived', data: { taskId: run.task('decide').id } },
      { type: 'TaskAllocated', data: { taskId: run.task('decide').id } },
      { type: 'WorkitemCreated' },
    ]);
  });
});

describe('what a condition reads', () => {
  it('is the case data, the completed output, the consumed payloads by place, the payload to issue and the time', () => {
    const scopes: ConditionScope[] = [];
    const run = startCase(xorNet(), {
      data: { amount: 1 },
      options: {
        conditions: {
          check: () => undefined,
          evaluate: (_source, scope) => {
            scopes.push(scope);
            return false;
          },
        },
        buildTokenPayload: () => ({ issued: true }),
      },
      runExecutors: false,
    });
    run.send(completeWorkitem(run.workitem('register').id, { score: 7 }));
    expect(scopes).toEqual([
      {
        case: { amount: 1 },
        output: { score: 7 },
        inputs: { start: { amount: 1 } },
        payload: { issued: true },
        now: '2026-01-01T00:00:00.000Z',
      },
    ]);
  });
});

describe('an incident', () => {
  it('blocks only its task: a parallel branch goes on', () => {
    // start → t1 → t2 (and split) → [t3 (xor split on `fail`) → t4 | t5] and [t6 (manual)] → t7 (and join) → end
    const definition = netFromDecisionBlock(
      {
        kind: 'parallel',
        left: {
          kind: 'xor',
          branches: [{ kind: 'step' }, { kind: 'step' }],
          conditions: ['fail'],
          joined: false,
        },
        right: { kind: 'step' },
      },
      ['auto', 'auto', 'auto', 'auto', 'auto', 'manual'],
    );
    const run = startCase(definition, { options: { conditions: fakeConditions() } });
    const [open] = [...run.state.incidents.values()];
    expect(open).toMatchObject({ kind: 'condition_failed' });
    expect(open?.taskId).toBe(run.task('t3').id);
    const other = run.workitem('t6');
    run.send(completeWorkitem(other.id));
    expect(run.withEnded.tasks.get(other.taskId)?.state).toBe('completed');
    expect(run.state.tasks.get(open!.taskId)?.state).toBe('executing');
    expect(run.state.incidents.size).toBe(1);
  });
});
