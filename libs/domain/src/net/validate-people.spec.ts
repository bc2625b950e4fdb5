import { describe, expect, it } from '@jest/globals';
import { fakeConditions, peopleNet } from '../testing/index.js';
import type { WorkflowDefinition } from './definition.js';
import { normalizeWorkflow } from './normalize.js';
import { assertValidNet, validateNet } from './validate.js';
import type { NetRule } from './validate.js';

const conditions = fakeConditions();

/** `peopleNet()` with its `approve` transition's people fields replaced by those given (undefined: removed). */
function approveWith(fields: {
  assignment?: unknown;
  separateFrom?: unknown;
  outputSchema?: unknown;
}): WorkflowDefinition {
  const base = peopleNet();
  return {
    ...base,
    transitions: base.transitions.map((t) => {
      if (t.id !== 'approve') return t;
      const { assignment: _, separateFrom: __, ...rest } = t;
      return { ...rest, ...(fields as object) };
    }),
  };
}

describe('validateNet on assignments, four eyes and output schemas', () => {
  it('finds nothing wrong with well-formed ones, on any transition, with or without a language to check the assignee', () => {
    const definition = approveWith({
      assignment: { candidateGroups: ['managers'], candidateUsers: ['bob'], assignee: 'case.manager' },
      separateFrom: ['submit'],
      outputSchema: { type: 'object', properties: { approved: { type: 'boolean' } } },
    });
    expect(validateNet(definition)).toEqual([]);
    expect(validateNet(definition, { conditions })).toEqual([]);
    const onSubmit = {
      ...peopleNet(),
      transitions: peopleNet().transitions.map((t) => ({ ...t, outputSchema: {} })),
    };
    expect(validateNet(onSubmit)).toEqual([]);
  });

  it.each<[string, Parameters<typeof approveWith>[0], NetRule, string]>([
    [
      'an assignment that is not an object',
      { assignment: ['managers'] },
      'assignment_invalid',
      'transitions[1].assignment',
    ],
    [
      'an assignment naming no one',
      { assignment: { candidateGroups: [] } },
      'assignment_invalid',
      'transitions[1].assignment',
    ],
    [
      'candidate groups that are not a list',
      { assignment: { candidateGroups: 'managers' } },
      'assignment_invalid',
      'transitions[1].assignment.candidateGroups',
    ],
    [
      'a candidate user that is an empty string',
      { assignment: { candidateUsers: ['bob', ''] } },
      'assignment_invalid',
      'transitions[1].assignment.candidateUsers',
    ],
    [
      'an assignee that is not a string',
      { assignment: { assignee: 7 } },
      'assignment_invalid',
      'transitions[1].assignment.assignee',
    ],
    [
      'an assignee that is an empty string',
      { assignment: { assignee: '' } },
      'assignment_invalid',
      'transitions[1].assignment.assignee',
    ],
    [
      'a field an assignment does not have',
      { assignment: { candidateUsers: ['bob'], owner: 'ann' } },
      'assignment_invalid',
      'transitions[1].assignment.owner',
    ],
    [
      'separateFrom that is not a list',
      { separateFrom: 'submit' },
      'separate_from_invalid',
      'transitions[1].separateFrom',
    ],
    [
      'separateFrom naming an unknown transition',
      { separateFrom: ['submit', 'review'] },
      'separate_from_invalid',
      'transitions[1].separateFrom[1]',
    ],
    [
      'separateFrom naming the transition itself',
      { separateFrom: ['approve'] },
      'separate_from_invalid',
      'transitions[1].separateFrom[0]',
    ],
    [
      'an outputSchema that is not an object',
      { outputSchema: 'approval' },
      'output_schema_invalid',
      'transitions[1].outputSchema',
    ],
    [
      'an outputSchema that is a list',
      { outputSchema: [{ type: 'string' }] },
      'output_schema_invalid',
      'transitions[1].outputSchema',
    ],
  ])('refuses %s', (_, fields, rule, path) => {
    const violations = validateNet(approveWith(fields), { conditions });
    expect(violations).toEqual([expect.objectContaining({ rule, path, ids: ['approve'] })]);
    expect(violations[0]?.message).toMatch(/transition approve/);
  });

  it('checks an assignee expression through the condition language when it is given one', () => {
    const definition = approveWith({ assignment: { assignee: 'case.manager > 3' } });
    expect(validateNet(definition)).toEqual([]);
    expect(validateNet(definition, { conditions })).toEqual([
      expect.objectContaining({
        rule: 'assignment_invalid',
        path: 'transitions[1].assignment.assignee',
        message: expect.stringContaining("expected '<name>' or case.<field>"),
      }),
    ]);
  });

  it('assertValidNet throws invalid_net with the rule in the details', () => {
    expect(() => assertValidNet(approveWith({ separateFrom: ['approve'] }))).toThrow(
      expect.objectContaining({
        code: 'invalid_net',
        details: [expect.objectContaining({ rule: 'separate_from_invalid' })],
      }),
    );
  });
});

describe('normalizeWorkflow of the people fields', () => {
  it('keeps them as given, an assignment with its known fields only, and leaves them out when absent', () => {
    const base = peopleNet();
    const definition = normalizeWorkflow({
      ...base,
      transitions: [
        { id: 'submit', executor: 'manual', outputSchema: { type: 'object' } },
        {
          id: 'approve',
          executor: 'manual',
          assignment: { candidateUsers: ['bob'], assignee: "'ann'", extra: 1 } as never,
          separateFrom: ['submit'],
        },
      ],
    });
    expect(definition.transitions).toEqual([
      expect.objectContaining({ id: 'submit', outputSchema: { type: 'object' } }),
      expect.objectContaining({
        id: 'approve',
        assignment: { candidateUsers: ['bob'], assignee: "'ann'" },
        separateFrom: ['submit'],
      }),
    ]);
    expect(definition.transitions[0]).not.toHaveProperty('assignment');
    expect(definition.transitions[1]).not.toHaveProperty('outputSchema');
  });
});
