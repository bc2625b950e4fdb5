import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ValidationError } from '../core/errors.js';
import type { WorkflowDefinition } from './definition.js';
import { approvalNet, parallelNet, sequentialNet, trafficLightNet } from './fixtures.js';
import { normalizeWorkflow } from './normalize.js';
import type { PlaceInput, TransitionInput } from './normalize.js';
import { assertValidNet, validateNet } from './validate.js';
import type { NetRule, NetViolation } from './validate.js';

/** `sequentialNet()` (start → a → middle → b → end) changed by `change`. */
function sequentialWith(change: {
  id?: string;
  places?: (places: readonly PlaceInput[]) => PlaceInput[];
  transitions?: (transitions: readonly TransitionInput[]) => TransitionInput[];
  arcs?: readonly [string, string][];
  renames?: Readonly<Record<string, string>>;
}): WorkflowDefinition {
  const base = sequentialNet();
  const rename = (id: string): string => change.renames?.[id] ?? id;
  return normalizeWorkflow({
    id: change.id ?? base.id,
    places: (change.places ?? ((p) => [...p]))(base.places).map((p) => ({ ...p, id: rename(p.id) })),
    transitions: (change.transitions ?? ((t) => [...t]))(base.transitions).map((t) => ({
      ...t,
      id: rename(t.id),
    })),
    arcs: [
      ...base.arcs.map(({ from, to }) => ({ from: rename(from), to: rename(to) })),
      ...(change.arcs ?? []).map(([from, to]) => ({ from, to })),
    ],
  });
}

const step = (id: string, more: Partial<TransitionInput> = {}): TransitionInput => ({
  id,
  executor: 'auto',
  ...more,
});

const found = (violations: readonly NetViolation[], rule: NetRule) =>
  violations.filter((v) => v.rule === rule).map(({ ids, path }) => ({ ids, path }));

describe('validateNet on the example nets', () => {
  it.each([
    ['sequential', sequentialNet()],
    ['parallel', parallelNet()],
    ['approval', approvalNet()],
    ['traffic light', trafficLightNet()],
  ])('finds nothing wrong with the %s net', (_name, definition) => {
    expect(validateNet(definition)).toEqual([]);
    expect(() => assertValidNet(definition)).not.toThrow();
  });
});

describe('validateNet on a net that breaks one rule', () => {
  type Row = [
    situation: string,
    definition: WorkflowDefinition,
    rule: NetRule,
    expected: { ids: string[]; path: string }[],
    alsoBroken: NetRule[],
  ];
  const rows: Row[] = [
    [
      'a workflow id with a space',
      sequentialWith({ id: 'my flow' }),
      'invalid_id',
      [{ ids: ['my flow'], path: 'id' }],
      [],
    ],
    [
      'a place id starting with an underscore',
      sequentialWith({ renames: { middle: '_middle' } }),
      'invalid_id',
      [{ ids: ['_middle'], path: 'places[1].id' }],
      [],
    ],
    [
      'a transition id longer than 128 characters',
      sequentialWith({ renames: { b: 'b'.repeat(129) } }),
      'invalid_id',
      [{ ids: ['b'.repeat(129)], path: 'transitions[1].id' }],
      [],
    ],
    [
      'two places with one id',
      sequentialWith({ places: (p) => [...p, { id: 'middle' }] }),
      'duplicate_id',
      [{ ids: ['middle'], path: 'places[3].id' }],
      [],
    ],
    [
      'a transition with the id of a place',
      sequentialWith({ transitions: (t) => [...t, step('middle')] }),
      'duplicate_id',
      [{ ids: ['middle'], path: 'transitions[2].id' }],
      [],
    ],
    [
      'no start place',
      sequentialWith({
        places: (p) => p.map((place) => ({ ...place, type: place.type === 'start' ? 'normal' : place.type })),
      }),
      'start_place_count',
      [{ ids: [], path: 'places' }],
      [],
    ],
    [
      'two start places',
      sequentialWith({
        places: (p) => [...p, { id: 'start2', type: 'start' }],
        transitions: (t) => t.map((x) => (x.id === 'a' ? { ...x, joinType: 'and' } : x)),
        arcs: [['start2', 'a']],
      }),
      'start_place_count',
      [{ ids: ['start', 'start2'], path: 'places' }],
      [],
    ],
    [
      'two end places',
      sequentialWith({
        places: (p) => [...p, { id: 'end2', type: 'end' }],
        transitions: (t) => t.map((x) => (x.id === 'b' ? { ...x, splitType: 'and' } : x)),
        arcs: [['b', 'end2']],
      }),
      'end_place_count',
      [{ ids: ['end', 'end2'], path: 'places' }],
      [],
    ],
    [
      'an arc from an unknown node',
      sequentialWith({ arcs: [['ghost', 'b']] }),
      'unknown_node',
      [{ ids: ['ghost'], path: 'arcs[4].from' }],
      [],
    ],
    [
      'an arc to an unknown node',
      sequentialWith({ arcs: [['a', 'ghost']] }),
      'unknown_node',
      [{ ids: ['ghost'], path: 'arcs[4].to' }],
      [],
    ],
    [
      'an arc from a place to a place',
      sequentialWith({ arcs: [['start', 'middle']] }),
      'place_to_place',
      [{ ids: ['start', 'middle'], path: 'arcs[4]' }],
      [],
    ],
    [
      'an arc from a transition to a transition',
      sequentialWith({ arcs: [['a', 'b']] }),
      'transition_to_transition',
      [{ ids: ['a', 'b'], path: 'arcs[4]' }],
      [],
    ],
    [
      'the same arc twice',
      sequentialWith({ arcs: [['a', 'middle']] }),
      'duplicate_arc',
      [{ ids: ['a', 'middle'], path: 'arcs[4]' }],
      [],
    ],
    [
      'an arc into the start place',
      sequentialWith({
        transitions: (t) => t.map((x) => (x.id === 'b' ? { ...x, splitType: 'and' } : x)),
        arcs: [['b', 'start']],
      }),
      'arc_into_start',
      [{ ids: ['b', 'start'], path: 'arcs[4]' }],
      [],
    ],
    [
      'an arc out of the end place',
      sequentialWith({
        transitions: (t) => t.map((x) => (x.id === 'a' ? { ...x, joinType: 'and' } : x)),
        arcs: [['end', 'a']],
      }),
      'arc_out_of_end',
      [{ ids: ['end', 'a'], path: 'arcs[4]' }],
      [],
    ],
    [
      'a none join with two input places',
      sequentialWith({ arcs: [['start', 'b']] }),
      'none_join_inputs',
      [{ ids: ['b'], path: 'transitions[1]' }],
      [],
    ],
    [
      'a none join with no input place',
      sequentialWith({ transitions: (t) => [...t, step('c')], arcs: [['c', 'end']] }),
      'none_join_inputs',
      [{ ids: ['c'], path: 'transitions[2]' }],
      ['not_on_path'],
    ],
    [
      'a none split with two output places',
      sequentialWith({ arcs: [['a', 'end']] }),
      'none_split_outputs',
      [{ ids: ['a'], path: 'transitions[0]' }],
      [],
    ],
    [
      'a none split with no output place',
      sequentialWith({ transitions: (t) => [...t, step('c')], arcs: [['middle', 'c']] }),
      'none_split_outputs',
      [{ ids: ['c'], path: 'transitions[2]' }],
      ['not_on_path'],
    ],
    [
      'an and join with no input place',
      sequentialWith({ transitions: (t) => [...t, step('c', { joinType: 'and' })], arcs: [['c', 'end']] }),
      'and_join_inputs',
      [{ ids: ['c'], path: 'transitions[2]' }],
      ['not_on_path'],
    ],
    [
      'an and split with no output place',
      sequentialWith({
        transitions: (t) => [...t, step('c', { splitType: 'and' })],
        arcs: [['middle', 'c']],
      }),
      'and_split_outputs',
      [{ ids: ['c'], path: 'transitions[2]' }],
      ['not_on_path'],
    ],
    [
      'a branch that the start place cannot reach',
      sequentialWith({
        places: (p) => [...p, { id: 'island' }],
        transitions: (t) => [...t, step('x')],
        arcs: [
          ['island', 'x'],
          ['x', 'end'],
        ],
      }),
      'not_on_path',
      [
        { ids: ['island'], path: 'places[3]' },
        { ids: ['x'], path: 'transitions[2]' },
      ],
      [],
    ],
    [
      'a branch that cannot reach the end place',
      sequentialWith({
        places: (p) => [...p, { id: 'trap' }],
        transitions: (t) => [...t, step('x')],
        arcs: [
          ['middle', 'x'],
          ['x', 'trap'],
        ],
      }),
      'not_on_path',
      [
        { ids: ['trap'], path: 'places[3]' },
        { ids: ['x'], path: 'transitions[2]' },
      ],
      [],
    ],
    [
      'a start and an end place with no transition between them',
      normalizeWorkflow({
        id: 'empty',
        places: [
          { id: 'start', type: 'start' },
          { id: 'end', type: 'end' },
        ],
        transitions: [],
        arcs: [],
      }),
      'not_on_path',
      [
        { ids: ['start'], path: 'places[0]' },
        { ids: ['end'], path: 'places[1]' },
      ],
      [],
    ],
  ];

  const cases = rows.map(([situation, definition, rule, expected, alsoBroken]) => ({
    situation,
    definition,
    rule,
    expected,
    alsoBroken,
  }));

  it.each(cases)(
    'reports $situation as $rule with the offending ids',
    ({ definition, rule, expected, alsoBroken }) => {
      const violations = validateNet(definition);
      expect(found(violations, rule)).toEqual(expected);
      expect(new Set(violations.map((v) => v.rule))).toEqual(new Set([rule, ...alsoBroken]));
    },
  );

  it.each(cases)('names the offending ids in the message for $situation', ({ definition, rule }) => {
    const violations = validateNet(definition).filter((v) => v.rule === rule);
    expect(violations.length).toBeGreaterThan(0);
    for (const violation of violations) {
      for (const id of violation.ids) expect(violation.message).toContain(id);
    }
  });
});

describe('validateNet on a net with several problems', () => {
  it('reports every one of them, each with its own path', () => {
    const definition = normalizeWorkflow({
      id: 'bad flow',
      places: [{ id: 'start', type: 'start' }, { id: 'p' }, { id: 'p' }],
      transitions: [step('a'), step('b', { joinType: 'and', splitType: 'and' })],
      arcs: [
        { from: 'start', to: 'a' },
        { from: 'a', to: 'p' },
        { from: 'a', to: 'p' },
        { from: 'p', to: 'start' },
        { from: 'a', to: 'b' },
        { from: 'nowhere', to: 'b' },
      ],
    });

    const violations = validateNet(definition);

    expect(violations.map(({ rule, ids, path }) => ({ rule, ids, path }))).toEqual([
      { rule: 'invalid_id', ids: ['bad flow'], path: 'id' },
      { rule: 'duplicate_id', ids: ['p'], path: 'places[2].id' },
      { rule: 'end_place_count', ids: [], path: 'places' },
      { rule: 'duplicate_arc', ids: ['a', 'p'], path: 'arcs[2]' },
      { rule: 'place_to_place', ids: ['p', 'start'], path: 'arcs[3]' },
      { rule: 'arc_into_start', ids: ['p', 'start'], path: 'arcs[3]' },
      { rule: 'transition_to_transition', ids: ['a', 'b'], path: 'arcs[4]' },
      { rule: 'unknown_node', ids: ['nowhere'], path: 'arcs[5].from' },
      { rule: 'and_join_inputs', ids: ['b'], path: 'transitions[1]' },
      { rule: 'and_split_outputs', ids: ['b'], path: 'transitions[1]' },
    ]);
  });

  it('reports an arc between two unknown nodes once per unknown end', () => {
    const definition = sequentialWith({ arcs: [['x', 'y']] });

    expect(found(validateNet(definition), 'unknown_node')).toEqual([
      { ids: ['x'], path: 'arcs[4].from' },
      { ids: ['y'], path: 'arcs[4].to' },
    ]);
  });

  it('checks paths from every start place when there are several', () => {
    const definition = sequentialWith({ places: (p) => [...p, { id: 'start2', type: 'start' }] });

    expect(found(validateNet(definition), 'not_on_path')).toEqual([{ ids: ['start2'], path: 'places[3]' }]);
  });
});

describe('validateNet on a structure with nothing to hold on to', () => {
  it('reports only the missing start and end places of an empty net', () => {
    const definition = normalizeWorkflow({ id: 'empty', places: [], transitions: [], arcs: [] });

    expect(validateNet(definition).map((v) => v.rule)).toEqual(['start_place_count', 'end_place_count']);
  });

  it('skips the path rule when there is no end place to reach', () => {
    const definition = sequentialWith({ places: (p) => p.filter((place) => place.type !== 'end') });

    expect(validateNet(definition).map((v) => v.rule)).toEqual([
      'end_place_count',
      'unknown_node',
      'none_split_outputs',
    ]);
  });

  it('reports ids that are not strings as invalid instead of throwing', () => {
    const definition = {
      ...sequentialNet(),
      id: 42,
      places: [...sequentialNet().places, { id: null, type: 'normal' }],
    } as unknown as WorkflowDefinition;

    expect(found(validateNet(definition), 'invalid_id')).toEqual([
      { ids: ['42'], path: 'id' },
      { ids: ['null'], path: 'places[3].id' },
    ]);
  });

  it('never throws on a random net, and points every violation into the definition', () => {
    const id = fc.constantFrom('s', 'e', 'p', 'q', 't', 'u', 'x', '', 'bad id');
    const net = fc.record({
      id,
      places: fc.array(
        fc.record({ id, type: fc.constantFrom('start' as const, 'normal' as const, 'end' as const) }),
        {
          maxLength: 6,
        },
      ),
      transitions: fc.array(
        fc.record({
          id,
          executor: fc.constant('auto'),
          joinType: fc.constantFrom('none' as const, 'and' as const),
          splitType: fc.constantFrom('none' as const, 'and' as const),
        }),
        { maxLength: 4 },
      ),
      arcs: fc.array(fc.record({ from: id, to: id }), { maxLength: 10 }),
    });
    const pathPattern =
      /^(id|places|places\[\d+\](\.id)?|transitions\[\d+\](\.id)?|arcs\[\d+\](\.from|\.to)?)$/;

    fc.assert(
      fc.property(net, (input) => {
        const violations = validateNet(normalizeWorkflow(input));
        for (const v of violations) expect(v.path).toMatch(pathPattern);
        if (violations.length === 0) expect(() => assertValidNet(normalizeWorkflow(input))).not.toThrow();
        else expect(() => assertValidNet(normalizeWorkflow(input))).toThrow(ValidationError);
      }),
      { numRuns: 300 },
    );
  });
});

describe('assertValidNet', () => {
  it('throws invalid_net with one detail per violation', () => {
    const definition = sequentialWith({
      arcs: [
        ['a', 'b'],
        ['ghost', 'b'],
      ],
    });
    const violations = validateNet(definition);

    let error: unknown;
    try {
      assertValidNet(definition);
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      code: 'invalid_net',
      message: expect.stringMatching(/^workflow sequential is not a valid workflow net: .*\(and 1 more\)$/),
      details: violations.map(({ path, message, rule, ids }) => ({ path, message, rule, ids })),
    });
    expect((error as ValidationError).details).toHaveLength(2);
  });

  it('names the single broken rule without counting more', () => {
    const definition = sequentialWith({ arcs: [['a', 'b']] });

    expect(() => assertValidNet(definition)).toThrow(
      'workflow sequential is not a valid workflow net: arc a → b joins two transitions',
    );
  });
});
