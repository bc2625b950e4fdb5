import { describe, expect, it } from '@jest/globals';
import { approvalNet, parallelNet } from '../net/fixtures.js';
import {
  AT,
  competingJoinNet,
  completeWorkitem,
  earlyEndNet,
  expectStep,
  forceAbandonTask,
  given,
  ids,
  oneStepNet,
  preexecuteTask,
  startCase,
  twoTokensNet,
  updateWorkitem,
} from '../testing/index.js';
import type { CaseRun } from '../testing/index.js';
import type { CaseEvent } from './events.js';
import { TERMINATION } from './events.js';

const { task, workitem, token } = ids;

/** twoTokensNet with fork and x done by hand: token-4 in mid, offered to m1 (task-4) and m2 (task-5); y (task-3) still to run. */
function oneTokenInMid(): CaseRun {
  const run = startCase(twoTokensNet(), { runExecutors: false });
  run.send(completeWorkitem(workitem(1)));
  run.send(completeWorkitem(workitem(2), 'x'));
  expect([run.task('m1').id, run.task('m2').id, run.task('y').id]).toEqual([task(4), task(5), task(3)]);
  return run;
}

describe('a token that becomes free', () => {
  it('rule 2 offer: is offered to the transitions that have its place as input, a new started task for each', () => {
    const run = startCase(approvalNet(), { runExecutors: false });
    expectStep(run, completeWorkitem(workitem(1)), [
      { type: 'TokensLocked', data: { taskId: task(1), tokenIds: [token(1)] } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(1), state: 'completed' } },
      { type: 'TokensConsumed', data: { taskId: task(1), tokenIds: [token(1)] } },
      { type: 'TaskCompleted', data: { taskId: task(1) } },
      { type: 'TokensIssued', data: { tokens: [{ id: token(2), placeId: 'submitted' }] } },
      { type: 'TaskStarted', data: { taskId: task(2), transitionId: 'approve' } },
      { type: 'TokensReceived', data: { taskId: task(2), tokenIds: [token(2)] } },
      { type: 'TaskStarted', data: { taskId: task(3), transitionId: 'reject' } },
      { type: 'TokensReceived', data: { taskId: task(3), tokenIds: [token(2)] } },
      { type: 'TaskAllocated', data: { taskId: task(2), workitemId: workitem(2) } },
      {
        type: 'WorkitemCreated',
        data: { workitemId: workitem(2), transitionId: 'approve', executor: 'manual' },
      },
      { type: 'TaskAllocated', data: { taskId: task(3), workitemId: workitem(3) } },
      {
        type: 'WorkitemCreated',
        data: { workitemId: workitem(3), transitionId: 'reject', executor: 'manual' },
      },
    ]);
  });

  it('rule 2 offer: goes to the live task of its transition instead of starting a second one', () => {
    const run = oneTokenInMid();
    expectStep(run, completeWorkitem(workitem(3), 'y'), [
      { type: 'TokensLocked', data: { taskId: task(3) } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(3) } },
      { type: 'TokensConsumed', data: { taskId: task(3) } },
      { type: 'TaskCompleted', data: { taskId: task(3) } },
      { type: 'TokensIssued', data: { tokens: [{ id: token(5), placeId: 'mid' }] } },
      { type: 'TokensReceived', data: { taskId: task(4), tokenIds: [token(5)] } },
      { type: 'TokensReceived', data: { taskId: task(5), tokenIds: [token(5)] } },
    ]);
    expect([...run.state.liveTaskOf.values()]).toEqual([task(4), task(5)]);
  });
});

describe('a started task', () => {
  it('rule 3 allocate: an and join waits until every input place is offered, then creates one workitem', () => {
    const run = startCase(parallelNet(), { runExecutors: false });
    run.send(completeWorkitem(workitem(1)));
    const leftDone = run.send(completeWorkitem(workitem(2), 'L'));
    expect(leftDone.map((e) => e.type).slice(-2)).toEqual(['TaskStarted', 'TokensReceived']);
    expect(run.state.tasks.get(task(4))).toMatchObject({
      transitionId: 'join',
      state: 'started',
      workitemIds: [],
    });

    expectStep(run, completeWorkitem(workitem(3), 'R'), [
      { type: 'TokensLocked', data: { taskId: task(3) } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(3) } },
      { type: 'TokensConsumed', data: { taskId: task(3) } },
      { type: 'TaskCompleted', data: { taskId: task(3) } },
      { type: 'TokensIssued', data: { tokens: [{ id: token(5), placeId: 'right-done' }] } },
      { type: 'TokensReceived', data: { taskId: task(4), tokenIds: [token(5)] } },
      { type: 'TaskAllocated', data: { taskId: task(4), workitemId: workitem(4) } },
      {
        type: 'WorkitemCreated',
        data: { workitemId: workitem(4), taskId: task(4), transitionId: 'join', executor: 'auto' },
      },
    ]);
    expect(run.state.tasks.get(task(4))?.state).toBe('allocated');
  });

  it('rule 3 allocate: creates exactly one workitem even when offered several tokens', () => {
    const run = oneTokenInMid();
    run.send(completeWorkitem(workitem(3), 'y'));
    expect(run.state.tasks.get(task(4))).toMatchObject({
      offered: [token(4), token(5)],
      workitemIds: [workitem(4)],
    });
  });
});

describe('a task that consumes tokens offered to competitors', () => {
  it('rule 7 withdraw: abandons a competitor whose only token was consumed, with its open workitem', () => {
    const run = startCase(approvalNet());
    expectStep(run, completeWorkitem(workitem(2), 'approved'), [
      { type: 'TokensLocked', data: { taskId: task(2), tokenIds: [token(2)] } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(2), state: 'completed' } },
      { type: 'TokensConsumed', data: { taskId: task(2), tokenIds: [token(2)] } },
      { type: 'TokensDiscarded', data: { taskId: task(3), tokenIds: [token(2)] } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(3), taskId: task(3), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(3), reason: 'tokens_withdrawn' } },
      { type: 'TaskCompleted', data: { taskId: task(2) } },
      { type: 'TokensIssued', data: { tokens: [{ placeId: 'end' }] } },
      { type: 'TokensConsumed', data: { taskId: TERMINATION } },
      { type: 'CaseFinished' },
    ]);
  });

  it('rule 7 withdraw: reaches a competitor that is only started, with no workitem', () => {
    const run = startCase(competingJoinNet());
    expectStep(run, completeWorkitem(workitem(2), 'taken'), [
      { type: 'TokensLocked', data: { taskId: task(2), tokenIds: [token(2)] } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(2) } },
      { type: 'TokensConsumed', data: { taskId: task(2), tokenIds: [token(2)] } },
      { type: 'TokensDiscarded', data: { taskId: task(3), tokenIds: [token(2)] } },
      { type: 'TaskAbandoned', data: { taskId: task(3), reason: 'tokens_withdrawn' } },
      { type: 'TaskCompleted', data: { taskId: task(2) } },
      { type: 'TokensIssued', data: { tokens: [{ id: token(4), placeId: 'end' }] } },
    ]);
  });

  it('rule 7 withdraw: a competitor still offered another token only discards the consumed one and stays live', () => {
    const run = oneTokenInMid();
    run.send(completeWorkitem(workitem(3), 'y'));
    expectStep(run, completeWorkitem(workitem(5), 'm2'), [
      { type: 'TokensLocked', data: { taskId: task(5), tokenIds: [token(4)] } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(5) } },
      { type: 'TokensConsumed', data: { taskId: task(5), tokenIds: [token(4)] } },
      { type: 'TokensDiscarded', data: { taskId: task(4), tokenIds: [token(4)] } },
      { type: 'TaskCompleted', data: { taskId: task(5) } },
      { type: 'TokensIssued', data: { tokens: [{ id: token(6), placeId: 'v' }] } },
      { type: 'TaskStarted', data: { taskId: task(6), transitionId: 'm2' } },
      { type: 'TokensReceived', data: { taskId: task(6), tokenIds: [token(5)] } },
      { type: 'TaskStarted', data: { taskId: task(7), transitionId: 'join' } },
      { type: 'TokensReceived', data: { taskId: task(7), tokenIds: [token(6)] } },
      { type: 'TaskAllocated', data: { taskId: task(6), workitemId: workitem(6) } },
      { type: 'WorkitemCreated', data: { workitemId: workitem(6), transitionId: 'm2' } },
    ]);
    expect(run.state.tasks.get(task(4))).toMatchObject({ state: 'allocated', offered: [token(5)] });
  });
});

describe('a task that ends while tokens of its input places are still free', () => {
  it('rule 9 re-offer: after a completion, the token still free goes to a new task of the same transition', () => {
    const run = oneTokenInMid();
    run.send(completeWorkitem(workitem(3), 'y'));
    const events = run.send(completeWorkitem(workitem(4), 'm1'));
    const started = events.find((e) => e.type === 'TaskStarted' && e.data.transitionId === 'm1');
    expect(started?.data).toMatchObject({ taskId: task(6) });
    expect(run.state.tasks.get(task(6))).toMatchObject({
      transitionId: 'm1',
      state: 'allocated',
      offered: [token(5)],
    });
    expect(run.withEnded.tasks.get(task(4))?.state).toBe('completed');
  });

  it('rule 9 re-offer: after a forced abandon, the freed token goes to a new task (a retry)', () => {
    const run = startCase(oneStepNet('manual'));
    run.send(preexecuteTask(task(1)));
    run.send(forceAbandonTask(task(1)));
    expect(run.state.tasks.get(task(2))).toMatchObject({
      transitionId: 'step',
      state: 'allocated',
      offered: [token(1)],
    });
    expect(run.state.liveTaskOf.get('step')).toBe(task(2));
  });

  it('rule 9 re-offer: after a withdrawal, the competitor’s transition gets the token it is still owed', () => {
    const run = oneTokenInMid();
    run.send(completeWorkitem(workitem(3), 'y'));
    run.send(completeWorkitem(workitem(4), 'm1'));
    expect(run.state.tasks.get(task(5))?.offered).toEqual([token(5)]);
    run.send(completeWorkitem(workitem(5), 'm2'));
    expect(run.withEnded.tasks.get(task(6))).toMatchObject({
      state: 'abandoned',
      abandonReason: 'tokens_withdrawn',
    });
  });
});

describe('a case whose tokens reach end', () => {
  it('rule 10 finish: consumes the one free token in end by termination and finishes', () => {
    const run = startCase(oneStepNet('manual'));
    const events = run.send(completeWorkitem(workitem(1), 'done'));
    expect(events.slice(-3)).toMatchObject([
      { type: 'TokensIssued', data: { tokens: [{ id: token(2), placeId: 'end' }] } },
      { type: 'TokensConsumed', data: { taskId: TERMINATION, tokenIds: [token(2)] } },
      { type: 'CaseFinished', data: { caseId: 'c1', at: AT } },
    ]);
    expect(run.withEnded.tokens.get(token(2))).toMatchObject({
      state: 'consumed',
      consumedByTaskId: TERMINATION,
    });
  });

  it('rule 10 finish: does not finish while another token is free elsewhere', () => {
    const run = startCase(earlyEndNet());
    expect(run.state.tokens.get(token(2))).toMatchObject({ placeId: 'end', state: 'free' });
    expect(run.state.tokens.get(token(3))).toMatchObject({ placeId: 'p', state: 'free' });
    expect(run.state.status).toBe('active');
  });

  it('rule 10 finish: does not finish while another token is locked', () => {
    const run = startCase(earlyEndNet());
    expectStep(run, preexecuteTask(task(2)), [{ type: 'TokensLocked', data: { tokenIds: [token(3)] } }]);
    expect(run.state.status).toBe('active');
  });

  it('rule 10 finish: does not finish with two tokens in end, since the one in end must be the only one unconsumed', () => {
    const run = startCase(earlyEndNet());
    const events = run.send(completeWorkitem(workitem(2), 'late'));
    expect(events.map((e) => e.type)).not.toContain('CaseFinished');
    const inEnd = [...run.state.tokens.values()].filter((t) => t.placeId === 'end');
    expect(inEnd.map((t) => t.state)).toEqual(['free', 'free']);
    expect(run.state.status).toBe('active');
  });

  it('rule 10 finish: abandons any task still live (case_ended) — a history the engine never writes, as withdrawal ends competitors first', () => {
    const run = startCase(oneStepNet('manual'), { runExecutors: false });
    const forged: CaseEvent[] = [
      { type: 'TokensConsumed', data: { caseId: 'c1', taskId: 'elsewhere', tokenIds: [token(1)], at: AT } },
      {
        type: 'TokensIssued',
        data: {
          caseId: 'c1',
          tokens: [{ id: token(2), placeId: 'end', payload: null, producedByTaskId: 'elsewhere' }],
          at: AT,
        },
      },
    ];
    given([...run.history, ...forged])
      .when(updateWorkitem(workitem(1), 'started'))
      .then([
        { type: 'WorkitemUpdated', data: { workitemId: workitem(1), state: 'started' } },
        { type: 'WorkitemUpdated', data: { workitemId: workitem(1), state: 'abandoned' } },
        { type: 'TaskAbandoned', data: { taskId: task(1), reason: 'case_ended' } },
        { type: 'TokensConsumed', data: { taskId: TERMINATION, tokenIds: [token(2)] } },
        { type: 'CaseFinished' },
      ]);
  });
});

describe('several tokens in one place', () => {
  it('the live task fires once, a new task takes the token still free, and nothing is lost or duplicated', () => {
    const run = startCase(twoTokensNet());
    expect(run.state.tasks.get(task(4))?.offered).toEqual([token(4), token(5)]);

    run.send(completeWorkitem(workitem(4), 'm1'));
    expect(run.withEnded.tokens.get(token(4))?.consumedByTaskId).toBe(task(4));
    expect(run.state.tokens.get(token(5))?.state).toBe('free');
    expect(run.task('m1')).toMatchObject({ id: task(6), offered: [token(5)] });
    expect(run.task('m2')).toMatchObject({ id: task(5), offered: [token(5)] });

    run.send(completeWorkitem(workitem(5), 'm2'));
    run.runExecutors();
    expect(run.state.status).toBe('finished');

    const consumers = [...run.withEnded.tokens.values()].map((t) => [t.placeId, t.consumedByTaskId]);
    expect(consumers).toEqual([
      ['start', task(1)],
      ['p', task(2)],
      ['q', task(3)],
      ['mid', task(4)],
      ['mid', task(5)],
      ['u', task(7)],
      ['v', task(7)],
      ['end', TERMINATION],
    ]);
    const firings = [...run.withEnded.tasks.values()].map((t) => [t.transitionId, t.state]);
    expect(firings).toEqual([
      ['fork', 'completed'],
      ['x', 'completed'],
      ['y', 'completed'],
      ['m1', 'completed'],
      ['m2', 'completed'],
      ['m1', 'abandoned'],
      ['join', 'completed'],
    ]);
  });
});
