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
import {
  enabledFirings,
  fireTransition,
  firingName,
  isHiddenPlace,
  transitionOfFiring,
  visibleMarking,
} from './marking.js';
import { isEnabled, netOf, selectTokens, splitOutputs } from './net.js';
import type { ArcInput, TransitionInput } from './normalize.js';
import { normalizeWorkflow } from './normalize.js';
import { validateNet } from './validate.js';
import { verifySoundness } from './verify.js';

const places = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

/**
 * The output arcs of a transition of the given split to `places`: a split that decides has a condition on
 * each arc but the last, which is its default.
 */
function outputArcs(from: string, split: SplitType, places: readonly string[]): ArcInput[] {
  if (splitKinds[split].decides === 'none') return places.map((to) => ({ from, to }));
  return places.map((to, i) =>
    i === places.length - 1 ? { from, to, default: true } : { from, to, condition: `case.${to} == true` },
  );
}

/**
 * `start → fork → i1..iN → t → o1..oM → merge → end`, with `t` of the given kinds (at `transitions[1]`),
 * `fork` and `merge` of the kinds that open and close what `t` needs: `fork` is the or split an or join
 * closes, else a place/transition step; `merge` is the or join of an or split, one step per route of an
 * xor split (`merge-o1`, …), else a place/transition step.
 */
function fanNet(join: JoinType, inputs: number, split: SplitType, outputs: number): WorkflowDefinition {
  const ins = places('i', inputs);
  const outs = places('o', outputs);
  const forkSplit: SplitType = joinKinds[join].pairedWithSplit ? 'or' : placeTransitionSplit(inputs);
  const mergeOf = (o: string): string => (splitKinds[split].decides === 'first' ? `merge-${o}` : 'merge');
  const merges: TransitionInput[] =
    splitKinds[split].decides === 'first'
      ? outs.map((o) => ({ id: mergeOf(o), executor: 'auto' }))
      : splitKinds[split].decides === 'every'
        ? [{ id: 'merge', executor: 'auto', joinType: 'or', orJoin: { split: 't' } }]
        : [{ id: 'merge', executor: 'auto', joinType: placeTransitionJoin(outputs) }];
  return normalizeWorkflow({
    id: `fan-${join}-${inputs}-${split}-${outputs}`,
    places: [
      { id: 'start', type: 'start' },
      ...[...ins, ...outs].map((id) => ({ id })),
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'fork', executor: 'auto', splitType: forkSplit },
      {
        id: 't',
        executor: 'auto',
        joinType: join,
        splitType: split,
        ...(joinKinds[join].pairedWithSplit && { orJoin: { split: 'fork' } }),
      },
      ...merges,
    ],
    arcs: [
      { from: 'start', to: 'fork' },
      ...outputArcs('fork', forkSplit, ins),
      ...ins.map((id) => ({ from: id, to: 't' })),
      ...outputArcs('t', split, outs),
      ...outs.map((id) => ({ from: id, to: mergeOf(id) })),
      ...merges.map(({ id }) => ({ from: id, to: 'end' })),
    ],
  });
}

/** Rows must name every kind of the table: a new kind cannot go untested. */
const covers = (rows: readonly (readonly unknown[])[], kinds: readonly string[]): void => {
  expect(new Set(rows.map((row) => row[0]))).toEqual(new Set(kinds));
};

describe('the join kinds', () => {
  it('are the contract values, the default first', () => {
    expect(joinTypes).toEqual(['none', 'and', 'or']);
  });

  const counts: [JoinType, number, string | undefined][] = [
    ['none', 0, 'transition t (none join) needs one input place, has 0'],
    ['none', 1, undefined],
    ['none', 2, 'transition t (none join) needs one input place, has 2'],
    ['and', 0, 'transition t (and join) has no input place'],
    ['and', 1, undefined],
    ['and', 3, undefined],
    ['or', 0, 'transition t (or join) needs 1 to 6 input places, has 0'],
    ['or', 1, undefined],
    ['or', 6, undefined],
    ['or', 7, 'transition t (or join) needs 1 to 6 input places, has 7'],
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
  const orEnabling: [JoinType, number, string[], string[], string[]][] = [
    ['or', 2, ['i1', 'i2'], [], []],
    ['or', 2, ['i1'], ['i1'], ['t#i1']],
    ['or', 2, ['i1', 'i2'], ['i1'], ['t#i1']],
    ['or', 2, ['i1'], ['i1', 'i2'], []],
    ['or', 2, ['i2', 'i1'], ['i1', 'i2'], ['t#i1+t#i2']],
    ['or', 3, ['i1', 'i2', 'i3'], ['i1', 'i3'], ['t#i1+t#i3']],
  ];

  it('each have enabling rows below', () => covers([...enabling, ...orEnabling], joinTypes));

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

  it.each(orEnabling)(
    'a %s join with %i input places, offered %j and the control token of route %j, fires as %j',
    (join, inputs, offered, route, firings) => {
      const definition = fanNet(join, inputs, 'none', 1);
      const control = route.length > 0 ? [`fork#t(${route.join('+')})`] : [];
      const marking = Object.fromEntries([...offered, ...control].map((placeId) => [placeId, 1]));
      expect(enabledFirings(definition, marking).filter((f) => transitionOfFiring(f) === 't')).toEqual(
        firings,
      );
      for (const firing of firings) {
        const left = offered.filter((placeId) => !route.includes(placeId));
        expect(fireTransition(definition, marking, firing)).toEqual(
          Object.fromEntries([...left.sort(), 'o1'].map((placeId) => [placeId, 1])),
        );
      }
      if (firings.length === 0 && route.length > 0) {
        expect(() => fireTransition(definition, marking, firingName('t', route))).toThrow('is not enabled');
      }
    },
  );

  it("an or join fires as the verifier indexes it: one way per route of its split, each taking that route's control token", () => {
    const indexed = indexNet(fanNet('or', 2, 'none', 1));
    const ways = indexed.transitionIds.flatMap((id, t) =>
      id === 't'
        ? [{ name: indexed.firingNames[t], inputs: indexed.inputs[t]!.map((p) => indexed.placeIds[p]) }]
        : [],
    );
    expect(ways).toEqual([
      { name: 't#i1', inputs: ['i1', 'fork#t(i1)'] },
      { name: 't#i2', inputs: ['i2', 'fork#t(i2)'] },
      { name: 't#i1+t#i2', inputs: ['i1', 'i2', 'fork#t(i1+i2)'] },
    ]);
  });
});

describe('the split kinds', () => {
  it('are the contract values, the default first', () => {
    expect(splitTypes).toEqual(['none', 'and', 'xor', 'or']);
  });

  const splitViolations = (split: SplitType, outputs: number) =>
    validateNet(fanNet('none', 1, split, outputs)).filter(
      (v) => v.ids[0] === 't' && v.rule.endsWith('_split_outputs'),
    );
  const allowed: [SplitType, number][] = [
    ['none', 1],
    ['and', 1],
    ['and', 3],
    ['xor', 1],
    ['xor', 3],
    ['or', 1],
    ['or', 6],
  ];
  const refused: [SplitType, number, string][] = [
    ['none', 0, 'transition t (none split) needs one output place, has 0'],
    ['none', 2, 'transition t (none split) needs one output place, has 2'],
    ['and', 0, 'transition t (and split) has no output place'],
    ['xor', 0, 'transition t (xor split) has no output place'],
    ['or', 0, 'transition t (or split) needs 1 to 6 output places, has 0'],
    ['or', 7, 'transition t (or split) needs 1 to 6 output places, has 7'],
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

  /** The route a firing takes (none for a split that decides nothing), and the places it marks then. */
  const firings: [SplitType, number, string[] | undefined, string[], string[][]][] = [
    ['none', 1, undefined, ['o1'], [['o1']]],
    ['and', 1, undefined, ['o1'], [['o1']]],
    ['and', 3, undefined, ['o1', 'o2', 'o3'], [['o1', 'o2', 'o3']]],
    ['xor', 1, ['o1'], ['o1'], [['o1']]],
    ['xor', 3, ['o2'], ['o2'], [['o1'], ['o2'], ['o3']]],
    ['or', 1, ['o1'], ['o1'], [['o1']]],
    ['or', 2, ['o2'], ['o2'], [['o1'], ['o2'], ['o1', 'o2']]],
    [
      'or',
      3,
      ['o1', 'o3'],
      ['o1', 'o3'],
      [['o1'], ['o2'], ['o1', 'o2'], ['o3'], ['o1', 'o3'], ['o2', 'o3'], ['o1', 'o2', 'o3']],
    ],
  ];

  it('each have firing rows below', () => covers(firings, splitTypes));

  it.each(firings)(
    'a %s split with %i output places, taking route %j, marks %j, and the verifier fires it as %j',
    (split, outputs, route, marked, verified) => {
      const definition = fanNet('none', 1, split, outputs);
      expect(splitOutputs(netOf(definition), 't', route)).toEqual(marked);
      const reached = fireTransition(definition, { i1: 1 }, firingName('t', route ?? []));
      expect(visibleMarking(reached)).toEqual(Object.fromEntries(marked.map((id) => [id, 1])));
      const indexed = indexNet(definition);
      const ways = indexed.transitionIds.flatMap((id, t) =>
        id === 't'
          ? [indexed.outputs[t]!.map((p) => indexed.placeIds[p]!).filter((p) => !isHiddenPlace(p))]
          : [],
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

  it.each(splitTypes.filter((split) => splitKinds[split].decides !== 'none'))(
    'a %s split marks the route it is given, and fires by name only along a route',
    (split) => {
      const definition = fanNet('none', 1, split, 2);
      expect(splitKinds[split].outputs(places('o', 2), ['o2'])).toEqual(['o2']);
      expect(() => fireTransition(definition, { i1: 1 }, 't')).toThrow(
        'is no way transition t fires (it fires as t#o1, t#o2',
      );
      expect(() => fireTransition(definition, { i1: 1 }, 't#end')).toThrow('is no way transition t fires');
    },
  );

  it('an or split paired with a join issues the control token of the route it took', () => {
    const definition = fanNet('none', 1, 'or', 2);
    expect(fireTransition(definition, { i1: 1 }, 't#o2+t#o1')).toEqual({
      o1: 1,
      o2: 1,
      't#merge(o1+o2)': 1,
    });
  });
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
    expect(verifySoundness(definition, { reduce: false })).toMatchObject({ sound: true, warnings: [] });
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
