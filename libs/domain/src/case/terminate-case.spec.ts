import { describe, expect, it } from '@jest/globals';
import { approvalNet, sequentialNet } from '../net/fixtures.js';
import {
  abandonWorkitem,
  competingJoinNet,
  completeWorkitem,
  createCase,
  discardTokens,
  expectRefused,
  expectStep,
  forceAbandonTask,
  given,
  ids,
  preexecuteTask,
  receiveTokens,
  startCase,
  terminateCase,
  updateWorkitem,
} from '../testing/index.js';

const { task, workitem, token } = ids;

describe('TerminateCase on an active case', () => {
  it('rule 11 terminate: abandons every open workitem and live task (case_ended), then terminates the case', () => {
    const run = startCase(approvalNet());
    expectStep(run, terminateCase(), [
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
      { type: 'TaskAbandoned', data: { taskId: task(2), reason: 'case_ended' } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(3), taskId: task(3), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(3), reason: 'case_ended' } },
      { type: 'CaseTerminated', data: { caseId: 'c1' } },
    ]);
    expect(run.state.status).toBe('terminated');
    expect(run.state.liveTaskOf.size).toBe(0);
  });

  it('rule 11 terminate: leaves locked tokens locked and unlocks nothing', () => {
    const run = startCase(approvalNet());
    run.send(preexecuteTask(task(2)));
    const events = run.send(terminateCase());
    expect(events.map((e) => e.type)).not.toContain('TokensUnlocked');
    expect(run.state.tokens.get(token(2))).toMatchObject({ state: 'locked', lockedByTaskId: task(2) });
    expect(run.withEnded.tasks.get(task(2))).toMatchObject({ state: 'abandoned', locked: [token(2)] });
  });

  it('rule 11 terminate: abandons a started task that has no workitem yet', () => {
    const run = startCase(competingJoinNet());
    expect(run.state.tasks.get(task(3))).toMatchObject({
      transitionId: 'both',
      state: 'started',
      workitemIds: [],
    });
    expectStep(run, terminateCase(), [
      { type: 'WorkitemUpdated', data: { workitemId: workitem(2), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(2), reason: 'case_ended' } },
      { type: 'TaskAbandoned', data: { taskId: task(3), reason: 'case_ended' } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(3), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(4), reason: 'case_ended' } },
      { type: 'CaseTerminated' },
    ]);
  });

  it('rule 11 terminate: a completed workitem keeps its state', () => {
    const run = startCase(approvalNet());
    run.send(terminateCase());
    expect(run.withEnded.workitems.get(workitem(1))?.state).toBe('completed');
  });
});

describe('a terminated case', () => {
  const run = startCase(approvalNet());
  run.send(preexecuteTask(task(2)));
  run.send(terminateCase());

  it.each([
    ['TerminateCase', terminateCase()],
    ['PreexecuteTask', preexecuteTask(task(3))],
  ])('rule 11 terminate: nothing moves after — refuses %s with case_not_available', (_, command) => {
    expectRefused(run, command, { code: 'case_not_available' });
  });

  it.each([
    ['CompleteWorkitem', 'workitem_not_available', completeWorkitem(workitem(2), 'late')],
    ['AbandonWorkitem', 'workitem_not_available', abandonWorkitem(workitem(3))],
    ['UpdateWorkitem', 'workitem_not_available', updateWorkitem(workitem(3), 'started')],
    ['ForceAbandonTask', 'task_not_available', forceAbandonTask(task(2))],
    ['ReceiveTokens', 'task_not_available', receiveTokens(task(3), [token(2)])],
    ['DiscardTokens', 'task_not_available', discardTokens(task(3), [token(2)])],
  ])(
    'rule 11 terminate: nothing moves after — refuses %s of work the termination abandoned with %s',
    (_, code, command) => {
      expectRefused(run, command, { code });
    },
  );

  it('refuses CreateCase with already_exists', () => {
    expectRefused(run, createCase(approvalNet()), { code: 'already_exists' });
  });
});

describe('TerminateCase on a finished case', () => {
  it('refuses with case_not_available', () => {
    expectRefused(startCase(sequentialNet()), terminateCase(), { code: 'case_not_available' });
  });
});

describe('TerminateCase on a case that does not exist', () => {
  it('refuses with NotFoundError', () => {
    given([]).when(terminateCase()).thenFailsWith('NotFoundError');
  });
});
