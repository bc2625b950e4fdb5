import { describe, expect, it } from '@jest/globals';
import { approvalNet } from '../net/fixtures.js';
import {
  abandonWorkitem,
  competingJoinNet,
  expectRefused,
  expectStep,
  forceAbandonTask,
  given,
  ids,
  preexecuteTask,
  startCase,
} from '../testing/index.js';

const { task, workitem, token } = ids;

/** rule 9: the token still free goes to a new approve task, which allocates a new workitem. */
const approveRetried = [
  { type: 'TaskStarted', data: { taskId: task(4), transitionId: 'approve' } },
  { type: 'TokensReceived', data: { taskId: task(4), tokenIds: [token(2)] } },
  { type: 'TaskAllocated', data: { taskId: task(4), workitemId: workitem(4) } },
  { type: 'WorkitemCreated', data: { workitemId: workitem(4), taskId: task(4), transitionId: 'approve' } },
];

describe('ForceAbandonTask on an allocated task', () => {
  it('rule 8 abandon: abandons its open workitem and the task (forced); rule 9 offers the token to a new task', () => {
    const run = startCase(approvalNet());
    expectStep(run, forceAbandonTask(task(2)), [
      {
        type: 'WorkitemUpdated',
        data: {
          workitemId: workitem(2),
          taskId: task(2),
          state: 'abandoned',
          output: null,
          transitionId: 'approve',
          executor: 'manual',
        },
      },
      { type: 'TaskAbandoned', data: { taskId: task(2), reason: 'forced' } },
      ...approveRetried,
    ]);
    expect(run.state.tasks.get(task(3))).toMatchObject({ state: 'allocated', offered: [token(2)] });
  });
});

describe('ForceAbandonTask on an executing task', () => {
  it('rule 8 abandon: unlocks its tokens, which rule 9 offers again', () => {
    const run = startCase(approvalNet());
    run.send(preexecuteTask(task(2)));
    expectStep(run, forceAbandonTask(task(2)), [
      { type: 'WorkitemUpdated', data: { workitemId: workitem(2), state: 'abandoned' } },
      { type: 'TokensUnlocked', data: { taskId: task(2), tokenIds: [token(2)] } },
      { type: 'TaskAbandoned', data: { taskId: task(2), reason: 'forced' } },
      ...approveRetried,
    ]);
    expect(run.state.tokens.get(token(2))).toMatchObject({ state: 'free', lockedByTaskId: null });
  });
});

describe('ForceAbandonTask on a started task', () => {
  it('rule 8 abandon: abandons the task, which has no workitem, and rule 9 starts a new one for its token', () => {
    const run = startCase(competingJoinNet());
    expectStep(run, forceAbandonTask(task(3)), [
      { type: 'TaskAbandoned', data: { taskId: task(3), reason: 'forced' } },
      { type: 'TaskStarted', data: { taskId: task(5), transitionId: 'both' } },
      { type: 'TokensReceived', data: { taskId: task(5), tokenIds: [token(2)] } },
    ]);
  });
});

describe('ForceAbandonTask on a task that is not live', () => {
  it('refuses a completed task with task_not_available', () => {
    expectRefused(startCase(approvalNet()), forceAbandonTask(task(1)), { code: 'task_not_available' });
  });

  it('refuses an abandoned task with task_not_available', () => {
    const run = startCase(approvalNet());
    run.send(abandonWorkitem(workitem(2)));
    expectRefused(run, forceAbandonTask(task(2)), { code: 'task_not_available' });
  });

  it('refuses an unknown task with NotFoundError', () => {
    expectRefused(startCase(approvalNet()), forceAbandonTask(task(99)), { name: 'NotFoundError' });
  });

  it('refuses on a missing case with NotFoundError', () => {
    given([])
      .when(forceAbandonTask(task(1)))
      .thenFailsWith('NotFoundError');
  });
});
