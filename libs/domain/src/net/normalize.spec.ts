import { describe, expect, it } from '@jest/globals';
import { approvalNet, parallelNet, sequentialNet, trafficLightNet } from './fixtures.js';
import { normalizeWorkflow } from './normalize.js';
import type { WorkflowInput } from './normalize.js';

const minimal: WorkflowInput = {
  id: 'minimal',
  places: [{ id: 'start', type: 'start' }, { id: 'middle' }, { id: 'end', type: 'end' }],
  transitions: [{ id: 'a', executor: 'manual' }],
  arcs: [
    { from: 'start', to: 'a' },
    { from: 'a', to: 'end' },
  ],
};

describe('normalizeWorkflow on a body that gives only what is required', () => {
  const definition = normalizeWorkflow(minimal);

  it('names the workflow after its id', () => {
    expect(definition.name).toBe('minimal');
  });

  it('gives it empty metadata', () => {
    expect(definition.metadata).toEqual({});
  });

  it('makes a place without a type normal', () => {
    expect(definition.places.map((p) => p.type)).toEqual(['start', 'normal', 'end']);
  });

  it('gives a transition none join, none split and empty executor params', () => {
    expect(definition.transitions).toEqual([
      { id: 'a', executor: 'manual', executorParams: {}, joinType: 'none', splitType: 'none' },
    ]);
  });

  it('leaves out the name of places and transitions that have none', () => {
    expect(definition.places.some((p) => 'name' in p)).toBe(false);
    expect(definition.transitions.some((t) => 'name' in t)).toBe(false);
  });

  it('leaves out timeouts, retry policies and the case timeout, so a stored definition stays as it was', () => {
    expect(definition.transitions.some((t) => 'timeouts' in t || 'retry' in t)).toBe(false);
    expect('caseTimeout' in definition).toBe(false);
  });
});

describe('normalizeWorkflow on a body that gives everything', () => {
  const input: WorkflowInput = {
    id: 'full',
    name: 'Full',
    places: [
      { id: 'start', type: 'start', name: 'Begin' },
      { id: 'end', type: 'end', name: 'Done' },
    ],
    transitions: [
      {
        id: 'a',
        name: 'Step A',
        executor: 'webhook',
        executorParams: { url: 'http://example.test/hook', timeoutMs: 5000 },
        joinType: 'and',
        splitType: 'and',
        timeouts: { scheduleToStart: 'PT1H', startToClose: 'PT10M', scheduleToClose: 'P1D' },
        retry: { initialInterval: 'PT2S', maximumAttempts: 5, nonRetryableErrorTypes: ['invalid_address'] },
      },
    ],
    arcs: [
      { from: 'start', to: 'a' },
      { from: 'a', to: 'end' },
    ],
    metadata: { owner: 'ops', tags: ['x'] },
    caseTimeout: 'P30D',
  };

  it('keeps every given value, a partial retry policy as partial as it was given', () => {
    expect(normalizeWorkflow(input)).toEqual(input);
  });

  it('keeps an empty name as given instead of using the id', () => {
    expect(normalizeWorkflow({ ...input, name: '' }).name).toBe('');
  });
});

describe('normalizeWorkflow on a body with fields it does not know', () => {
  const input = {
    id: 'extra',
    state: 'discarded',
    places: [
      { id: 'start', type: 'start', tokens: 3 },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 'a', executor: 'auto', priority: 1 }],
    arcs: [
      { from: 'start', to: 'a', weight: 2 },
      { from: 'a', to: 'end' },
    ],
  } as unknown as WorkflowInput;

  it('copies only the fields of a definition', () => {
    expect(normalizeWorkflow(input)).toEqual({
      id: 'extra',
      name: 'extra',
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
    });
  });

  it('copies only the known members of timeouts and retry policies, and none left undefined', () => {
    const timed = {
      ...input,
      transitions: [
        {
          id: 'a',
          executor: 'auto',
          timeouts: { scheduleToClose: 'P1D', startToClose: undefined, soon: 'PT1S' },
          retry: { maximumAttempts: 4, nonRetryableErrorTypes: undefined, jitter: true },
        },
      ],
    } as unknown as WorkflowInput;

    const [transition] = normalizeWorkflow(timed).transitions;

    expect(transition?.timeouts).toStrictEqual({ scheduleToClose: 'P1D' });
    expect(transition?.retry).toStrictEqual({ maximumAttempts: 4 });
  });

  it('leaves the input as it was', () => {
    const before = JSON.stringify(input);
    normalizeWorkflow(input);
    expect(JSON.stringify(input)).toBe(before);
  });
});

describe('normalizeWorkflow on a definition already normalized', () => {
  it.each([
    ['sequential', sequentialNet()],
    ['parallel', parallelNet()],
    ['approval', approvalNet()],
    ['traffic light', trafficLightNet()],
  ])('changes nothing in the %s net', (_name, definition) => {
    expect(normalizeWorkflow(definition)).toEqual(definition);
  });
});
