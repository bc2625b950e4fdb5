import { describe, expect, it } from '@jest/globals';
import type { WorkitemState } from '../case/events.js';
import type { Workitem } from '../case/state.js';
import { canMoveTo, hasEnded, isOpen } from './workitem.js';

const STATES: readonly WorkitemState[] = ['created', 'started', 'completed', 'abandoned'];

const ALLOWED = new Set([
  'created→started',
  'created→completed',
  'created→abandoned',
  'started→completed',
  'started→abandoned',
]);

const aWorkitem = (state: WorkitemState): Workitem => ({
  id: 'c1:workitem-1',
  taskId: 'c1:task-1',
  transitionId: 'a',
  executor: 'manual',
  state,
  output: null,
});

describe('canMoveTo', () => {
  it.each(STATES.flatMap((from) => STATES.map((to) => [from, to] as const)))(
    'rule 5 update: %s → %s is allowed only along created → started → completed and created|started → abandoned',
    (from, to) => {
      expect(canMoveTo(from, to)).toBe(ALLOWED.has(`${from}→${to}`));
    },
  );
});

describe('isOpen and hasEnded', () => {
  it.each([
    ['created', true],
    ['started', true],
    ['completed', false],
    ['abandoned', false],
  ] as const)('a %s workitem is open: %s', (state, open) => {
    expect(isOpen(aWorkitem(state))).toBe(open);
    expect(hasEnded(aWorkitem(state))).toBe(!open);
  });
});
