import { describe, expect, it } from '@jest/globals';
import type { Task, Token, Workitem } from '../case/state.js';
import type { TaskState, TokenState, WorkitemState } from '../case/events.js';
import { parallelNet } from '../net/fixtures.js';
import { netOf } from '../net/net.js';
import { canAllocate, isLive, selectTokensToLock, settledOutcome } from './task.js';

const net = netOf(parallelNet());

const aTask = (change: Partial<Task> = {}): Task => ({
  id: 'c1:task-1',
  transitionId: 'join',
  state: 'allocated',
  offered: [],
  locked: [],
  workitemIds: [],
  tokenPayload: null,
  abandonReason: null,
  ...change,
});

const aToken = (id: string, placeId: string, state: TokenState = 'free'): Token => ({
  id,
  placeId,
  state,
  payload: null,
  producedByTaskId: 'genesis',
  lockedByTaskId: state === 'free' ? null : 'c1:task-9',
  consumedByTaskId: state === 'consumed' ? 'c1:task-9' : null,
});

const tokensOf = (...tokens: Token[]) => {
  const byId = new Map(tokens.map((t) => [t.id, t]));
  return (id: string): Token => byId.get(id)!;
};

const aWorkitem = (state: WorkitemState): Workitem => ({
  id: `c1:workitem-${state}`,
  taskId: 'c1:task-1',
  transitionId: 'join',
  executor: 'auto',
  state,
  output: null,
});

describe('isLive', () => {
  it.each([
    ['started', true],
    ['allocated', true],
    ['executing', true],
    ['completed', false],
    ['abandoned', false],
  ] as const)('a %s task is live: %s', (state: TaskState, live) => {
    expect(isLive(aTask({ state }))).toBe(live);
  });
});

describe('canAllocate', () => {
  const tokenOf = tokensOf(
    aToken('l', 'left-done'),
    aToken('r', 'right-done', 'locked'),
    aToken('x', 'left'),
  );

  it.each([
    ['a started and join offered every input place', { state: 'started', offered: ['l', 'r'] }, true],
    ['a started and join offered one of two input places', { state: 'started', offered: ['l'] }, false],
    ['a started task offered nothing', { state: 'started', offered: [] }, false],
    [
      'a started none join offered its input place',
      { transitionId: 'work-left', state: 'started', offered: ['x'] },
      true,
    ],
    ['an allocated task, whatever it is offered', { state: 'allocated', offered: ['l', 'r'] }, false],
  ] as const)('rule 3 allocate: %s → %s', (_, change, expected) => {
    expect(canAllocate(net, aTask({ ...change, offered: [...change.offered] }), tokenOf)).toBe(expected);
  });
});

describe('selectTokensToLock', () => {
  it.each(['started', 'executing', 'completed', 'abandoned'] as const)(
    'rule 4 preexecute: a %s task is not enabled',
    (state) => {
      expect(selectTokensToLock(net, aTask({ state }), tokensOf())).toMatchObject({
        ok: false,
        code: 'task_not_enabled',
      });
    },
  );

  it('rule 4 preexecute: an allocated task missing an input place is not enabled', () => {
    const selection = selectTokensToLock(net, aTask({ offered: ['l'] }), tokensOf(aToken('l', 'left-done')));
    expect(selection).toMatchObject({ ok: false, code: 'task_not_enabled' });
    expect(selection.ok ? '' : selection.message).toContain('right-done');
  });

  it.each(['locked', 'consumed'] as const)(
    'rule 4 preexecute: an input place whose offered tokens are all %s makes the tokens not available',
    (state) => {
      const tokenOf = tokensOf(aToken('l', 'left-done'), aToken('r', 'right-done', state));
      expect(selectTokensToLock(net, aTask({ offered: ['l', 'r'] }), tokenOf)).toMatchObject({
        ok: false,
        code: 'tokens_not_available',
      });
    },
  );

  it('rule 4 preexecute: takes one free token per input place, in input order, skipping taken ones', () => {
    const tokenOf = tokensOf(
      aToken('r1', 'right-done'),
      aToken('l1', 'left-done', 'locked'),
      aToken('l2', 'left-done'),
      aToken('l3', 'left-done'),
    );
    expect(selectTokensToLock(net, aTask({ offered: ['r1', 'l1', 'l2', 'l3'] }), tokenOf)).toEqual({
      ok: true,
      tokenIds: ['l2', 'r1'],
    });
  });
});

describe('settledOutcome', () => {
  it.each([
    ['no workitem', 'executing', [], 'wait'],
    ['an open workitem', 'executing', ['started'], 'wait'],
    ['a created workitem', 'allocated', ['created'], 'wait'],
    ['a completed workitem', 'executing', ['completed'], 'complete'],
    ['a completed and an abandoned workitem', 'executing', ['completed', 'abandoned'], 'complete'],
    ['a completed and an open workitem', 'executing', ['completed', 'started'], 'wait'],
    ['a completed workitem but no locks', 'allocated', ['completed'], 'wait'],
    ['only abandoned workitems', 'allocated', ['abandoned', 'abandoned'], 'abandon'],
    ['only abandoned workitems, holding locks', 'executing', ['abandoned'], 'abandon'],
  ] as const)(
    'rule 6 complete / rule 8 abandon: a task with %s (%s) → %s',
    (_, state, workitems, outcome) => {
      expect(settledOutcome(aTask({ state }), workitems.map(aWorkitem))).toBe(outcome);
    },
  );
});
