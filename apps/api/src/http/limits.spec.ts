import { describe, expect, it } from '@jest/globals';
import { MAX_JSON_DEPTH, assertDataWithin, assertNetWithin, jsonShapeProblem } from './limits.js';

const deep = (levels: number): unknown => {
  let value: unknown = null;
  for (let i = 0; i < levels; i += 1) value = [value];
  return value;
};

describe('the shape of a JSON body', () => {
  it.each([
    ['a plain body', { a: [1, { b: 'c' }] }],
    ['a scalar', 'text'],
    ['nesting at the bound', deep(MAX_JSON_DEPTH)],
  ])('takes %s', (_what, body) => {
    expect(jsonShapeProblem(body)).toBeUndefined();
  });

  it.each([
    ['nesting past the bound', deep(MAX_JSON_DEPTH + 1), '[0]'.repeat(MAX_JSON_DEPTH)],
    ['a __proto__ key', JSON.parse('{"data": [{"__proto__": 1}]}') as unknown, 'data[0].__proto__'],
    ['a constructor key', { output: { constructor: {} } }, 'output.constructor'],
    ['a number JSON.parse read as Infinity', JSON.parse('{"data": {"n": -1e400}}') as unknown, 'data.n'],
  ])('refuses %s, naming where', (_what, body, path) => {
    expect(jsonShapeProblem(body)?.path).toBe(path);
  });

  it('walks a million levels without overflowing the stack', () => {
    expect(jsonShapeProblem(deep(1_000_000))?.message).toMatch(/deeper than/);
  });
});

describe('size bounds', () => {
  it('measures data as JSON bytes', () => {
    expect(() => assertDataWithin('é'.repeat(4), 'data', 10)).not.toThrow();
    expect(() => assertDataWithin('é'.repeat(5), 'data', 10)).toThrow(/12 bytes as JSON, at most 10/);
  });

  it('counts places and transitions together, and arcs apart', () => {
    const net = { places: [1, 2], transitions: [3], arcs: [4, 5] };
    expect(() => assertNetWithin(net, { maxNodes: 3, maxArcs: 2 })).not.toThrow();
    expect(() => assertNetWithin(net, { maxNodes: 2, maxArcs: 2 })).toThrow(/3 places and transitions/);
    expect(() => assertNetWithin(net, { maxNodes: 3, maxArcs: 1 })).toThrow(/2 arcs, at most 1/);
  });
});
