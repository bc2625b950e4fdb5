import { describe, expect, it } from '@jest/globals';
import { approvalNet, parallelNet, sequentialNet } from '../net/fixtures.js';
import {
  abandonWorkitem,
  completeWorkitem,
  expectRefused,
  expectStep,
  given,
  ids,
  oneStepNet,
  preexecuteTask,
  startCase,
  updateWorkitem,
} from '../testing/index.js';
import type { CaseRun } from '../testing/index.js';
import { TERMINATION } from './events.js';

const { task, workitem, token } = ids;

/** oneStepNet (manual) with its workitem-1 still `created`. */
const created = (): CaseRun => startCase(oneStepNet('manual'), { runExecutors: false });

/** oneStepNet (manual) with its workitem-1 `started`. */
const started = (): CaseRun => {
  const run = startCase(oneStepNet('manual'));
  expect(run.state.workitems.get(workitem(1))?.state).toBe('started');
  return run;
};

const finishing = (output: unknown) => [
  { type: 'WorkitemUpdated', data: { workitemId: workitem(1), taskId: task(1), state: 'completed', output } },
  { type: 'TokensConsumed', data: { taskId: task(1), tokenIds: [token(1)] } },
  { type: 'TaskCompleted', data: { taskId: task(1), tokenPayload: { [workitem(1)]: output } } },
  {
    type: 'TokensIssued',
    data: {
      tokens: [
        { id: token(2), placeId: 'end', payload: { [workitem(1)]: output }, producedByTaskId: task(1) },
      ],
    },
  },
  { type: 'TokensConsumed', data: { taskId: TERMINATION, tokenIds: [token(2)] } },
  { type: 'CaseFinished' },
];

/** rule 9: the still free token goes to a new task of the same transition, which allocates a new workitem. */
const retry = [
  { type: 'TaskStarted', data: { taskId: task(2), transitionId: 'step' } },
  { type: 'TokensReceived', data: { taskId: task(2), tokenIds: [token(1)] } },
  { type: 'TaskAllocated', data: { taskId: task(2), workitemId: workitem(2) } },
  { type: 'WorkitemCreated', data: { workitemId: workitem(2), taskId: task(2), transitionId: 'step' } },
];

describe('a created workitem', () => {
  it('rule 5 update: becomes started, with nothing else recorded', () => {
    expectStep(created(), updateWorkitem(workitem(1), 'started'), [
      {
        type: 'WorkitemUpdated',
        data: { workitemId: workitem(1), taskId: task(1), state: 'started', output: null },
      },
    ]);
  });

  it('rule 5 update: completes directly (an executor that finishes at once), locking its tokens first', () => {
    expectStep(created(), completeWorkitem(workitem(1), 'done'), [
      { type: 'TokensLocked', data: { taskId: task(1), tokenIds: [token(1)] } },
      ...finishing('done'),
    ]);
  });

  it('rule 8 abandon: abandoned, its task is abandoned (workitems_abandoned) and rule 9 re-offers the token to a new task', () => {
    expectStep(created(), abandonWorkitem(workitem(1)), [
      {
        type: 'WorkitemUpdated',
        data: {
          workitemId: workitem(1),
          state: 'abandoned',
          output: null,
          transitionId: 'step',
          executor: 'manual',
        },
      },
      { type: 'TaskAbandoned', data: { taskId: task(1), reason: 'workitems_abandoned' } },
      ...retry,
    ]);
  });
});

describe('a started workitem whose task has not locked', () => {
  it('rule 5 update: a second started report is a no-op', () => {
    expectStep(started(), updateWorkitem(workitem(1), 'started'), []);
  });

  it('rule 5 update: completing locks the tokens first, then completes the task (rule 6)', () => {
    expectStep(started(), completeWorkitem(workitem(1), { by: 'ann' }), [
      { type: 'TokensLocked', data: { taskId: task(1), tokenIds: [token(1)] } },
      ...finishing({ by: 'ann' }),
    ]);
  });

  it('rule 5 update: UpdateWorkitem completed does the same as CompleteWorkitem, output null when absent', () => {
    expectStep(started(), updateWorkitem(workitem(1), 'completed'), [
      { type: 'TokensLocked', data: { taskId: task(1), tokenIds: [token(1)] } },
      ...finishing(null),
    ]);
  });

  it('rule 8 abandon: UpdateWorkitem abandoned abandons the task and retries it (rule 9)', () => {
    expectStep(started(), updateWorkitem(workitem(1), 'abandoned', 'ignored'), [
      {
        type: 'WorkitemUpdated',
        data: {
          workitemId: workitem(1),
          state: 'abandoned',
          output: null,
          transitionId: 'step',
          executor: 'manual',
        },
      },
      { type: 'TaskAbandoned', data: { taskId: task(1), reason: 'workitems_abandoned' } },
      ...retry,
    ]);
  });

  it('rule 5 update: completing fails with preexecute’s tokens_not_available when a competitor holds the token', () => {
    const run = startCase(approvalNet());
    run.send(preexecuteTask(task(2)));
    expectRefused(run, completeWorkitem(workitem(3), 'reject'), { code: 'tokens_not_available' });
    expect(run.state.workitems.get(workitem(3))?.state).toBe('started');
  });
});

describe('a started workitem whose task holds its locks', () => {
  const executing = (): CaseRun => {
    const run = started();
    run.send(preexecuteTask(task(1)));
    return run;
  };

  it('rule 6 complete: completing consumes the locked token without locking again', () => {
    expectStep(executing(), completeWorkitem(workitem(1), 'done'), finishing('done'));
  });

  it('rule 8 abandon: abandoning unlocks the task’s tokens, abandons it and rule 9 retries with the freed token', () => {
    const run = executing();
    expectStep(run, abandonWorkitem(workitem(1)), [
      { type: 'WorkitemUpdated', data: { workitemId: workitem(1), state: 'abandoned' } },
      { type: 'TokensUnlocked', data: { taskId: task(1), tokenIds: [token(1)] } },
      { type: 'TaskAbandoned', data: { taskId: task(1), reason: 'workitems_abandoned' } },
      ...retry,
    ]);
    expect(run.state.tokens.get(token(1))).toMatchObject({ state: 'free', lockedByTaskId: null });
    expect(run.withEnded.tasks.get(task(1))?.locked).toEqual([]);
  });
});

describe('completing the task', () => {
  it('rule 6 complete: the token payload is { [workitemId]: output } over its completed workitems', () => {
    const run = startCase(sequentialNet());
    expect(run.withEnded.tasks.get(task(1))?.tokenPayload).toEqual({ [workitem(1)]: 'a done' });
    expect(run.withEnded.tokens.get(token(2))).toMatchObject({
      placeId: 'middle',
      payload: { [workitem(1)]: 'a done' },
      producedByTaskId: task(1),
    });
  });

  it('rule 6 complete: the token payload comes from buildTokenPayload when the executor has one', () => {
    const run = startCase(sequentialNet(), {
      options: {
        buildTokenPayload: (transition, workitems) => ({
          from: transition.id,
          outputs: workitems.map((w) => w.output),
        }),
      },
    });
    expect(run.withEnded.tokens.get(token(2))?.payload).toEqual({ from: 'a', outputs: ['a done'] });
    expect(run.withEnded.tasks.get(task(2))?.tokenPayload).toEqual({ from: 'b', outputs: ['b done'] });
  });

  it('rule 6 complete: an and split issues one token into each output place, a none split one token', () => {
    const run = startCase(parallelNet());
    const producedBy = (taskId: string) =>
      [...run.withEnded.tokens.values()].filter((t) => t.producedByTaskId === taskId).map((t) => t.placeId);
    expect(producedBy(task(1))).toEqual(['left', 'right']);
    expect(producedBy(task(2))).toEqual(['left-done']);
  });
});

describe('an ended workitem', () => {
  const run = startCase(approvalNet());
  run.send(abandonWorkitem(workitem(2)));

  it.each([
    ['completed', workitem(1)],
    ['abandoned', workitem(2)],
  ])('rule 5 update: refuses every update of the %s workitem with workitem_not_available', (_, id) => {
    expectRefused(run, completeWorkitem(id, 'x'), { code: 'workitem_not_available' });
    expectRefused(run, abandonWorkitem(id), { code: 'workitem_not_available' });
    expectRefused(run, updateWorkitem(id, 'started'), { code: 'workitem_not_available' });
    expectRefused(run, updateWorkitem(id, 'completed', 'x'), { code: 'workitem_not_available' });
    expectRefused(run, updateWorkitem(id, 'abandoned'), { code: 'workitem_not_available' });
  });
});

describe('a workitem that does not exist', () => {
  it.each([
    ['CompleteWorkitem', completeWorkitem(workitem(99), 'x')],
    ['AbandonWorkitem', abandonWorkitem(workitem(99))],
    ['UpdateWorkitem', updateWorkitem(workitem(99), 'started')],
  ])('refuses %s with NotFoundError', (_, command) => {
    expectRefused(started(), command, { name: 'NotFoundError' });
  });
});

describe('a workitem of a case that is not active', () => {
  it('refuses a workitem of a finished case with workitem_not_available, as it has ended with its task', () => {
    expectRefused(startCase(sequentialNet()), completeWorkitem(workitem(2), 'x'), {
      code: 'workitem_not_available',
    });
  });

  it('refuses a workitem a finished case never made with NotFoundError', () => {
    expectRefused(startCase(sequentialNet()), completeWorkitem(workitem(99), 'x'), { name: 'NotFoundError' });
  });

  it('refuses on a missing case with NotFoundError', () => {
    given([])
      .when(abandonWorkitem(workitem(1)))
      .thenFailsWith('NotFoundError');
  });
});
