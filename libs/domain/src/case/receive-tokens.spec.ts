import { describe, expect, it } from '@jest/globals';
import { approvalNet, parallelNet, trafficLightNet } from '../net/fixtures.js';
import {
  abandonWorkitem,
  competingJoinNet,
  completeWorkitem,
  expectRefused,
  expectStep,
  forceAbandonTask,
  given,
  ids,
  preexecuteTask,
  receiveTokens,
  startCase,
} from '../testing/index.js';
import type { CaseRun } from '../testing/index.js';

const { task, workitem, token } = ids;

/**
 * competingJoinNet where `take` (task-2) locked token-2 before the current `both` task (task-5) started:
 * task-5 was offered only token-4 (in q), not the locked token-2 (in p).
 */
function lockedBeforeTheTaskStarted(): CaseRun {
  const run = startCase(competingJoinNet());
  run.send(preexecuteTask(task(2)));
  run.send(forceAbandonTask(task(3)));
  run.send(completeWorkitem(workitem(3), 'slow done'));
  expect(run.state.tasks.get(task(5))).toMatchObject({
    transitionId: 'both',
    state: 'started',
    offered: [token(4)],
  });
  return run;
}

describe('ReceiveTokens of a token in an input place that the task was not offered', () => {
  it('records the offer, and the task allocates once its join is satisfied (rule 3)', () => {
    const run = lockedBeforeTheTaskStarted();
    expectStep(run, receiveTokens(task(5), [token(2), token(2)]), [
      { type: 'TokensReceived', data: { taskId: task(5), tokenIds: [token(2)] } },
      { type: 'TaskAllocated', data: { taskId: task(5), workitemId: workitem(4) } },
      { type: 'WorkitemCreated', data: { workitemId: workitem(4), taskId: task(5), transitionId: 'both' } },
    ]);
  });

  it('leaves the received token locked by its holder, so preexecute still answers tokens_not_available', () => {
    const run = lockedBeforeTheTaskStarted();
    run.send(receiveTokens(task(5), [token(2)]));
    expect(run.state.tokens.get(token(2))).toMatchObject({ state: 'locked', lockedByTaskId: task(2) });
    expectRefused(run, preexecuteTask(task(5)), { code: 'tokens_not_available' });
  });

  it('keeps the offer when the holder lets go: the unlocked token is not offered twice', () => {
    const run = lockedBeforeTheTaskStarted();
    run.send(receiveTokens(task(5), [token(2)]));
    const events = run.send(abandonWorkitem(workitem(2)));
    const offersToBoth = events.filter((e) => e.type === 'TokensReceived' && e.data.taskId === task(5));
    expect(offersToBoth).toEqual([]);
    expect(run.state.tasks.get(task(5))?.offered).toEqual([token(4), token(2)]);
  });
});

describe('ReceiveTokens of tokens already offered', () => {
  it('records nothing', () => {
    expectStep(startCase(approvalNet()), receiveTokens(task(3), [token(2)]), []);
  });
});

describe('ReceiveTokens of a token the task cannot take', () => {
  it('refuses a token outside the task’s input places with ValidationError validation_failed', () => {
    const run = startCase(parallelNet(), { runExecutors: false });
    run.send(completeWorkitem(workitem(1)));
    expect(run.state.tokens.get(token(3))).toMatchObject({ placeId: 'right', state: 'free' });
    expect(run.task('work-left').id).toBe(task(2));
    expectRefused(run, receiveTokens(task(2), [token(3)]), {
      code: 'validation_failed',
      name: 'ValidationError',
    });
    expect(() => run.send(receiveTokens(task(2), [token(3)]))).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ path: 'tokenIds' })] }),
    );
  });

  it('refuses a consumed token of an input place with tokens_not_available', () => {
    const run = startCase(trafficLightNet());
    const complete = (transitionId: string) => {
      run.send(completeWorkitem(run.workitem(transitionId).id, transitionId));
      run.runExecutors();
    };
    complete('y2r');
    complete('r2g');
    complete('g2y');
    expect(run.withEnded.tokens.get(token(2))).toMatchObject({ placeId: 'yellow', state: 'consumed' });
    expectRefused(run, receiveTokens(run.task('y2r').id, [token(2)]), { code: 'tokens_not_available' });
  });

  it('refuses an unknown token with NotFoundError', () => {
    expectRefused(startCase(approvalNet()), receiveTokens(task(2), [token(99)]), { name: 'NotFoundError' });
  });

  it('refuses an ended task with task_not_available', () => {
    expectRefused(startCase(approvalNet()), receiveTokens(task(1), [token(1)]), {
      code: 'task_not_available',
    });
  });

  it('refuses an unknown task with NotFoundError', () => {
    expectRefused(startCase(approvalNet()), receiveTokens(task(99), [token(2)]), { name: 'NotFoundError' });
  });

  it('refuses on a missing case with NotFoundError', () => {
    given([])
      .when(receiveTokens(task(1), [token(1)]))
      .thenFailsWith('NotFoundError');
  });
});
