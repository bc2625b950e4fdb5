import { describe, expect, it } from '@jest/globals';
import { fakeConditions } from '../testing/conditions.js';
import { orBlockNet, xorNet } from '../testing/nets.js';
import { decideWorkflow, initialWorkflowState } from '../workflow/workflow.js';
import type { Arc, Transition, WorkflowDefinition } from './definition.js';
import { sequentialNet } from './fixtures.js';
import { assertValidNet, validateNet } from './validate.js';
import type { NetRule } from './validate.js';

const conditions = fakeConditions();

/** The net with the arcs and transitions changed (matched by `from`/`to` and id). */
function changed(
  definition: WorkflowDefinition,
  {
    arcs = {},
    transitions = {},
  }: {
    arcs?: Readonly<Record<string, (arc: Arc) => Arc>>;
    transitions?: Readonly<Record<string, (transition: Transition) => Transition>>;
  },
): WorkflowDefinition {
  return {
    ...definition,
    arcs: definition.arcs.map((arc) => arcs[`${arc.from}>${arc.to}`]?.(arc) ?? arc),
    transitions: definition.transitions.map((t) => transitions[t.id]?.(t) ?? t),
  };
}

const withoutDecision = ({ condition: _c, default: _d, ...arc }: Arc): Arc => arc;

describe('validateNet on nets that decide', () => {
  it.each([
    ['an xor split on the case data', xorNet()],
    ['an or block closed by its or join', orBlockNet()],
  ])('finds nothing wrong with %s, conditions checked', (_name, definition) => {
    expect(validateNet(definition, { conditions })).toEqual([]);
  });

  type Row = [situation: string, definition: WorkflowDefinition, rule: NetRule, ids: string[], path: string];
  const rows: Row[] = [
    [
      'a condition on the output arc of a split that does not decide',
      changed(sequentialNet(), { arcs: { 'a>middle': (arc) => ({ ...arc, condition: 'true' }) } }),
      'condition_outside_decision',
      ['a', 'middle'],
      'arcs[1]',
    ],
    [
      'a default on an input arc',
      changed(xorNet(), { arcs: { 'board>boardReview': (arc) => ({ ...arc, default: true }) } }),
      'condition_outside_decision',
      ['board', 'boardReview'],
      'arcs[3]',
    ],
    [
      'an xor split without a default arc',
      changed(xorNet(), {
        arcs: { 'register>clerk': (arc) => ({ ...withoutDecision(arc), condition: 'true' }) },
      }),
      'default_arc_count',
      ['register'],
      'transitions[0]',
    ],
    [
      'an or split with two default arcs',
      changed(orBlockNet(), {
        arcs: { 'checks>fraud': (arc) => ({ ...withoutDecision(arc), default: true }) },
      }),
      'default_arc_count',
      ['checks'],
      'transitions[0]',
    ],
    [
      'a default arc that also has a condition',
      changed(xorNet(), { arcs: { 'register>clerk': (arc) => ({ ...arc, condition: 'true' }) } }),
      'default_with_condition',
      ['register', 'clerk'],
      'arcs[2]',
    ],
    [
      'an arc of an xor split with neither a condition nor the default',
      changed(xorNet(), { arcs: { 'register>board': withoutDecision } }),
      'condition_missing',
      ['register', 'board'],
      'arcs[1]',
    ],
    [
      'a condition the language refuses',
      xorNet('case.amount >> 1'),
      'condition_invalid',
      ['register', 'board'],
      'arcs[1].condition',
    ],
    [
      'an or join naming a transition that is not an or split',
      changed(orBlockNet(), { transitions: { decide: (t) => ({ ...t, orJoin: { split: 'kycCheck' } }) } }),
      'or_join_block',
      ['decide'],
      'transitions[4]',
    ],
    [
      'orJoin on a transition whose join is not or',
      changed(xorNet(), { transitions: { boardReview: (t) => ({ ...t, orJoin: { split: 'register' } }) } }),
      'or_join_kind',
      ['boardReview'],
      'transitions[1].orJoin',
    ],
  ];

  it.each(rows.map(([situation, ...rest]) => [situation, rest[1], ...rest] as const))(
    '%s breaks %s',
    (_situation, _rule, definition, rule, ids, path) => {
      const violations = validateNet(definition, { conditions });
      expect(violations.filter((v) => v.rule === rule).map((v) => ({ ids: v.ids, path: v.path }))).toEqual([
        { ids, path },
      ]);
    },
  );

  it("names the checker's message for a condition it refuses, and only when a language is given", () => {
    const definition = xorNet('case.amount >> 1');
    expect(validateNet(definition, { conditions })).toEqual([
      {
        rule: 'condition_invalid',
        ids: ['register', 'board'],
        path: 'arcs[1].condition',
        message: conditions.check('case.amount >> 1'),
      },
    ]);
    expect(validateNet(definition)).toEqual([]);
  });

  it("gives orBlocksOf's reason when an or join does not close its split's block", () => {
    // An arc from outside into the kyc branch: the block has a second entry.
    const definition = {
      ...orBlockNet(),
      arcs: [...orBlockNet().arcs, { from: 'basicCheck', to: 'kyc' }],
    };
    const [violation] = validateNet(definition, { conditions }).filter((v) => v.rule === 'or_join_block');
    expect(violation?.message).toMatch(
      /^or join decide: it does not close a block of checks: .*kyc.*entered from basicCheck/,
    );
  });

  it('stays total when kinds and orJoin are not what their types say', () => {
    const broken = changed(orBlockNet(), {
      transitions: {
        checks: (t) => ({ ...t, splitType: 'nor' as Transition['splitType'] }),
        decide: (t) => ({ ...t, orJoin: 'checks' as unknown as Transition['orJoin'] }),
      },
    });
    expect(() => validateNet(broken, { conditions })).not.toThrow();
    expect(validateNet(broken, { conditions }).map((v) => v.rule)).toEqual(
      expect.arrayContaining(['condition_outside_decision', 'or_join_block']),
    );
  });

  it('assertValidNet and CreateWorkflow refuse a bad condition with invalid_net naming the arc', () => {
    const definition = xorNet('amount > 1');
    expect(() => assertValidNet(definition, { conditions })).toThrow(
      expect.objectContaining({
        code: 'invalid_net',
        details: [expect.objectContaining({ path: 'arcs[1].condition', rule: 'condition_invalid' })],
      }),
    );
    const create = { type: 'CreateWorkflow' as const, data: { definition, at: '2026-01-01T00:00:00.000Z' } };
    expect(() => decideWorkflow(create, initialWorkflowState(), { conditions })).toThrow(
      expect.objectContaining({ code: 'invalid_net' }),
    );
    expect(decideWorkflow(create, initialWorkflowState())).toHaveLength(1);
  });
});
