import { ConditionFailure } from '@wfnet/domain';
import type { ConditionScope, JsonValue } from '@wfnet/domain';
import { CONDITION_LIMITS, CelConditions } from './cel.js';
import { largeCase } from './large-case.js';

const NOW = '2026-03-01T12:00:00.000Z';

const scopeWith = (data: JsonValue, more: Partial<ConditionScope> = {}): ConditionScope => ({
  case: data,
  output: null,
  inputs: {},
  payload: null,
  now: NOW,
  ...more,
});

const cel = new CelConditions();

/** The failure `evaluate` throws, or a failing expectation when it throws none. */
function failureOf(source: string, scope: ConditionScope): ConditionFailure {
  try {
    cel.evaluate(source, scope);
  } catch (error) {
    if (error instanceof ConditionFailure) return error;
    throw error;
  }
  throw new Error(`${source} did not fail`);
}

describe('a condition over the declared variables', () => {
  it.each([
    ['case.amount > 10000', { amount: 12_000 }, true],
    ['case.amount > 10000', { amount: 500 }, false],
    ['case.count + 1 == 6', { count: 5 }, true],
    ['case.rate > 0.5', { rate: 0.75 }, true],
    ['case.big > 1.0', { big: 2 ** 60 }, true],
    ['case.amount > 10000', { amount: 12_000.5 }, true],
    ['double(case.rate) * 2.0 > 1.0', { rate: 1 }, true],
    [
      'case.customer.tier == "gold" && "vip" in case.customer.tags',
      { customer: { tier: 'gold', tags: ['vip'] } },
      true,
    ],
    ['size(case.items) == 2 && case.items[1].sku == "b"', { items: [{ sku: 'a' }, { sku: 'b' }] }, true],
    ['case.items.exists(item, item.quantity > 2)', { items: [{ quantity: 1 }, { quantity: 3 }] }, true],
    ['case.items.filter(i, i > 1).exists(i, i > 2)', { items: [1, 2, 3] }, true],
    ['has(case.discount)', { amount: 1 }, false],
    ['case.approved', { approved: true }, true],
  ])('%s on %j is %s', (source, data, expected) => {
    expect(cel.check(source)).toBeUndefined();
    expect(cel.evaluate(source, scopeWith(data))).toBe(expected);
  });

  it('reads the output, the inputs by place, the payload and now', () => {
    const source =
      'output.decision == "approve" && inputs.review.score >= 3 && payload.id == "p1" && now > timestamp("2026-01-01T00:00:00Z")';
    expect(cel.check(source)).toBeUndefined();
    const scope = scopeWith(
      {},
      { output: { decision: 'approve' }, inputs: { review: { score: 4 } }, payload: { id: 'p1' } },
    );
    expect(cel.evaluate(source, scope)).toBe(true);
    expect(cel.evaluate(source, { ...scope, now: '2025-12-31T23:59:59.000Z' })).toBe(false);
  });
});

describe('a source that is not a condition', () => {
  it('names an unknown variable', () => {
    expect(cel.check('amount > 10000')).toBe('Unknown variable: amount (at character 1)');
  });

  it('does not give a bool', () => {
    expect(cel.check('case.amount + 1')).toBe('the condition gives int, not bool');
    expect(cel.check('"approved"')).toBe('the condition gives string, not bool');
  });

  it('does not parse', () => {
    expect(cel.check('case.amount >')).toMatch(/^Unexpected token: EOF/);
  });

  it('does not type-check', () => {
    expect(cel.check('1 + "one" == "1one"')).toMatch(/^no such overload: int \+ string/);
  });

  it('is refused when evaluated, with what check says', () => {
    expect(failureOf('amount > 10000', scopeWith({})).message).toContain('Unknown variable: amount');
  });
});

describe('a hostile condition', () => {
  it('longer than 1 KiB is refused', () => {
    const source = `case.a == "${'x'.repeat(CONDITION_LIMITS.maxSourceBytes)}"`;
    expect(cel.check(source)).toBe(`the condition is ${source.length} bytes long, more than 1024`);
  });

  it('of more than 200 nodes is refused', () => {
    const source = `${Array.from({ length: 120 }, () => '1').join(' + ')} > 0`;
    expect(source.length).toBeLessThan(1024);
    expect(cel.check(source)).toMatch(/^Exceeded maxAstNodes \(200\)/);
  });

  it('nested too deep is refused', () => {
    const source = `${'['.repeat(40)}1${']'.repeat(40)} != []`;
    expect(cel.check(source)).toMatch(/^Exceeded maxDepth \(32\)/);
  });

  it.each([
    ['case.items.all(i, i.tags.exists(t, t == "a"))', 'macro exists inside macro all'],
    ['case.items.map(i, case.items.filter(j, j == i))', 'macro filter inside macro map'],
    ['[1, 2].exists(i, [3].map(j, j + i).size() > 0)', 'macro map inside macro exists'],
  ])('with a macro inside a macro, %s, is refused', (source, problem) => {
    expect(cel.check(source)).toBe(`${problem}: a macro may not be nested`);
  });

  it('with a regular expression is refused, for a pattern can backtrack for ever', () => {
    expect(cel.check('case.name.matches("(a+)+$")')).toBe(
      'regular expressions (matches) are not allowed in conditions',
    );
  });

  it('with cel.bind is refused, for a bound value can double with each binding', () => {
    expect(cel.check('cel.bind(l, case.items + case.items, size(l + l) > 0)')).toBe(
      'cel.bind is not allowed in conditions',
    );
  });

  it.each(['case.constructor', 'case.__proto__', 'case["__proto__"]', 'case.items.constructor'])(
    'reading %s reaches no prototype',
    (path) => {
      expect(cel.check(`${path} != null`)).toBeUndefined();
      expect(failureOf(`${path} != null`, scopeWith({ items: {} })).message).toMatch(/No such key/);
    },
  );

  it('reads a field named __proto__ or constructor as data, and the others still', () => {
    const data = JSON.parse('{"__proto__": {"x": 1}, "constructor": 2, "amount": 3}') as JsonValue;
    expect(cel.evaluate('case.__proto__.x == 1 && case.amount == 3', scopeWith(data))).toBe(true);
  });

  // What a budget of reads stops is deterministic; how long that takes is a figure of bench:conditions.
  it.each([
    'case.items.map(i, case.note + case.note).size() > 0',
    'case.items.exists(i, i.description + i.description == "")',
    'case.items.map(i, i.tags + i.tags + i.tags).size() > 0',
    'case.items.filter(i, i.sku == "none").size() > 0',
    'case.items.exists(i, i.quantity > 100)',
    'case.note + case.note + case.note + case.note + case.note + case.note == ""',
  ])('over a 1 MiB case, %s runs out of its read budget', (source) => {
    expect(cel.check(source)).toBeUndefined();
    expect(failureOf(source, scopeWith(largeCase())).message).toContain('read more than 2000 units');
  });
});

describe('a condition that fails when it runs', () => {
  it.each([
    ['case.missing > 1', { amount: 1 }, /No such key: missing/],
    ['case.name > 1', { name: 'Ann' }, /no such overload/],
    ['case.rate + 1 > 1', { rate: 0.5 }, /no such overload: dyn<double> \+ int/],
    ['case.name', { name: 'Ann' }, /gave string, not a bool/],
    ['case.items[3] == 1', { items: [1] }, /index out of bounds/],
  ])('%s on %j throws a ConditionFailure', (source, data, message) => {
    expect(cel.check(source)).toBeUndefined();
    const failure = failureOf(source, scopeWith(data));
    expect(failure).toBeInstanceOf(ConditionFailure);
    expect(failure.message).toMatch(message);
    expect(failure.message).toContain(JSON.stringify(source));
  });
});

describe('a condition over a 1 MiB case', () => {
  const data = largeCase();

  it('is about 1 MiB', () => {
    expect(JSON.stringify(data).length).toBeGreaterThan(900_000);
  });

  it.each([
    ['case.amount > 10000 && case.customer.tier == "gold"', true],
    ['case.items[999].quantity == 5', true],
    ['size(case.items) > 500', true],
  ])('%s reads only what it names', (source, expected) => {
    expect(cel.evaluate(source, scopeWith(data))).toBe(expected);
  });

  it('does not change the case', () => {
    const before = JSON.stringify(data);
    expect(
      cel.evaluate(
        'case.items[999].sku == "sku-999" && case.note != "" && size(case.items) > 0',
        scopeWith(data),
      ),
    ).toBe(true);
    expect(JSON.stringify(data)).toBe(before);
  });
});

describe('an assignee expression', () => {
  it('gives the user it names over case and inputs', () => {
    expect(cel.checkAssignee('case.requester.manager')).toBeUndefined();
    expect(
      cel.evaluateAssignee('case.requester.manager', { case: { requester: { manager: 'max' } }, inputs: {} }),
    ).toBe('max');
    expect(
      cel.evaluateAssignee("inputs.submitted.owner + ''", {
        case: {},
        inputs: { submitted: { owner: 'ann' } },
      }),
    ).toBe('ann');
  });

  it('must give a string and read only case and inputs', () => {
    expect(cel.checkAssignee('case.amount > 3')).toMatch(/gives bool, not a string/);
    expect(cel.checkAssignee('output.user')).toBeDefined();
    expect(cel.checkAssignee("'a'.matches('a')")).toMatch(/not allowed in assignee expressions/);
  });

  it('fails, with ConditionFailure, on a missing field or a value that is not a string', () => {
    expect(() => cel.evaluateAssignee('case.manager', { case: {}, inputs: {} })).toThrow(ConditionFailure);
    expect(() => cel.evaluateAssignee('case.manager', { case: { manager: 7 }, inputs: {} })).toThrow(
      /not a string/,
    );
  });
});
