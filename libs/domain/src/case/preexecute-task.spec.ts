import { describe, expect, it } from '@jest/globals';
import { approvalNet, sequentialNet } from '../net/fixtures.js';
import {
  abandonWorkitem,
  competingJoinNet,
  completeWorkitem,
  discardTokens,
  expectRefused,
  expectStep,
  given,
  ids,
  preexecuteTask,
  preexecuteWorkitem,
  startCase,
  terminateCase,
  twoTokensNet,
} from '../testing/index.js';
import { lockedTokensOf } from './decider.js';

const { task, workitem, token } = ids;

/** competingJoinNet once `slow` completed: `both` (task-3) allocated with token-2 (p) and token-4 (q). */
function joinReady() {
  const run = startCase(competingJoinNet());
  run.send(completeWorkitem(workitem(3), 'slow done'));
  expect(run.state.tasks.get(task(3))).toMatchObject({ state: 'allocated', offered: [token(2), token(4)] });
  return run;
}

describe('PreexecuteTask on an allocated task whose token is free', () => {
  it('rule 4 preexecute: locks the free token of its input place and the task becomes executing', () => {
    const run = startCase(approvalNet());
    expectStep(run, preexecuteTask(task(2)), [
      { type: 'TokensLocked', data: { caseId: 'c1', taskId: task(2), tokenIds: [token(2)] } },
    ]);
    expect(run.state.tasks.get(task(2))).toMatchObject({ state: 'executing', locked: [token(2)] });
    expect(run.state.tokens.get(token(2))).toMatchObject({ state: 'locked', lockedByTaskId: task(2) });
    expect(lockedTokensOf(run.state, task(2)).map((t) => t.id)).toEqual([token(2)]);
  });

  it('rule 4 preexecute: an and join locks one token from each input place at once', () => {
    const run = joinReady();
    expectStep(run, preexecuteTask(task(3)), [
      { type: 'TokensLocked', data: { taskId: task(3), tokenIds: [token(2), token(4)] } },
    ]);
  });
});

describe('PreexecuteTask on an and join one of whose tokens another task holds', () => {
  it('rule 4 preexecute: refuses with tokens_not_available and locks nothing (all or nothing)', () => {
    const run = joinReady();
    run.send(preexecuteTask(task(2)));
    expectRefused(run, preexecuteTask(task(3)), { code: 'tokens_not_available' });
    expect(run.state.tokens.get(token(4))?.state).toBe('free');
    expect(run.state.tasks.get(task(3))?.state).toBe('allocated');
  });
});

describe('PreexecuteTask on an allocated task left without a token in one input place', () => {
  it('rule 4 preexecute: refuses with task_not_enabled', () => {
    const run = joinReady();
    run.send(preexecuteTask(task(2)));
    run.send(discardTokens(task(3), [token(2)]));
    expect(run.state.tasks.get(task(3))).toMatchObject({ state: 'allocated', offered: [token(4)] });
    expectRefused(run, preexecuteTask(task(3)), { code: 'task_not_enabled' });
  });
});

describe('PreexecuteTask on a task offered several tokens of one place', () => {
  it('rule 4 preexecute: picks a token still free, not the first one it was offered', () => {
    const run = startCase(twoTokensNet());
    expect(run.state.tasks.get(task(4))?.offered).toEqual([token(4), token(5)]);
    expectStep(run, preexecuteTask(task(5)), [
      { type: 'TokensLocked', data: { taskId: task(5), tokenIds: [token(4)] } },
    ]);
    expectStep(run, preexecuteTask(task(4)), [
      { type: 'TokensLocked', data: { taskId: task(4), tokenIds: [token(5)] } },
    ]);
  });
});

describe('PreexecuteTask on an executing task', () => {
  it('rule 4 preexecute: answers with the tokens it already holds and records nothing', () => {
    const run = startCase(approvalNet());
    run.send(preexecuteTask(task(2)));
    expectStep(run, preexecuteTask(task(2)), []);
    expect(lockedTokensOf(run.state, task(2)).map((t) => t.id)).toEqual([token(2)]);
  });
});

describe('PreexecuteTask on a task that cannot lock', () => {
  it('rule 4 preexecute: refuses a started task (join not satisfied) with task_not_enabled', () => {
    const run = startCase(competingJoinNet());
    expect(run.state.tasks.get(task(3))?.state).toBe('started');
    expectRefused(run, preexecuteTask(task(3)), { code: 'task_not_enabled' });
  });

  it('refuses a completed task with task_not_enabled', () => {
    const run = startCase(approvalNet());
    expect(run.withEnded.tasks.get(task(1))?.state).toBe('completed');
    expectRefused(run, preexecuteTask(task(1)), { code: 'task_not_enabled' });
  });

  it('refuses an abandoned task with task_not_enabled', () => {
    const run = startCase(approvalNet());
    run.send(abandonWorkitem(workitem(2)));
    expect(run.withEnded.tasks.get(task(2))?.state).toBe('abandoned');
    expectRefused(run, preexecuteTask(task(2)), { code: 'task_not_enabled' });
  });

  it('refuses an unknown task with NotFoundError', () => {
    expectRefused(startCase(approvalNet()), preexecuteTask(task(99)), { name: 'NotFoundError' });
  });
});

describe('PreexecuteTask on a case that is not active', () => {
  it('refuses on a finished case with case_not_available', () => {
    expectRefused(startCase(sequentialNet()), preexecuteTask(task(2)), { code: 'case_not_available' });
  });

  it('refuses on a missing case with NotFoundError', () => {
    given([])
      .when(preexecuteTask(task(1)))
      .thenFailsWith('NotFoundError');
  });
});

describe('PreexecuteTask addressed by a workitem', () => {
  it('rule 4 preexecute: locks the tokens of the workitem’s task', () => {
    const run = startCase(approvalNet());
    expectStep(run, preexecuteWorkitem(workitem(2)), [
      { type: 'TokensLocked', data: { caseId: 'c1', taskId: task(2), tokenIds: [token(2)] } },
    ]);
    expect(run.state.tasks.get(task(2))).toMatchObject({ state: 'executing', locked: [token(2)] });
  });

  it('refuses a workitem that has ended, and its task with it, with task_not_enabled', () => {
    const run = startCase(approvalNet());
    expect(run.withEnded.workitems.get(workitem(1))?.state).toBe('completed');
    expectRefused(run, preexecuteWorkitem(workitem(1)), { code: 'task_not_enabled' });
  });

  it('refuses an ended workitem of a terminated case with case_not_available: it acts on the case’s tokens', () => {
    const run = startCase(approvalNet());
    run.send(terminateCase());
    expectRefused(run, preexecuteWorkitem(workitem(2)), { code: 'case_not_available' });
  });

  it('refuses a workitem the case never made with NotFoundError, whatever the state of the case', () => {
    const run = startCase(approvalNet());
    const notFound = { name: 'NotFoundError', entity: 'workitem' };
    expectRefused(run, preexecuteWorkitem(workitem(99)), notFound);
    run.send(terminateCase());
    expectRefused(run, preexecuteWorkitem(workitem(99)), notFound);
  });
});
