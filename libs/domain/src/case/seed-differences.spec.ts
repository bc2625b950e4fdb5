import { describe, expect, it } from '@jest/globals';
import { approvalNet } from '../net/fixtures.js';
import type { WorkflowInput } from '../net/normalize.js';
import { normalizeWorkflow } from '../net/normalize.js';
import { decideWorkflow, initialWorkflowState } from '../workflow/workflow.js';
import {
  AT,
  abandonWorkitem,
  competingJoinNet,
  completeWorkitem,
  createCase,
  earlyEndNet,
  expectRefused,
  expectStep,
  given,
  ids,
  preexecuteTask,
  replay,
  startCase,
  twoTokensNet,
  updateWorkitem,
} from '../testing/index.js';

const { task, workitem, token } = ids;

describe('unlocking works', () => {
  it('frees the tokens of a task abandoned after locking and offers them again, so the case goes on', () => {
    const run = startCase(approvalNet());
    run.send(preexecuteTask(task(2)));
    expectStep(run, abandonWorkitem(workitem(2)), [
      { type: 'WorkitemUpdated', data: { workitemId: workitem(2), state: 'abandoned' } },
      { type: 'TokensUnlocked', data: { taskId: task(2), tokenIds: [token(2)] } },
      { type: 'TaskAbandoned', data: { taskId: task(2), reason: 'workitems_abandoned' } },
      { type: 'TaskStarted', data: { taskId: task(4), transitionId: 'approve' } },
      { type: 'TokensReceived', data: { taskId: task(4), tokenIds: [token(2)] } },
      { type: 'TaskAllocated', data: { taskId: task(4), workitemId: workitem(4) } },
      { type: 'WorkitemCreated', data: { workitemId: workitem(4) } },
    ]);
    run.send(preexecuteTask(task(3)));
    run.send(completeWorkitem(workitem(3), 'rejected'));
    expect(run.state.status).toBe('finished');
  });
});

describe('completion without a prior preexecute', () => {
  it('locks first instead of being silently lost', () => {
    const run = startCase(approvalNet());
    const events = run.send(completeWorkitem(workitem(2), 'approved'));
    expect(events.slice(0, 3).map((e) => e.type)).toEqual([
      'TokensLocked',
      'WorkitemUpdated',
      'TokensConsumed',
    ]);
    expect(run.withEnded.workitems.get(workitem(2))).toMatchObject({
      state: 'completed',
      output: 'approved',
    });
    expect(run.state.status).toBe('finished');
  });
});

describe('a crash and a retry', () => {
  it('cannot issue a second genesis token: creating the case again is refused', () => {
    const run = startCase(approvalNet());
    expectRefused(run, createCase(approvalNet()), { code: 'already_exists' });
  });

  it('cannot duplicate workitems or their effects: an executor run twice changes nothing the second time', () => {
    const run = startCase(approvalNet(), { runExecutors: false });
    run.send(completeWorkitem(workitem(1)));
    expectRefused(run, completeWorkitem(workitem(1)), { code: 'workitem_not_available' });
    run.send(updateWorkitem(workitem(2), 'started'));
    expectStep(run, updateWorkitem(workitem(2), 'started'), []);
    expect(run.withEnded.workitems.size).toBe(3);
    expect([...run.withEnded.tasks.values()].map((t) => t.workitemIds.length)).toEqual([1, 1, 1]);
  });

  it('cannot lose updates: a command and everything it sets off are decided as one batch', () => {
    const run = startCase(approvalNet(), { runExecutors: false });
    const events = given(run.history)
      .when(completeWorkitem(workitem(1)))
      .events();
    expect(events.map((e) => e.type)).toEqual([
      'TokensLocked',
      'WorkitemUpdated',
      'TokensConsumed',
      'TaskCompleted',
      'TokensIssued',
      'TaskStarted',
      'TokensReceived',
      'TaskStarted',
      'TokensReceived',
      'TaskAllocated',
      'WorkitemCreated',
      'TaskAllocated',
      'WorkitemCreated',
    ]);
    expect(new Set(events.map((e) => e.data.at))).toEqual(new Set([AT]));
  });

  it('restores by replay, not by rereading rows: the replayed case equals the live one', () => {
    const run = startCase(approvalNet());
    run.send(preexecuteTask(task(2)));
    expect(replay(run.history)).toEqual(run.state);
  });
});

describe('withdrawal', () => {
  it('reaches every competing task, running or not', () => {
    const run = startCase(competingJoinNet());
    run.send(completeWorkitem(workitem(2), 'taken'));
    expect(run.withEnded.tasks.get(task(3))).toMatchObject({
      transitionId: 'both',
      state: 'abandoned',
      abandonReason: 'tokens_withdrawn',
    });

    const approval = startCase(approvalNet());
    approval.send(completeWorkitem(workitem(2), 'approved'));
    expect(approval.withEnded.tasks.get(task(3))).toMatchObject({
      state: 'abandoned',
      abandonReason: 'tokens_withdrawn',
    });
  });

  it('keeps a token offered to a busy task and offers it again later instead of dropping it', () => {
    const run = startCase(twoTokensNet(), { runExecutors: false });
    run.send(completeWorkitem(workitem(1)));
    run.send(completeWorkitem(workitem(2), 'x'));
    run.send(preexecuteTask(task(4)));
    expectStep(run, completeWorkitem(workitem(3), 'y'), [
      { type: 'TokensLocked' },
      { type: 'WorkitemUpdated' },
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued', data: { tokens: [{ id: token(5), placeId: 'mid' }] } },
      { type: 'TokensReceived', data: { taskId: task(4), tokenIds: [token(5)] } },
      { type: 'TokensReceived', data: { taskId: task(5), tokenIds: [token(5)] } },
    ]);
    expect(run.state.tasks.get(task(4))).toMatchObject({ state: 'executing', offered: [token(4), token(5)] });

    const events = run.send(completeWorkitem(workitem(4), 'm1'));
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'TokensReceived',
        data: expect.objectContaining({ taskId: task(6), tokenIds: [token(5)] }),
      }),
    );
    expect(run.state.tasks.get(task(6))).toMatchObject({ transitionId: 'm1', state: 'allocated' });
  });
});

describe('nets the engine cannot run', () => {
  const base: WorkflowInput = {
    id: 'broken',
    places: [{ id: 'start', type: 'start' }, { id: 'p' }, { id: 'q' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'a', executor: 'auto' },
      { id: 'b', executor: 'auto' },
    ],
    arcs: [
      { from: 'start', to: 'a' },
      { from: 'a', to: 'p' },
      { from: 'p', to: 'b' },
      { from: 'b', to: 'end' },
    ],
  };

  it.each([
    [
      'a none join with two input places',
      'none_join_inputs',
      { arcs: [...base.arcs, { from: 'q', to: 'b' }] },
    ],
    [
      'a none split with two output places',
      'none_split_outputs',
      { arcs: [...base.arcs, { from: 'a', to: 'q' }] },
    ],
    ['a node off every start–end path', 'not_on_path', {}],
  ] as const)('are refused when defined: %s', (_, rule, change) => {
    const definition = normalizeWorkflow({ ...base, ...change });
    expect(() =>
      decideWorkflow({ type: 'CreateWorkflow', data: { definition, at: AT } }, initialWorkflowState()),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_net',
        details: expect.arrayContaining([expect.objectContaining({ rule })]),
      }),
    );
  });
});

describe('the finish rule', () => {
  it('counts locked tokens too: a case with work still locked does not finish', () => {
    const run = startCase(earlyEndNet());
    expectStep(run, preexecuteTask(task(2)), [
      { type: 'TokensLocked', data: { taskId: task(2), tokenIds: [token(3)] } },
    ]);
    expect(run.state.tokens.get(token(2))).toMatchObject({ placeId: 'end', state: 'free' });
    expect(run.state.status).toBe('active');
  });
});
