import { describe, expect, it } from '@jest/globals';
import {
  MAX_JSON_DEPTH,
  assertDataWithin,
  assertLayoutsWithin,
  assertNetWithin,
  jsonLayoutCount,
  jsonShapeProblem,
} from './limits.js';

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

const layoutsOf = (value: unknown, max = 1_000_000): number =>
  jsonLayoutCount(Buffer.from(JSON.stringify(value)), max);

describe('the object layouts of a JSON text', () => {
  it('counts each sequence of keys from the first key of an object once', () => {
    expect(layoutsOf({ a: 1, b: 2 })).toBe(2);
    expect(layoutsOf([{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5 }])).toBe(2);
    expect(
      layoutsOf([
        { a: 1, b: 2 },
        { b: 1, a: 2 },
      ]),
    ).toBe(4);
    expect(layoutsOf({ a: { a: 1 }, b: [{ a: 1, c: 2 }] })).toBe(3);
    expect(layoutsOf([1, 'text', null, [], {}])).toBe(0);
  });

  it('counts records that share their keys as one layout each, however many', () => {
    const records = Array.from({ length: 10_000 }, (_, i) => ({ id: `r${i}`, amount: i, tags: ['x'] }));
    expect(layoutsOf({ records })).toBe(1 + 3);
  });

  it('counts distinct keys, in one object or one in each', () => {
    const wide = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]));
    expect(layoutsOf(wide)).toBe(5_000);
    expect(layoutsOf(Array.from({ length: 5_000 }, (_, i) => ({ [`k${i}`]: i })))).toBe(5_000);
  });

  it('reads keys and values that hold quotes, escapes, colons, commas and brackets', () => {
    const tricky = { 'a"b': 'x:{"y":[1,2]}', 'c\\': { '\u0041': ',' }, d: '\\' };
    expect(layoutsOf(tricky)).toBe(4);
    expect(layoutsOf([tricky, tricky])).toBe(4);
  });

  it('stops counting once past the bound', () => {
    const wide = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
    expect(layoutsOf(wide, 100)).toBe(101);
  });

  it('refuses a text past the bound with 413, before it is parsed', () => {
    const text = Buffer.from(JSON.stringify(Array.from({ length: 11 }, (_, i) => ({ [`k${i}`]: i }))));
    expect(() => assertLayoutsWithin(text, 11, 'the body')).not.toThrow();
    expect(() => assertLayoutsWithin(text, 10, 'the body')).toThrow(
      expect.objectContaining({ statusCode: 413, code: 'payload_too_large' }),
    );
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
