import { describe, expect, it } from '@jest/globals';
import type { WorkflowDefinition } from './definition.js';
import { indexNet } from './indexed-net.js';
import {
  joinKinds,
  joinTypes,
  placeTransitionJoin,
  placeTransitionSplit,
  splitKinds,
  splitTypes,
} from './kinds.js';
import type { JoinType, SplitType } from './kinds.js';
import { fireTransition } from './marking.js';
import { isEnabled, netOf, selectTokens, splitOutputs } from './net.js';
import { normalizeWorkflow } from './normalize.js';
import { validateNet } from './validate.js';
import { verifySoundness } from './verify.js';

const places = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

/**
 * `start → fork → i1..iN → t → o1..oM → merge → end`, with `t` of the given kinds (at `transitions[1]`)
 * and `fork` and `merge` read as place/transition steps.
 */
function fanNet(join: JoinType, inputs: number, split: SplitType, outputs: number): WorkflowDefinition {
  const ins = places('i', inputs);
  const outs = places('o', outputs);
  return normalizeWorkflow({
    id: `fan-${join}-${inputs}-${split}-${outputs}`,
    places: [
      { id: 'start', type: 'start' },
      ...[...ins, ...outs].map((id) => ({ id })),
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'fork', executor: 'auto', splitType: placeTransitionSplit(inputs) },
      { id: 't', executor: 'auto', joinType: join, splitType: split },
      { id: 'merge', executor: 'auto', joinType: placeTransitionJoin(outputs) },
    ],
    arcs: [
      { from: 'start', to: 'fork' },
      ...ins.flatMap((id) => [
        { from: 'fork', to: id },
        { from: id, to: 't' },
      ]),
      ...outs.flatMap((id) => [
        { from: 't', to: id },
        { from: id, to: 'merge' },
      ]),
      { from: 'merge', to: 'end' },
    ],
  });
}

/** Rows must name every kind of the table: a new kind cannot go untested. */
const covers = (rows: readonly (readonly unknown[])[], kinds: readonly string[]): void => {
  expect(new Set(rows.map((row) => row[0]))).toEqual(new Set(kinds));
};

describe('the join kinds', () => {
  it('are the contract values, the default first', () => {
    expect(joinTypes).toEqual(['none', 'and']);
  });

  const counts: [JoinType, number, string | undefined][] = [
    ['none', 0, 'transition t (none join) needs one input place, has 0'],
    ['none', 1, undefined],
    ['none', 2, 'transition t (none join) needs one input place, has 2'],
    ['and', 0, 'transition t (and join) has no input place'],
    ['and', 1, undefined],
    ['and', 3, undefined],
  ];

  it('each have rows below', () => covers(counts, joinTypes));

  it.each(counts)('a %s join with %i input places breaks its rule: %s', (join, inputs, message) => {
    const violations = validateNet(fanNet(join, inputs, 'none', 1)).filter(
      (v) => v.ids[0] === 't' && v.rule.endsWith('_join_inputs'),
    );
    const expected = message
      ? [{ rule: `${join}_join_inputs`, ids: ['t'], path: 'transitions[1]', message }]
      : [];
    expect(violations).toEqual(expected);
  });

  const enabling: [JoinType, number, string[], boolean][] = [
    ['none', 1, [], false],
    ['none', 1, ['i1'], true],
    ['and', 1, ['i1'], true],
    ['and', 3, ['i1', 'i3'], false],
    ['and', 3, ['i3', 'i1', 'i2'], true],
  ];

  it('each have enabling rows below', () => covers(enabling, joinTypes));

  it.each(enabling)(
    'a %s join with %i input places, offered %j, is enabled: %s',
    (join, inputs, offered, enabled) => {
      const definition = fanNet(join, inputs, 'none', 1);
      const net = netOf(definition);
      expect(isEnabled(net, 't', (placeId) => offered.includes(placeId))).toBe(enabled);
      const candidates = offered.map((placeId) => ({ placeId }));
      expect(selectTokens(net, 't', candidates)?.map((c) => c.placeId)).toEqual(
        enabled ? places('i', inputs) : undefined,
      );
      const marking = Object.fromEntries(offered.map((placeId) => [placeId, 1]));
      if (enabled) expect(fireTransition(definition, marking, 't')).toEqual({ o1: 1 });
      else expect(() => fireTransition(definition, marking, 't')).toThrow('is not enabled');
    },
  );
});

describe('the split kinds', () => {
  it('are the contract values, the default first', () => {
    expect(splitTypes).toEqual(['none', 'and']);
  });

  const splitViolations = (split: SplitType, outputs: number) =>
    validateNet(fanNet('none', 1, split, outputs)).filter(
      (v) => v.ids[0] === 't' && v.rule.endsWith('_split_outputs'),
    );
  const allowed: [SplitType, number][] = [
    ['none', 1],
    ['and', 1],
    ['and', 3],
  ];
  const refused: [SplitType, number, string][] = [
    ['none', 0, 'transition t (none split) needs one output place, has 0'],
    ['none', 2, 'transition t (none split) needs one output place, has 2'],
    ['and', 0, 'transition t (and split) has no output place'],
  ];

  it('each have rows below', () => covers([...allowed, ...refused], splitTypes));

  it.each(allowed)('a %s split may have %i output places', (split, outputs) => {
    expect(splitViolations(split, outputs)).toEqual([]);
  });

  it.each(refused)('a %s split with %i output places is refused: %s', (split, outputs, message) => {
    expect(splitViolations(split, outputs)).toEqual([
      { rule: `${split}_split_outputs`, ids: ['t'], path: 'transitions[1]', message },
    ]);
  });

  const firings: [SplitType, number, string[], string[][]][] = [
    ['none', 1, ['o1'], [['o1']]],
    ['and', 1, ['o1'], [['o1']]],
    ['and', 3, ['o1', 'o2', 'o3'], [['o1', 'o2', 'o3']]],
  ];

  it('each have firing rows below', () => covers(firings, splitTypes));

  it.each(firings)(
    'a %s split with %i output places marks %j, and the verifier fires it as %j',
    (split, outputs, marked, verified) => {
      const definition = fanNet('none', 1, split, outputs);
      expect(splitOutputs(netOf(definition), 't')).toEqual(marked);
      expect(fireTransition(definition, { i1: 1 }, 't')).toEqual(
        Object.fromEntries(marked.map((id) => [id, 1])),
      );
      const indexed = indexNet(definition);
      const ways = indexed.transitionIds.flatMap((id, t) =>
        id === 't' ? [indexed.outputs[t]!.map((p) => indexed.placeIds[p])] : [],
      );
      expect(ways).toEqual(verified);
      expect(splitKinds[split].firings(places('o', outputs))).toEqual(verified);
    },
  );

  it.each(splitTypes.filter((split) => splitKinds[split].decides === 'none'))(
    'a %s split marks the same places whatever route it is given',
    (split) => {
      const outputs = places('o', 2);
      expect(splitKinds[split].outputs(outputs, ['o2'])).toEqual(splitKinds[split].outputs(outputs));
    },
  );
});

describe('a kind outside the tables', () => {
  it("is held to the default kind's arc rule by validation, as only an untyped caller can pass one", () => {
    const definition = fanNet('none', 2, 'none', 2);
    const untyped = {
      ...definition,
      transitions: definition.transitions.map((t) =>
        t.id === 't' ? { ...t, joinType: 'nand' as JoinType, splitType: 'nor' as SplitType } : t,
      ),
    };
    expect(validateNet(untyped).map((v) => v.rule)).toEqual(['none_join_inputs', 'none_split_outputs']);
  });
});

describe('every pair of kinds', () => {
  const pairs = joinTypes.flatMap((join) => splitTypes.map((split) => [join, split] as const));

  it.each(pairs)('a %s join and a %s split, with the arcs they allow, make a sound net', (join, split) => {
    const inputs = joinKinds[join].inputArcs.max === 1 ? 1 : 2;
    const outputs = splitKinds[split].outputArcs.max === 1 ? 1 : 2;
    const definition = fanNet(join, inputs, split, outputs);
    expect(validateNet(definition)).toEqual([]);
    expect(verifySoundness(definition, { reduce: false }).sound).toBe(true);
    expect(verifySoundness(definition).sound).toBe(true);
  });
});

describe('a place/transition net read as a workflow net', () => {
  it.each<[number, JoinType, SplitType]>([
    [0, 'none', 'none'],
    [1, 'none', 'none'],
    [2, 'and', 'and'],
    [5, 'and', 'and'],
  ])('reads %i arcs as a %s join or a %s split', (arcs, join, split) => {
    expect(placeTransitionJoin(arcs)).toBe(join);
    expect(placeTransitionSplit(arcs)).toBe(split);
  });
});
