import { describe, expect, it } from '@jest/globals';
import { isEnabled, netOf, splitOutputs } from './net.js';
import type { WorkflowDefinition } from './definition.js';

const sequential: WorkflowDefinition = {
  id: 'seq',
  name: 'seq',
  metadata: {},
  places: [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end' },
  ],
  transitions: [{ id: 'a', executor: 'auto', executorParams: {}, joinType: 'none', splitType: 'none' }],
  arcs: [
    { from: 'start', to: 'a' },
    { from: 'a', to: 'end' },
  ],
};

describe('a one-step net', () => {
  it('enables the step when its input place is offered', () => {
    const net = netOf(sequential);
    expect(isEnabled(net, 'a', (p) => p === 'start')).toBe(true);
    expect(isEnabled(net, 'a', () => false)).toBe(false);
    expect(splitOutputs(net, 'a')).toEqual(['end']);
  });
});
