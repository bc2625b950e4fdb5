import { describe, expect, it } from '@jest/globals';
import type { JsonValue, WorkflowDefinition } from '@wfnet/domain';
import { ValidationError } from '@wfnet/domain';
import { oneStepNet } from '@wfnet/domain/testing';
import {
  MAX_OUTPUT_PROBLEMS,
  MAX_OUTPUT_SCHEMA_BYTES,
  MAX_OUTPUT_SCHEMAS_BYTES,
  OutputForms,
  outputSchemaProblems,
} from './output-schemas.js';

type Schema = { readonly [key: string]: JsonValue };

/** `oneStepNet` with an output schema on its one transition `step` (and as many copies as asked). */
function formNet(schema: Schema, id = 'form', copies = 1): WorkflowDefinition {
  const net = oneStepNet();
  const [step] = net.transitions;
  return {
    ...net,
    id,
    transitions: Array.from({ length: copies }, (_, i) => ({
      ...step!,
      id: i === 0 ? 'step' : `step-${i}`,
      outputSchema: schema,
    })),
  };
}

const approval: Schema = {
  type: 'object',
  required: ['approved', 'amount'],
  properties: {
    approved: { type: 'boolean' },
    amount: { type: 'number', minimum: 0 },
    decidedOn: { type: 'string', format: 'date' },
    contact: { type: 'string', format: 'email' },
    lines: {
      type: 'array',
      items: { type: 'object', required: ['qty'], properties: { qty: { type: 'integer', minimum: 1 } } },
    },
    'a/b~c': { type: 'string' },
  },
  additionalProperties: false,
};

function refusal(forms: OutputForms, net: WorkflowDefinition, output: JsonValue): ValidationError {
  try {
    forms.assertOutput(net, 'step', 'c1:workitem-1', output);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('the output was taken');
}

describe('an output checked against its transition’s schema', () => {
  const net = formNet(approval);

  it.each<[string, JsonValue]>([
    ['the required members', { approved: true, amount: 10 }],
    [
      'every member',
      { approved: false, amount: 0, decidedOn: '2026-02-28', contact: 'a@b.example', lines: [{ qty: 2 }] },
    ],
  ])('takes an output with %s', (_what, output) => {
    expect(() => new OutputForms().assertOutput(net, 'step', 'c1:workitem-1', output)).not.toThrow();
  });

  it('takes any output on a transition without a schema', () => {
    expect(() =>
      new OutputForms().assertOutput(oneStepNet(), 'step', 'c1:workitem-1', 'anything'),
    ).not.toThrow();
  });

  it('names each violation by its JSON pointer under /output, a missing member at the member', () => {
    const error = refusal(new OutputForms(), net, {
      amount: -1,
      decidedOn: '2026-02-30',
      contact: 'nobody',
      lines: [{ qty: 1 }, { qty: 2.5 }],
      surplus: 1,
    });
    expect(error.code).toBe('validation_failed');
    expect(error.message).toMatch(
      /output of workitem c1:workitem-1 does not satisfy the output schema of transition step/,
    );
    expect(error.details).toEqual(
      expect.arrayContaining([
        { path: '/output/approved', message: 'is required' },
        { path: '/output/amount', message: 'must be >= 0' },
        { path: '/output/decidedOn', message: 'must match format "date"' },
        { path: '/output/contact', message: 'must match format "email"' },
        { path: '/output/lines/1/qty', message: 'must be integer' },
        { path: '/output/surplus', message: 'is not allowed' },
      ]),
    );
    expect(error.details).toHaveLength(6);
  });

  it('escapes ~ and / in a member name as a JSON pointer does', () => {
    expect(refusal(new OutputForms(), net, { approved: true, amount: 1, 'a/b~c': 1 }).details).toEqual([
      { path: '/output/a~1b~0c', message: 'must be string' },
    ]);
  });

  it('points a violation of the whole output at /output', () => {
    expect(refusal(new OutputForms(), net, [1, 2]).details).toEqual([
      { path: '/output', message: 'must be object' },
    ]);
  });

  it(`answers at most ${MAX_OUTPUT_PROBLEMS} violations, and says how many there were`, () => {
    const lines = Array.from({ length: 50 }, () => ({ qty: 0 }));
    const error = refusal(new OutputForms(), net, { approved: true, amount: 1, lines });
    expect(error.details).toHaveLength(MAX_OUTPUT_PROBLEMS);
    expect(error.message).toMatch(`(the first ${MAX_OUTPUT_PROBLEMS} of 50)`);
  });
});

describe('the validators kept', () => {
  it('compiles a transition’s schema once and keeps its validator', () => {
    const forms = new OutputForms();
    const first = forms.validatorOf('form', 'step', approval);
    expect(forms.validatorOf('form', 'step', approval)).toBe(first);
    expect(forms.size).toBe(1);
  });

  it('keeps one validator per workflow and transition, even for schemas sharing an $id', () => {
    const forms = new OutputForms();
    const withId = (type: string): Schema => ({ $id: 'https://forms.example/approval', type });
    const a = forms.validatorOf('a', 'step', withId('string'));
    const b = forms.validatorOf('b', 'step', withId('number'));
    expect([a('x'), a(1), b('x'), b(1)]).toEqual([true, false, false, true]);
  });

  it('lets the least recently used go past its capacity', () => {
    const forms = new OutputForms(2);
    const a = forms.validatorOf('a', 'step', approval);
    forms.validatorOf('b', 'step', approval);
    forms.validatorOf('a', 'step', approval);
    forms.validatorOf('c', 'step', approval);
    expect(forms.size).toBe(2);
    expect(forms.validatorOf('a', 'step', approval)).toBe(a);
    expect(forms.validatorOf('b', 'step', approval)).not.toBe(a);
  });
});

describe('the output schemas of a definition', () => {
  it('finds nothing wrong with usable schemas, or none', () => {
    expect(outputSchemaProblems(formNet(approval))).toEqual([]);
    expect(outputSchemaProblems(oneStepNet())).toEqual([]);
  });

  it.each<[string, Schema, RegExp]>([
    ['a type that does not exist', { type: 'money' }, /schema is invalid/],
    ['an unknown keyword (strict)', { type: 'object', propertes: {} }, /unknown keyword: "propertes"/],
    ['an unknown format', { type: 'string', format: 'postcode' }, /unknown format "postcode"/],
    [
      'a $ref it cannot resolve',
      { $ref: 'https://elsewhere.example/schema.json' },
      /can't resolve reference/,
    ],
    [
      'another draft',
      { $schema: 'http://json-schema.org/draft-04/schema#', type: 'string' },
      /no schema with key or ref/,
    ],
  ])('refuses %s (output_schema_invalid)', (_what, schema, message) => {
    const [problem, ...more] = outputSchemaProblems(formNet(schema));
    expect(more).toEqual([]);
    expect(problem).toMatchObject({
      path: 'transitions[0].outputSchema',
      rule: 'output_schema_invalid',
      ids: ['step'],
    });
    expect(problem?.message).toMatch(message);
  });

  const padded = (bytes: number): Schema => {
    const base = { type: 'string', description: '' };
    return { ...base, description: 'x'.repeat(bytes - JSON.stringify(base).length) };
  };

  it(`takes a schema of ${MAX_OUTPUT_SCHEMA_BYTES} bytes and refuses one a byte larger, before compiling it`, () => {
    expect(outputSchemaProblems(formNet(padded(MAX_OUTPUT_SCHEMA_BYTES)))).toEqual([]);
    const [problem] = outputSchemaProblems(formNet(padded(MAX_OUTPUT_SCHEMA_BYTES + 1)));
    expect(problem?.message).toBe(
      `the output schema of transition step takes ${MAX_OUTPUT_SCHEMA_BYTES + 1} bytes of JSON; at most ${MAX_OUTPUT_SCHEMA_BYTES}`,
    );
  });

  it(`refuses the schemas past ${MAX_OUTPUT_SCHEMAS_BYTES} bytes in all`, () => {
    const copies = MAX_OUTPUT_SCHEMAS_BYTES / MAX_OUTPUT_SCHEMA_BYTES + 1;
    const problems = outputSchemaProblems(formNet(padded(MAX_OUTPUT_SCHEMA_BYTES), 'form', copies));
    expect(problems.map((p) => p.ids)).toEqual([[`step-${copies - 1}`]]);
    expect(problems[0]?.message).toMatch(`more than ${MAX_OUTPUT_SCHEMAS_BYTES} bytes of JSON in all`);
  });
});
