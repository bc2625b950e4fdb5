import { describe, expect, it } from '@jest/globals';
import { approvalNet, parallelNet, sequentialNet, trafficLightNet } from '../net/fixtures.js';
import {
  abandonWorkitem,
  completeWorkitem,
  createCase,
  expectRefused,
  expectStep,
  given,
  ids,
  preexecuteTask,
  startCase,
  terminateCase,
  updateWorkitem,
} from '../testing/index.js';
import { lockedTokensOf } from './decider.js';
import { TERMINATION } from './events.js';

const { task, workitem, token } = ids;

describe('P1 — a sequential case runs to the end', () => {
  it('creates the case, runs a then b with auto, and finishes with every token consumed', () => {
    const run = startCase(sequentialNet(), { data: { order: 1 }, runExecutors: false });
    expect(run.history).toEqual(
      given([])
        .when(createCase(sequentialNet(), { data: { order: 1 } }))
        .then([
          { type: 'CaseCreated', data: { workflowId: 'sequential', data: { order: 1 } } },
          {
            type: 'TokensIssued',
            data: {
              tokens: [
                { id: token(1), placeId: 'start', payload: { order: 1 }, producedByTaskId: 'genesis' },
              ],
            },
          },
          { type: 'CaseActivated' },
          { type: 'TaskStarted', data: { taskId: task(1), transitionId: 'a' } },
          { type: 'TokensReceived', data: { taskId: task(1), tokenIds: [token(1)] } },
          { type: 'TaskAllocated', data: { taskId: task(1), workitemId: workitem(1) } },
          { type: 'WorkitemCreated', data: { workitemId: workitem(1), transitionId: 'a', executor: 'auto' } },
        ]),
    );
    expect(run.state.status).toBe('active');

    expectStep(run, preexecuteTask(task(1)), [
      { type: 'TokensLocked', data: { taskId: task(1), tokenIds: [token(1)] } },
    ]);
    const aPayload = { [workitem(1)]: 'a done' };
    expectStep(run, completeWorkitem(workitem(1), 'a done'), [
      { type: 'WorkitemUpdated', data: { workitemId: workitem(1), state: 'completed', output: 'a done' } },
      { type: 'TokensConsumed', data: { taskId: task(1), tokenIds: [token(1)] } },
      { type: 'TaskCompleted', data: { taskId: task(1), tokenPayload: aPayload } },
      {
        type: 'TokensIssued',
        data: { tokens: [{ id: token(2), placeId: 'middle', payload: aPayload, producedByTaskId: task(1) }] },
      },
      { type: 'TaskStarted', data: { taskId: task(2), transitionId: 'b' } },
      { type: 'TokensReceived', data: { taskId: task(2), tokenIds: [token(2)] } },
      { type: 'TaskAllocated', data: { taskId: task(2), workitemId: workitem(2) } },
      { type: 'WorkitemCreated', data: { workitemId: workitem(2), transitionId: 'b' } },
    ]);
    expectStep(run, preexecuteTask(task(2)), [{ type: 'TokensLocked', data: { tokenIds: [token(2)] } }]);
    expectStep(run, completeWorkitem(workitem(2), 'b done'), [
      { type: 'WorkitemUpdated', data: { workitemId: workitem(2), state: 'completed', output: 'b done' } },
      { type: 'TokensConsumed', data: { taskId: task(2), tokenIds: [token(2)] } },
      { type: 'TaskCompleted', data: { taskId: task(2), tokenPayload: { [workitem(2)]: 'b done' } } },
      {
        type: 'TokensIssued',
        data: { tokens: [{ id: token(3), placeId: 'end', producedByTaskId: task(2) }] },
      },
      { type: 'TokensConsumed', data: { taskId: TERMINATION, tokenIds: [token(3)] } },
      { type: 'CaseFinished' },
    ]);

    const state = run.withEnded;
    expect(state.status).toBe('finished');
    expect([...state.tasks.values()].map((t) => [t.transitionId, t.state])).toEqual([
      ['a', 'completed'],
      ['b', 'completed'],
    ]);
    expect([...state.tokens.values()].map((t) => [t.state, t.consumedByTaskId])).toEqual([
      ['consumed', task(1)],
      ['consumed', task(2)],
      ['consumed', TERMINATION],
    ]);
    expect(run.history[0]?.type).toBe('CaseCreated');
    expect(run.history.at(-1)?.type).toBe('CaseFinished');
  });

  it('finishes the same way when the dispatcher completes auto workitems without a preexecute', () => {
    const run = startCase(sequentialNet());
    expect(run.state.status).toBe('finished');
    expect(run.withEnded.tasks.get(task(1))?.tokenPayload).toEqual({ [workitem(1)]: 'a done' });
    expect(run.withEnded.tasks.get(task(2))?.tokenPayload).toEqual({ [workitem(2)]: 'b done' });
    expect(run.withEnded.tokens.size).toBe(3);
  });
});

describe('P2 — parallel branches join', () => {
  const run = startCase(parallelNet());
  const types = run.history.map((e) => e.type);
  const joinTask = [...run.withEnded.tasks.values()].find((t) => t.transitionId === 'join');

  it('splits one token into left and one into right', () => {
    const split = run.history.find(
      (e) => e.type === 'TokensIssued' && e.data.tokens[0]?.producedByTaskId === task(1),
    );
    expect(split).toMatchObject({
      data: { tokens: [{ placeId: 'left' }, { placeId: 'right' }] },
    });
  });

  it('allocates the join only once both left-done and right-done offered a token', () => {
    const received = run.history.flatMap((e, i) =>
      e.type === 'TokensReceived' && e.data.taskId === joinTask?.id ? [i] : [],
    );
    const allocated = run.history.findIndex(
      (e) => e.type === 'TaskAllocated' && e.data.taskId === joinTask?.id,
    );
    expect(received).toHaveLength(2);
    expect(allocated).toBeGreaterThan(Math.max(...received));
    const placesOffered = joinTask?.offered.map((id) => run.withEnded.tokens.get(id)?.placeId);
    expect(placesOffered).toEqual(['left-done', 'right-done']);
  });

  it('locks and consumes both tokens in the join, then finishes', () => {
    const consumedByJoin = [...run.withEnded.tokens.values()].filter(
      (t) => t.consumedByTaskId === joinTask?.id,
    );
    expect(consumedByJoin.map((t) => t.placeId)).toEqual(['left-done', 'right-done']);
    expect(joinTask?.state).toBe('completed');
    expect(run.state.status).toBe('finished');
    expect(types.at(-1)).toBe('CaseFinished');
  });
});

describe('P3 — a manual step waits', () => {
  it('offers the submitted token to approve and reject, each allocated with one started workitem', () => {
    const run = startCase(approvalNet());
    const approve = run.task('approve');
    const reject = run.task('reject');
    expect([approve.state, reject.state]).toEqual(['allocated', 'allocated']);
    expect(approve.offered).toEqual([token(2)]);
    expect(reject.offered).toEqual([token(2)]);
    expect(run.state.tokens.get(token(2))).toMatchObject({ placeId: 'submitted', state: 'free' });
    expect([run.workitem('approve').state, run.workitem('reject').state]).toEqual(['started', 'started']);
    expect(run.state.status).toBe('active');
  });

  it('moves nothing until a worker acts', () => {
    const run = startCase(approvalNet());
    const length = run.history.length;
    run.runExecutors();
    expect(run.history).toHaveLength(length);
  });
});

describe('P4 — deferred choice', () => {
  it('locks for approve, refuses reject, and completing approve withdraws the token from reject', () => {
    const run = startCase(approvalNet());
    expect([run.task('approve').id, run.task('reject').id]).toEqual([task(2), task(3)]);

    expectStep(run, preexecuteTask(task(2)), [
      { type: 'TokensLocked', data: { taskId: task(2), tokenIds: [token(2)] } },
    ]);
    expect(lockedTokensOf(run.state, task(2)).map((t) => t.id)).toEqual([token(2)]);
    expectRefused(run, preexecuteTask(task(3)), { code: 'tokens_not_available' });

    expectStep(run, completeWorkitem(workitem(2), { by: 'ann' }), [
      {
        type: 'WorkitemUpdated',
        data: { workitemId: workitem(2), state: 'completed', output: { by: 'ann' } },
      },
      { type: 'TokensConsumed', data: { taskId: task(2), tokenIds: [token(2)] } },
      { type: 'TokensDiscarded', data: { taskId: task(3), tokenIds: [token(2)] } },
      {
        type: 'WorkitemUpdated',
        data: {
          workitemId: workitem(3),
          state: 'abandoned',
          output: null,
          transitionId: 'reject',
          executor: 'manual',
        },
      },
      { type: 'TaskAbandoned', data: { taskId: task(3), reason: 'tokens_withdrawn' } },
      { type: 'TaskCompleted', data: { taskId: task(2), tokenPayload: { [workitem(2)]: { by: 'ann' } } } },
      { type: 'TokensIssued', data: { tokens: [{ id: token(3), placeId: 'end' }] } },
      { type: 'TokensConsumed', data: { taskId: TERMINATION, tokenIds: [token(3)] } },
      { type: 'CaseFinished' },
    ]);
    expect(run.withEnded.tokens.get(token(2))?.consumedByTaskId).toBe(task(2));
  });
});

describe('P5 — preexecute twice', () => {
  it('answers with the same token both times and records the lock once', () => {
    const run = startCase(approvalNet());
    expectStep(run, preexecuteTask(task(2)), [{ type: 'TokensLocked', data: { tokenIds: [token(2)] } }]);
    const first = lockedTokensOf(run.state, task(2));
    expectStep(run, preexecuteTask(task(2)), []);
    expect(lockedTokensOf(run.state, task(2))).toEqual(first);
    expect(first.map((t) => t.id)).toEqual([token(2)]);
  });
});

describe('P6 — ended workitems refuse more', () => {
  const run = startCase(approvalNet());
  // submit's workitem completed; abandoning approve's gives an abandoned one while the case stays active.
  run.send(abandonWorkitem(workitem(2)));

  it.each([
    ['completed', workitem(1)],
    ['abandoned', workitem(2)],
  ])('refuses to complete, abandon or start a %s workitem and appends nothing', (_, id) => {
    expect(run.state.status).toBe('active');
    expectRefused(run, completeWorkitem(id, 'again'), { code: 'workitem_not_available' });
    expectRefused(run, abandonWorkitem(id), { code: 'workitem_not_available' });
    expectRefused(run, updateWorkitem(id, 'started'), { code: 'workitem_not_available' });
    expectRefused(run, updateWorkitem(id, 'completed', 'again'), { code: 'workitem_not_available' });
  });
});

describe('P7 — terminate', () => {
  it('abandons both waiting reviewers, then refuses to terminate again or complete a workitem', () => {
    const run = startCase(approvalNet());
    expectStep(run, terminateCase(), [
      { type: 'WorkitemUpdated', data: { workitemId: workitem(2), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(2), reason: 'case_ended' } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(3), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(3), reason: 'case_ended' } },
      { type: 'CaseTerminated' },
    ]);
    expect(run.state.status).toBe('terminated');
    expect([...run.withEnded.workitems.values()].map((w) => w.state)).toEqual([
      'completed',
      'abandoned',
      'abandoned',
    ]);
    expectRefused(run, terminateCase(), { code: 'case_not_available' });
    // The workitem was abandoned with the case: a late completion learns that, not that the case ended.
    expectRefused(run, completeWorkitem(workitem(2), 'late'), { code: 'workitem_not_available' });
  });
});

describe('P8 — the traffic light', () => {
  it('runs two laps with a new task per lap and ends by withdrawing the r2g of the last lap', () => {
    const run = startCase(trafficLightNet());
    const complete = (transitionId: string): void => {
      run.send(completeWorkitem(run.workitem(transitionId).id, transitionId));
      run.runExecutors();
    };
    const yellow = run.state.tokens.get(token(2));
    expect(yellow).toMatchObject({ placeId: 'yellow', state: 'free' });
    const firstY2r = run.task('y2r');
    expect(firstY2r.offered).toEqual([token(2)]);

    complete('y2r');
    expect(run.task('r2g').offered).toEqual(run.task('will-end').offered);
    expect(run.state.tokens.get(run.task('r2g').offered[0]!)?.placeId).toBe('red');

    complete('r2g');
    complete('g2y');
    const secondY2r = run.task('y2r');
    expect(secondY2r.id).not.toBe(firstY2r.id);
    expect(run.withEnded.tasks.get(firstY2r.id)?.state).toBe('completed');
    expect(run.state.tokens.get(secondY2r.offered[0]!)?.placeId).toBe('yellow');

    complete('y2r');
    const lastR2g = run.task('r2g');
    complete('will-end');
    expect(run.withEnded.tasks.get(lastR2g.id)).toMatchObject({
      state: 'abandoned',
      abandonReason: 'tokens_withdrawn',
    });
    expect(run.state.status).toBe('finished');

    const lapsOf = (transitionId: string) =>
      [...run.withEnded.tasks.values()].filter((t) => t.transitionId === transitionId).map((t) => t.state);
    expect(lapsOf('y2r')).toEqual(['completed', 'completed']);
    expect(lapsOf('r2g')).toEqual(['completed', 'abandoned']);
    expect(lapsOf('will-end')).toEqual(['abandoned', 'completed']);
    expect(lapsOf('g2y')).toEqual(['completed']);
  });
});
