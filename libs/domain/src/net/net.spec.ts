import { describe, expect, it } from '@jest/globals';
import { isEnabled, netOf, selectTokens, splitOutputs } from './net.js';
import type { WorkflowDefinition } from './definition.js';
import { approvalNet, parallelNet, sequentialNet, trafficLightNet } from './fixtures.js';
import { normalizeWorkflow } from './normalize.js';

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

/** A none split with two output places: invalid, but the index must still answer for it. */
const forkedNoneSplit = (): WorkflowDefinition =>
  normalizeWorkflow({
    id: 'forked',
    places: [{ id: 'start', type: 'start' }, { id: 'p' }, { id: 'q' }, { id: 'end', type: 'end' }],
    transitions: [{ id: 'fork', executor: 'auto' }],
    arcs: [
      { from: 'start', to: 'fork' },
      { from: 'fork', to: 'p' },
      { from: 'fork', to: 'q' },
    ],
  });

const nets = {
  sequential: sequentialNet(),
  parallel: parallelNet(),
  approval: approvalNet(),
  trafficLight: trafficLightNet(),
  forked: forkedNoneSplit(),
};
type NetName = keyof typeof nets;
const net = (name: NetName) => netOf(nets[name]);

describe('netOf', () => {
  it('builds the index once per definition object', () => {
    const definition = sequentialNet();
    expect(netOf(definition)).toBe(netOf(definition));
    expect(netOf(definition)).not.toBe(netOf(sequentialNet()));
  });

  it.each<[NetName, string, string]>([
    ['sequential', 'start', 'end'],
    ['trafficLight', 'start', 'end'],
  ])('finds the start and end places of the %s net', (name, start, end) => {
    expect(net(name).startPlaceId).toBe(start);
    expect(net(name).endPlaceId).toBe(end);
  });

  it('refuses a definition without a start place', () => {
    const definition = { ...sequentialNet(), places: [{ id: 'end', type: 'end' as const }] };
    expect(() => netOf(definition)).toThrow('workflow sequential has no start place');
  });

  it('leaves an arc between two places out of every query', () => {
    const definition = {
      ...sequentialNet(),
      arcs: [...sequentialNet().arcs, { from: 'start', to: 'middle' }],
    };
    expect(netOf(definition).consumers('start')).toEqual(['a']);
    expect(netOf(definition).outputPlaces('start')).toEqual([]);
    expect(netOf(definition).inputPlaces('middle')).toEqual([]);
  });

  it('answers a transition by id and refuses an unknown one', () => {
    expect(net('parallel').transition('join').joinType).toBe('and');
    expect(() => net('parallel').transition('nope')).toThrow('workflow parallel has no transition nope');
  });
});

describe('inputPlaces', () => {
  it.each<[NetName, string, string[]]>([
    ['sequential', 'a', ['start']],
    ['sequential', 'b', ['middle']],
    ['parallel', 'split', ['start']],
    ['parallel', 'join', ['left-done', 'right-done']],
    ['trafficLight', 'will-end', ['red']],
    ['trafficLight', 'nope', []],
  ])('of %s transition %s are %j', (name, transitionId, expected) => {
    expect(net(name).inputPlaces(transitionId)).toEqual(expected);
  });
});

describe('outputPlaces', () => {
  it.each<[NetName, string, string[]]>([
    ['sequential', 'a', ['middle']],
    ['parallel', 'split', ['left', 'right']],
    ['parallel', 'join', ['end']],
    ['trafficLight', 'g2y', ['yellow']],
    ['forked', 'fork', ['p', 'q']],
    ['forked', 'nope', []],
  ])('of %s transition %s are %j', (name, transitionId, expected) => {
    expect(net(name).outputPlaces(transitionId)).toEqual(expected);
  });
});

describe('consumers', () => {
  it.each<[NetName, string, string[]]>([
    ['sequential', 'middle', ['b']],
    ['approval', 'submitted', ['approve', 'reject']],
    ['trafficLight', 'red', ['r2g', 'will-end']],
    ['trafficLight', 'yellow', ['y2r']],
    ['approval', 'end', []],
    ['approval', 'nope', []],
  ])('of %s place %s are %j', (name, placeId, expected) => {
    expect(net(name).consumers(placeId)).toEqual(expected);
  });
});

describe('isEnabled', () => {
  it.each<[NetName, string, string[], boolean]>([
    ['sequential', 'b', ['middle'], true],
    ['sequential', 'b', ['start'], false],
    ['sequential', 'b', [], false],
    ['parallel', 'join', ['left-done', 'right-done'], true],
    ['parallel', 'join', ['left-done'], false],
    ['parallel', 'join', ['right-done'], false],
    ['parallel', 'join', ['left-done', 'right-done', 'left'], true],
    ['approval', 'approve', ['submitted'], true],
    ['approval', 'reject', ['submitted'], true],
    ['parallel', 'nope', ['start', 'left', 'right', 'left-done', 'right-done'], false],
  ])('in %s, %s with places %j offered: %s', (name, transitionId, offered, expected) => {
    expect(isEnabled(net(name), transitionId, (placeId) => offered.includes(placeId))).toBe(expected);
  });
});

describe('splitOutputs', () => {
  it.each<[NetName, string, string[]]>([
    ['sequential', 'a', ['middle']],
    ['parallel', 'split', ['left', 'right']],
    ['parallel', 'work-left', ['left-done']],
    ['trafficLight', 'will-end', ['end']],
    ['forked', 'fork', ['p']],
  ])('of %s transition %s are %j', (name, transitionId, expected) => {
    expect(splitOutputs(net(name), transitionId)).toEqual(expected);
  });
});

describe('selectTokens', () => {
  const token = (id: string, placeId: string) => ({ id, placeId });

  it.each<[NetName, string, { id: string; placeId: string }[], string[] | undefined]>([
    ['sequential', 'b', [token('t1', 'middle')], ['t1']],
    ['sequential', 'b', [token('t1', 'middle'), token('t2', 'middle')], ['t1']],
    ['sequential', 'b', [token('t1', 'start')], undefined],
    ['sequential', 'b', [], undefined],
    ['parallel', 'join', [token('r', 'right-done'), token('l', 'left-done')], ['l', 'r']],
    ['parallel', 'join', [token('l', 'left-done'), token('x', 'left'), token('r', 'right-done')], ['l', 'r']],
    ['parallel', 'join', [token('l1', 'left-done'), token('l2', 'left-done')], undefined],
  ])('in %s, for %s from %j picks %j', (name, transitionId, candidates, expected) => {
    const selected = selectTokens(net(name), transitionId, candidates);
    expect(selected?.map((t) => t.id)).toEqual(expected);
  });

  it('hands back the candidates themselves, extra fields included', () => {
    const candidate = { id: 't1', placeId: 'middle', payload: { n: 1 } };
    expect(selectTokens(net('sequential'), 'b', [candidate])?.[0]).toBe(candidate);
  });
});
