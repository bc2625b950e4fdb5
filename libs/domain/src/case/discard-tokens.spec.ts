import { describe, expect, it } from '@jest/globals';
import { approvalNet } from '../net/fixtures.js';
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
  startCase,
} from '../testing/index.js';
import type { CaseRun } from '../testing/index.js';

const { task, workitem, token } = ids;

/** approvalNet where approve (task-2) locked token-2, still offered to reject (task-3). */
function approveHoldsTheToken(): CaseRun {
  const run = startCase(approvalNet());
  run.send(preexecuteTask(task(2)));
  return run;
}

/** competingJoinNet where `both` (task-3) was offered token-2 and token-4, and `take` (task-2) locked token-2. */
function takeHoldsOneOfTwo(): CaseRun {
  const run = startCase(competingJoinNet());
  run.send(completeWorkitem(workitem(3), 'slow done'));
  run.send(preexecuteTask(task(2)));
  expect(run.state.tasks.get(task(3))).toMatchObject({ state: 'allocated', offered: [token(2), token(4)] });
  return run;
}

describe('DiscardTokens of a task’s only token, locked by another task', () => {
  it('gives the token up and abandons the task with its workitem (tokens_withdrawn)', () => {
    const run = approveHoldsTheToken();
    expectStep(run, discardTokens(task(3), [token(2)]), [
      { type: 'TokensDiscarded', data: { taskId: task(3), tokenIds: [token(2)] } },
      { type: 'WorkitemUpdated', data: { workitemId: workitem(3), state: 'abandoned' } },
      { type: 'TaskAbandoned', data: { taskId: task(3), reason: 'tokens_withdrawn' } },
    ]);
    expect(run.state.tokens.get(token(2))).toMatchObject({ state: 'locked', lockedByTaskId: task(2) });
  });

  it('leaves nothing to withdraw when the holder completes', () => {
    const run = approveHoldsTheToken();
    run.send(discardTokens(task(3), [token(2)]));
    const events = run.send(completeWorkitem(workitem(2), 'ok'));
    expect(events.map((e) => e.type)).not.toContain('TokensDiscarded');
    expect(run.state.status).toBe('finished');
  });
});

describe('DiscardTokens of one of several tokens', () => {
  it('gives the token up and leaves the task live', () => {
    const run = takeHoldsOneOfTwo();
    expectStep(run, discardTokens(task(3), [token(2)]), [
      { type: 'TokensDiscarded', data: { taskId: task(3), tokenIds: [token(2)] } },
    ]);
    expect(run.state.tasks.get(task(3))).toMatchObject({ state: 'allocated', offered: [token(4)] });
  });

  it('rule 2 offer: offers the token to the task again once its holder unlocks it', () => {
    const run = takeHoldsOneOfTwo();
    run.send(discardTokens(task(3), [token(2)]));
    const events = run.send(abandonWorkitem(workitem(2)));
    expect(events.filter((e) => e.type === 'TokensReceived')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ data: expect.objectContaining({ taskId: task(3), tokenIds: [token(2)] }) }),
      ]),
    );
    expect(run.state.tasks.get(task(3))?.offered).toEqual([token(4), token(2)]);
  });
});

describe('DiscardTokens of a token it may not give up', () => {
  it('refuses a free token with tokens_not_available: it stays offered by the offer rule', () => {
    expectRefused(startCase(approvalNet()), discardTokens(task(3), [token(2)]), {
      code: 'tokens_not_available',
    });
  });

  it('refuses a token the task itself holds with tokens_not_available', () => {
    expectRefused(approveHoldsTheToken(), discardTokens(task(2), [token(2)]), {
      code: 'tokens_not_available',
    });
  });

  it('refuses the whole command when one of its tokens may not be given up', () => {
    const run = takeHoldsOneOfTwo();
    expectRefused(run, discardTokens(task(3), [token(2), token(4)]), { code: 'tokens_not_available' });
    expect(run.state.tasks.get(task(3))?.offered).toEqual([token(2), token(4)]);
  });
});

describe('DiscardTokens of tokens the task was not offered', () => {
  it('records nothing, whether the token exists or not', () => {
    const run = approveHoldsTheToken();
    expectStep(run, discardTokens(task(3), [token(1)]), []);
    expectStep(run, discardTokens(task(3), [token(99)]), []);
  });
});

describe('DiscardTokens on a task that is not live', () => {
  it('refuses an ended task with task_not_available', () => {
    expectRefused(startCase(approvalNet()), discardTokens(task(1), [token(1)]), {
      code: 'task_not_available',
    });
  });

  it('refuses an unknown task with NotFoundError', () => {
    expectRefused(startCase(approvalNet()), discardTokens(task(99), [token(2)]), { name: 'NotFoundError' });
  });

  it('refuses on a missing case with NotFoundError', () => {
    given([])
      .when(discardTokens(task(1), [token(1)]))
      .thenFailsWith('NotFoundError');
  });
});
