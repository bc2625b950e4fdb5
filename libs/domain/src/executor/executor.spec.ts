import { describe, expect, it } from '@jest/globals';
import type { WorkitemState } from '../case/events.js';
import type { Workitem } from '../case/state.js';
import { defaultTokenPayload } from './executor.js';

const aWorkitem = (n: number, state: WorkitemState, output: Workitem['output'] = null): Workitem => ({
  id: `c1:workitem-${n}`,
  taskId: 'c1:task-1',
  transitionId: 'a',
  executor: 'auto',
  state,
  output,
});

describe('defaultTokenPayload', () => {
  it('rule 6 complete: maps each completed workitem id to its output', () => {
    expect(
      defaultTokenPayload([aWorkitem(1, 'completed', { by: 'ann' }), aWorkitem(2, 'completed', 'ok')]),
    ).toEqual({
      'c1:workitem-1': { by: 'ann' },
      'c1:workitem-2': 'ok',
    });
  });

  it('leaves out workitems that did not complete', () => {
    expect(
      defaultTokenPayload([
        aWorkitem(1, 'abandoned'),
        aWorkitem(2, 'completed', null),
        aWorkitem(3, 'started'),
      ]),
    ).toEqual({ 'c1:workitem-2': null });
  });

  it('is empty without workitems', () => {
    expect(defaultTokenPayload([])).toEqual({});
  });
});
