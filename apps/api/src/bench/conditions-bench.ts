/**
 * `npm run bench:conditions [-- --runs 2000]`: the time of one CEL condition's evaluation over a case of
 * about 1 MiB (medians and 99th percentiles of many runs), next to the same over a small case, and the
 * time of a first check (a compile) against a cached one.
 */
import type { ConditionScope, JsonValue } from '@wfnet/domain';
import { CelConditions } from '../conditions/cel.js';
import { largeCase } from '../conditions/large-case.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg === -1 ? 2000 : Number(process.argv[runsArg + 1]);

const scopeOf = (data: JsonValue): ConditionScope => ({
  case: data,
  output: { decision: 'approve' },
  inputs: {},
  payload: null,
  now: '2026-03-01T12:00:00.000Z',
});

/** Median and 99th percentile in microseconds of `runs` calls of `run`, after a warm-up. */
function timed(runs: number, run: () => void): { median: number; p99: number } {
  for (let i = 0; i < Math.min(200, runs); i++) run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)] ?? 0, p99: times[Math.floor(runs * 0.99)] ?? 0 };
}

const SOURCES = [
  'case.amount > 10000',
  'case.amount > 10000 && case.customer.tier == "gold" && output.decision == "approve"',
  'case.items[999].quantity == 5 && size(case.items) > 500',
  'case.items.exists(i, i.quantity > 100)',
  // Hostile: each runs out of the read budget, and what it costs is the time to that failure.
  'case.items.map(i, case.note + case.note).size() > 0',
  'case.items.exists(i, i.description + i.description == "")',
  'case.items.map(i, i.tags + i.tags + i.tags).size() > 0',
  'case.items.filter(i, i.sku == "none").size() > 0',
];

const conditions = new CelConditions();
const large = scopeOf(largeCase());
const small = scopeOf({ amount: 12_000, customer: { tier: 'gold' }, items: [{ quantity: 1 }] });
console.log(`case of ${JSON.stringify(large.case).length} bytes; ${RUNS} runs each; times in µs`);
for (const source of SOURCES) {
  for (const [name, scope] of [
    ['1 MiB', large],
    ['small', small],
  ] as const) {
    let value: boolean | string = false;
    const { median, p99 } = timed(RUNS, () => {
      try {
        value = conditions.evaluate(source, scope);
      } catch (error) {
        value = (error as Error).name;
      }
    });
    console.log(
      `${name.padEnd(6)} median ${median.toFixed(1).padStart(8)}  p99 ${p99.toFixed(1).padStart(8)}  ${String(value).padEnd(16)} ${source}`,
    );
  }
}
/** The alternative the views avoid: a copy of the whole case with its numbers converted, per evaluation. */
function converted(value: JsonValue): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(converted);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, converted(item)]));
}
const copy = timed(Math.min(RUNS, 200), () => converted(large.case));
console.log(
  `a converted copy of the 1 MiB case: median ${copy.median.toFixed(1)} µs (p99 ${copy.p99.toFixed(1)})`,
);
let fresh = 0;
const compile = timed(RUNS, () => conditions.check(`case.amount > ${fresh++}`));
const cached = timed(RUNS, () => conditions.check('case.amount > 10000'));
console.log(
  `check: first ${compile.median.toFixed(1)} µs (p99 ${compile.p99.toFixed(1)}), cached ${cached.median.toFixed(2)} µs`,
);
