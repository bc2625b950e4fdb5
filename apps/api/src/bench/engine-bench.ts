/**
 * npm run bench [-- --quick] [-- --json] [-- --scenario seq3-burst,par-burst] [-- --store memory|sqlite|postgres]
 *               [-- --cases N] [-- --runs N] [-- --duration S] [-- --processes 1,2,3] [-- --pg <url>]
 * `--store postgres` runs seq3-burst and http-manual over HTTP on several api processes beside SQLite
 * (see cluster-bench.ts).
 * xor-burst is told as a ratio to seq3-burst in the same run, so asking for it runs seq3-burst too.
 * `--scenario timers` runs timers-fire, timers-memory and timers-precision (see timers-bench.ts); for
 * them `--cases` is the number of timers, of pending timers and of seq3 cases per burst of load.
 * Drives the whole engine in-process through the command bus (http-manual through the real HTTP server)
 * and prints a table, or with --json one JSON object per scenario and store per line. Latency is from
 * sending CreateCase to seeing the case's CaseFinished in the store. A timed run ends when every case
 * has finished and the read models have reached the store's head. Every run opens a fresh app on a
 * fresh store (SQLite files in a temporary folder, FULL sync unless said otherwise).
 */
import 'reflect-metadata';
import { QueryBus } from '@nestjs/cqrs';
import type { CaseData, JsonValue, WorkflowDefinition } from '@wfnet/domain';
import { normalizeWorkflow } from '@wfnet/domain';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';
import { CaseCommandMessage, CaseHistoryQuery } from '../cases/case.messages.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { SqliteReadStore } from '../projections/sqlite-read-store.js';
import type { Opened, RunFigures, RunLoad, StoreKind } from './bench-app.js';
import type { ClusterRow, ClusterScenario } from './cluster-bench.js';
import { clusterBench, clusterLabel } from './cluster-bench.js';
import {
  Finishes,
  auto,
  benchDir,
  benchFile,
  closeApp,
  createCase,
  createWorkflow,
  loadSampler,
  log,
  manual2Net,
  now,
  openApp,
  percentile,
  readModelsCaughtUp,
  removeBenchDir,
  removeStoreFiles,
  rssSampler,
  runCases,
  runHttpClients,
  seq3Net,
  sleep,
} from './bench-app.js';
import { appendSimulated, simulateHistories, trafficLightNet } from './case-simulation.js';
import { timersFireRun, timersMemoryRun, timersPrecisionRun } from './timers-bench.js';

// Nest's logger writes to stdout; the table or the JSON lines must be all that stdout carries.
const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
const out = (line: string): void => void stdoutWrite(`${line}\n`);

const SCENARIOS = [
  'seq3-burst',
  'xor-burst',
  'seq3-immediate',
  'seq3-serial',
  'par-burst',
  'http-manual',
  'rebuild',
  'big-case',
  'seq3-scale',
  'memory',
  'timers-fire',
  'timers-memory',
  'timers-precision',
] as const;
type Scenario = (typeof SCENARIOS)[number];
/** Names that stand for several scenarios. */
const GROUPS: Readonly<Record<string, readonly Scenario[]>> = {
  timers: ['timers-fire', 'timers-memory', 'timers-precision'],
};

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const quick = args.includes('--quick');
const json = args.includes('--json');
const scenarios = (option('--scenario')?.split(',') ?? [...SCENARIOS]).flatMap<string>(
  (name) => GROUPS[name] ?? [name],
) as Scenario[];
for (const name of scenarios)
  if (!SCENARIOS.includes(name))
    throw new Error(`unknown scenario ${name}; one of ${[...SCENARIOS, ...Object.keys(GROUPS)].join(', ')}`);
if (scenarios.includes('xor-burst') && !scenarios.includes('seq3-burst'))
  scenarios.splice(scenarios.indexOf('xor-burst'), 0, 'seq3-burst');
const asked = option('--store')?.split(',') ?? ['memory', 'sqlite'];
for (const name of asked)
  if (!['memory', 'sqlite', 'postgres'].includes(name))
    throw new Error(`unknown store ${name}; one of memory, sqlite, postgres`);
const stores = asked.filter((name) => name !== 'postgres') as StoreKind[];
const CLUSTER_SCENARIOS: readonly ClusterScenario[] = ['seq3-burst', 'http-manual'];
const clusterScenarios = asked.includes('postgres')
  ? CLUSTER_SCENARIOS.filter((name) => option('--scenario') === undefined || scenarios.includes(name))
  : [];
const processCounts = (option('--processes') ?? '1,2,3').split(',').map(Number);
for (const count of processCounts)
  if (!Number.isInteger(count) || count < 1 || count > 8)
    throw new Error(`--processes takes counts from 1 to 8, e.g. 1,2,3`);
const casesOption = option('--cases') === undefined ? undefined : Number(option('--cases'));
const runsOption = option('--runs') === undefined ? undefined : Number(option('--runs'));
const durationOption = option('--duration') === undefined ? undefined : Number(option('--duration'));

/** Runs per figure: 5 by default; the long scenarios fewer, so that a default run ends within minutes. */
const runsOf = (scenario: Scenario): number =>
  runsOption ??
  (quick || scenario === 'memory' ? 1 : scenario === 'seq3-scale' || scenario.startsWith('timers-') ? 3 : 5);
const casesOf = (scenario: Scenario): number => {
  if (casesOption !== undefined) return casesOption;
  const counts: Record<Scenario, [quick: number, full: number]> = {
    'seq3-burst': [300, 10_000],
    'xor-burst': [300, 10_000],
    'seq3-immediate': [300, 10_000],
    'seq3-serial': [100, 2_000],
    'par-burst': [300, 10_000],
    'http-manual': [200, 3_000],
    rebuild: [20_000, 1_000_000],
    'big-case': [3_000, 100_000],
    'seq3-scale': [0, 0],
    memory: [2_000, 100_000],
    'timers-fire': [2_000, 100_000],
    'timers-memory': [2_000, 1_000_000],
    'timers-precision': [300, 10_000],
  };
  return counts[scenario][quick ? 0 : 1];
};

/**
 * seq3 with a decision on the case's data: `t1` is an xor split to `a` (an even `case.n`) or `b` (the
 * default), both of which lead to `t3`. Each case still completes three automatic steps.
 */
const xorNet = normalizeWorkflow({
  id: 'xor',
  name: 'An automatic step deciding on the case, one of two automatic steps, a last automatic step',
  places: [
    { id: 'start', type: 'start' },
    { id: 'pa' },
    { id: 'pb' },
    { id: 'p2' },
    { id: 'end', type: 'end' },
  ],
  transitions: [auto('t1', { splitType: 'xor' }), auto('a'), auto('b'), auto('t3')],
  arcs: [
    { from: 'start', to: 't1' },
    { from: 't1', to: 'pa', condition: 'case.n % 2 == 0' },
    { from: 't1', to: 'pb', default: true },
    { from: 'pa', to: 'a' },
    { from: 'pb', to: 'b' },
    { from: 'a', to: 'p2' },
    { from: 'b', to: 'p2' },
    { from: 'p2', to: 't3' },
    { from: 't3', to: 'end' },
  ],
});

/** seq3 with `executorParams.immediate`: each case runs to its end in its CreateCase. */
const seq3ImmediateNet = normalizeWorkflow({
  ...seq3Net,
  id: 'seq3-immediate',
  transitions: seq3Net.transitions.map((t) => ({ ...t, executorParams: { immediate: true } })),
});

const parNet = normalizeWorkflow({
  id: 'par',
  name: 'And-split into two automatic branches, and-join',
  places: [
    { id: 'start', type: 'start' },
    { id: 'pa' },
    { id: 'pb' },
    { id: 'pa2' },
    { id: 'pb2' },
    { id: 'end', type: 'end' },
  ],
  transitions: [
    auto('split', { splitType: 'and' }),
    auto('ta'),
    auto('tb'),
    auto('join', { joinType: 'and' }),
  ],
  arcs: [
    { from: 'start', to: 'split' },
    { from: 'split', to: 'pa' },
    { from: 'split', to: 'pb' },
    { from: 'pa', to: 'ta' },
    { from: 'pb', to: 'tb' },
    { from: 'ta', to: 'pa2' },
    { from: 'tb', to: 'pb2' },
    { from: 'pa2', to: 'join' },
    { from: 'pb2', to: 'join' },
    { from: 'join', to: 'end' },
  ],
});

/**
 * Ends a run of cases once the read models have caught up: latency is case created → case finished.
 * `created` holds every case of the run with the time it was created.
 */
async function runFigures(
  opened: Opened,
  finishes: Finishes,
  created: ReadonlyMap<string, number>,
  started: number,
  rss: { stop(): number },
  load: { stop(): RunLoad },
): Promise<RunFigures> {
  await readModelsCaughtUp(opened);
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = rss.stop();
  const runLoad = load.stop();
  await finishes.close();
  const latencies = [...created].map(([id, at]) => (finishes.finishedAt.get(id) ?? Number.NaN) - at);
  const { events } = finishes;
  await closeApp(opened);
  return {
    cases: created.size,
    seconds,
    casesPerSec: created.size / seconds,
    eventsPerSec: events / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    peakRssMb,
    load: runLoad,
  };
}

async function autoRun(
  store: StoreKind,
  net: WorkflowDefinition,
  cases: number,
  mode: 'burst' | 'serial',
  dataOf: (i: number) => JsonValue = () => ({}),
): Promise<RunFigures> {
  const opened = await openApp(store);
  const workflow = await createWorkflow(opened, net);
  const finishes = new Finishes(opened.store, await opened.store.headPosition());
  const rss = rssSampler();
  const load = loadSampler();
  const started = performance.now();
  const created = await runCases(opened, workflow, finishes, cases, mode, { dataOf });
  return runFigures(opened, finishes, created, started, rss, load);
}

async function httpRun(cases: number): Promise<RunFigures> {
  const opened = await openApp('sqlite');
  await createWorkflow(opened, manual2Net);
  const finishes = new Finishes(opened.store, await opened.store.headPosition());
  await opened.app.listen(0, '127.0.0.1');
  const { port } = opened.app.getHttpServer().address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const rss = rssSampler();
  const load = loadSampler();
  const started = performance.now();
  const {
    requests,
    failures: failed,
    created,
  } = await runHttpClients({
    bases: [base],
    workflowId: manual2Net.id,
    cases,
    clients: 32,
    steps: 'manual2',
  });
  for (const failure of failed.slice(0, 3)) log(`  http-manual: ${failure}`);
  const failures = failed.length;
  await Promise.all([...created.keys()].map((id) => finishes.whenFinished(id)));
  const figures = await runFigures(opened, finishes, created, started, rss, load);
  const { seconds } = figures;
  return {
    ...figures,
    extra: {
      requestP50Ms: percentile(requests, 50),
      requestP99Ms: percentile(requests, 99),
      requestsPerSec: requests.length / seconds,
      failures,
    },
  };
}

/**
 * The same fixture as `npm run bench:projections` (simulated cases of four nets, in .bench/), reused
 * when that benchmark already made it; a quick run makes a small one in the temporary folder.
 */
async function rebuildFixture(events: number): Promise<string> {
  const shared = join(process.cwd(), '.bench', `projections-events-${events}.db`);
  if (existsSync(shared) && existsSync(`${shared}.json`)) return shared;
  const file = quick ? join(benchDir, `rebuild-fixture-${events}.db`) : shared;
  if (!quick) mkdirSync(join(process.cwd(), '.bench'), { recursive: true });
  log(`making ${file} (${events} events)`);
  const store = SqliteEventStore.open(file, { synchronous: 'normal' });
  let count = 0;
  function* limited() {
    for (const append of simulateHistories({ cases: Number.MAX_SAFE_INTEGER, concurrency: 1000, seed: 1 })) {
      if (count >= events) return;
      count += append.events.length;
      yield append;
    }
  }
  await appendSimulated(store, limited(), 512);
  await store.close();
  return file;
}

async function rebuildRun(events: number): Promise<RunFigures> {
  const fixture = await rebuildFixture(events);
  const file = benchFile('rebuild');
  copyFileSync(fixture, file);
  const store = SqliteEventStore.open(file, { synchronous: 'full' });
  const readStore = SqliteReadStore.open(file);
  const runner = new ProjectionRunner(store, readStore);
  const rss = rssSampler();
  const load = loadSampler();
  const started = performance.now();
  const report = await runner.rebuild();
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = rss.stop();
  const runLoad = load.stop();
  readStore.close();
  await store.close();
  removeStoreFiles(file);
  return {
    cases: null,
    seconds,
    casesPerSec: null,
    eventsPerSec: report.events / seconds,
    p50Ms: null,
    p99Ms: null,
    peakRssMb,
    load: runLoad,
    extra: { events: report.events },
  };
}

/** The open workitem to complete next: the light goes round, never taking `will-end`. */
function nextWorkitem(state: CaseData): string {
  for (const workitem of state.workitems.values())
    if (
      (workitem.state === 'created' || workitem.state === 'started') &&
      workitem.transitionId !== 'will-end'
    )
      return workitem.id;
  throw new Error('the traffic light has no open workitem');
}

/** Waits until the dispatcher has started every workitem, so that a reopened app has nothing to run. */
async function dispatcherSettled(opened: Opened, caseId: string): Promise<void> {
  for (;;) {
    const state = await opened.engine.loadCase(caseId);
    if (state.status === 'none' || ![...state.workitems.values()].some((w) => w.state === 'created')) return;
    await sleep(2);
  }
}

interface BigCase {
  readonly file: string;
  readonly caseId: string;
  workitemId: string;
  readonly events: number;
}
let bigCase: BigCase | undefined;

/** Made once per process with the real engine (so with its snapshots), on SQLite NORMAL for speed. */
async function bigCaseFixture(events: number): Promise<BigCase> {
  if (bigCase) return bigCase;
  log(`making a traffic-light case of ${events} events`);
  const opened = await openApp('sqlite', { sync: 'normal' });
  const workflow = await createWorkflow(opened, trafficLightNet);
  const caseId = 'light';
  let outcome = await createCase(opened, workflow, caseId);
  // The case is the store's only busy stream, so the global position counts its events (nearly).
  while (outcome.position < BigInt(events)) {
    outcome = await opened.bus.execute(
      new CaseCommandMessage({
        type: 'CompleteWorkitem',
        data: { caseId, workitemId: nextWorkitem(outcome.state), output: null, at: now() },
      }),
    );
  }
  await dispatcherSettled(opened, caseId);
  const history = await opened.app
    .get(QueryBus)
    .execute(new CaseHistoryQuery(caseId, 0n, Number.MAX_SAFE_INTEGER));
  await readModelsCaughtUp(opened);
  await closeApp(opened, true);
  bigCase = {
    file: opened.file ?? '',
    caseId,
    workitemId: nextWorkitem(outcome.state),
    events: history.length,
  };
  return bigCase;
}

async function bigCaseRun(events: number): Promise<RunFigures> {
  const fixture = await bigCaseFixture(events);
  const opened = await openApp('sqlite', { file: fixture.file });
  const rss = rssSampler();
  const started = performance.now();
  const outcome = await opened.bus.execute(
    new CaseCommandMessage({
      type: 'CompleteWorkitem',
      data: { caseId: fixture.caseId, workitemId: fixture.workitemId, output: null, at: now() },
    }),
  );
  const ms = performance.now() - started;
  const peakRssMb = rss.stop();
  fixture.workitemId = nextWorkitem(outcome.state);
  await dispatcherSettled(opened, fixture.caseId);
  await closeApp(opened, true);
  return {
    cases: 1,
    seconds: ms / 1000,
    casesPerSec: null,
    eventsPerSec: null,
    p50Ms: ms,
    p99Ms: ms,
    peakRssMb,
    extra: { historyEvents: fixture.events },
  };
}

/**
 * 100,000 seq3 cases in bursts of 10,000 (RSS after them), then a steady 200 cases/s for the
 * duration, comparing RSS over its first and last tenth. The memory store keeps every event in the
 * process, so only the SQLite figures say anything about the engine's own growth.
 */
async function memoryRun(store: StoreKind, cases: number, durationS: number): Promise<RunFigures> {
  const opened = await openApp(store);
  const workflow = await createWorkflow(opened, seq3Net);
  const finishes = new Finishes(opened.store, await opened.store.headPosition());
  const rss = rssSampler();
  const load = loadSampler();
  const started = performance.now();
  for (let from = 0; from < cases; from += 10_000) {
    const ids = Array.from({ length: Math.min(10_000, cases - from) }, (_, i) => `c${from + i}`);
    await Promise.all(ids.map(async (id) => createCase(opened, workflow, id)));
    await Promise.all(ids.map((id) => finishes.whenFinished(id)));
  }
  await readModelsCaughtUp(opened);
  const seconds = (performance.now() - started) / 1000;
  const runLoad = load.stop();
  const afterCases = process.memoryUsage();
  const afterCasesMb = afterCases.rss / 2 ** 20;
  const rate = 200;
  const samples: number[] = [];
  const steadyStart = performance.now();
  let made = 0;
  while (performance.now() - steadyStart < durationS * 1000) {
    const due = Math.floor(((performance.now() - steadyStart) / 1000) * rate);
    const ids: string[] = [];
    while (made < due) ids.push(`s${made++}`);
    await Promise.all(ids.map((id) => createCase(opened, workflow, id)));
    samples.push(process.memoryUsage.rss() / 2 ** 20);
    await sleep(50);
  }
  await Promise.all(Array.from({ length: made }, (_, i) => finishes.whenFinished(`s${i}`)));
  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const firstMb = percentile(samples.slice(0, tenth), 50);
  const lastMb = percentile(samples.slice(-tenth), 50);
  const peakRssMb = rss.stop();
  await finishes.close();
  await closeApp(opened);
  return {
    cases,
    seconds,
    casesPerSec: cases / seconds,
    eventsPerSec: null,
    p50Ms: null,
    p99Ms: null,
    peakRssMb,
    load: runLoad,
    extra: {
      rssAfterCasesMb: afterCasesMb,
      heapUsedAfterCasesMb: afterCases.heapUsed / 2 ** 20,
      heapTotalAfterCasesMb: afterCases.heapTotal / 2 ** 20,
      externalAfterCasesMb: afterCases.external / 2 ** 20,
      steadySeconds: durationS,
      steadyCases: made,
      steadyFirstTenthMb: firstMb,
      steadyLastTenthMb: lastMb,
    },
  };
}

interface Row {
  readonly scenario: Scenario;
  readonly store: StoreKind;
  readonly runs: readonly RunFigures[];
}

const median = (values: readonly number[]): number => percentile(values, 50);
const medianOf = (runs: readonly RunFigures[], pick: (r: RunFigures) => number | null): number | null => {
  const values = runs.map(pick).filter((v): v is number => v !== null && !Number.isNaN(v));
  return values.length === 0 ? null : median(values);
};
const rangeOf = (
  runs: readonly RunFigures[],
  pick: (r: RunFigures) => number | null,
): [number, number] | null => {
  const values = runs.map(pick).filter((v): v is number => v !== null && !Number.isNaN(v));
  return values.length === 0 ? null : [Math.min(...values), Math.max(...values)];
};

/** Events the store took per case in a run: what each case costs, beside how many went through. */
const eventsPerCase = (run: RunFigures): number | null =>
  run.eventsPerSec === null || run.casesPerSec === null ? null : run.eventsPerSec / run.casesPerSec;

/** xor-burst's cases/s over seq3-burst's on the same store in the same run (medians). */
function ratioToSeq3Burst(row: Row, rows: readonly Row[]): number | null {
  const base = rows.find((other) => other.scenario === 'seq3-burst' && other.store === row.store);
  const baseRate = base && medianOf(base.runs, (r) => r.casesPerSec);
  const rate = medianOf(row.runs, (r) => r.casesPerSec);
  return baseRate && rate !== null ? rate / baseRate : null;
}

/** The goal of a scenario on a store, and whether the medians meet it (undefined: not judged here). */
function goal(row: Row, rows: readonly Row[]): { text: string; met: boolean | undefined } {
  const rate = medianOf(row.runs, (r) => r.casesPerSec) ?? 0;
  const extra = (name: string): number => medianOf(row.runs, (r) => r.extra?.[name] ?? null) ?? Number.NaN;
  const memory = row.store === 'memory';
  switch (row.scenario) {
    case 'seq3-burst':
      return memory
        ? { text: '≥ 5,000 cases/s', met: rate >= 5_000 }
        : { text: '≥ 2,000 cases/s', met: rate >= 2_000 };
    case 'xor-burst': {
      const ratio = ratioToSeq3Burst(row, rows);
      return {
        text: `none (seq3-burst with an xor split on the case; ${ratio === null ? 'no seq3-burst to compare' : `${ratio.toFixed(2)} × seq3-burst`})`,
        met: undefined,
      };
    }
    case 'seq3-immediate':
      return { text: 'none (seq3-burst with auto immediate, for comparison)', met: undefined };
    case 'seq3-serial':
      return memory
        ? { text: 'p50 ≤ 0.5 ms', met: (medianOf(row.runs, (r) => r.p50Ms) ?? Infinity) <= 0.5 }
        : { text: '≥ 400 cases/s', met: rate >= 400 };
    case 'par-burst':
      return memory
        ? { text: '≥ 7,000 cases/s', met: rate >= 7_000 }
        : { text: '≥ 1,500 cases/s', met: rate >= 1_500 };
    case 'http-manual':
      return {
        text: '≥ 1,000 cases/s, request p99 ≤ 50 ms',
        met: rate >= 1_000 && extra('requestP99Ms') <= 50,
      };
    case 'rebuild':
      return {
        text: '≥ 150,000 events/s',
        met: (medianOf(row.runs, (r) => r.eventsPerSec) ?? 0) >= 150_000,
      };
    case 'big-case':
      return { text: '≤ 50 ms', met: (medianOf(row.runs, (r) => r.p50Ms) ?? Infinity) <= 50 };
    case 'seq3-scale': {
      const same = rows.filter((r) => r.scenario === 'seq3-scale' && r.store === row.store);
      const smallest = same[0];
      const largest = same[same.length - 1];
      if (row !== largest || !smallest || smallest === largest)
        return { text: 'see largest', met: undefined };
      const base = medianOf(smallest.runs, (r) => r.casesPerSec) ?? 0;
      return { text: `within 20 % of ${Math.round(base)} cases/s`, met: rate >= base * 0.8 };
    }
    case 'memory': {
      const growth = extra('steadyLastTenthMb') - extra('steadyFirstTenthMb');
      return {
        text: `RSS ≤ 600 MB after the cases; steady load (${extra('steadySeconds')} s) grows ≤ 20 MB`,
        met: extra('rssAfterCasesMb') <= 600 && growth <= 20,
      };
    }
    case 'timers-fire':
      return {
        text: 'every timer fires ≤ 10 s after the instant they are all due',
        met: (medianOf(row.runs, (r) => r.seconds) ?? Infinity) <= 10,
      };
    case 'timers-memory':
      return {
        text: 'service RSS with the pending timers ≤ 100 MB above without them',
        met: extra('rssDifferenceMb') <= 100,
      };
    case 'timers-precision':
      return {
        text: 'p99 of (fired − due) ≤ 200 ms under seq3-burst',
        met: (medianOf(row.runs, (r) => r.p99Ms) ?? Infinity) <= 200,
      };
  }
}

const percentOf = (share: number | undefined): number | null => (share === undefined ? null : share * 100);
const fmt = (value: number | null, digits = 0): string =>
  value === null || Number.isNaN(value)
    ? '–'
    : value >= 100 || digits === 0
      ? Math.round(value).toLocaleString('en-US')
      : value.toFixed(digits);
const withRange = (
  runs: readonly RunFigures[],
  pick: (r: RunFigures) => number | null,
  digits = 0,
): string => {
  const middle = medianOf(runs, pick);
  const range = rangeOf(runs, pick);
  if (middle === null || range === null) return '–';
  return runs.length > 1
    ? `${fmt(middle, digits)} (${fmt(range[0], digits)}–${fmt(range[1], digits)})`
    : fmt(middle, digits);
};

function report(rows: readonly Row[]): void {
  if (json) {
    for (const row of rows) {
      const r = row.runs;
      const extras = Object.keys(r[0]?.extra ?? {});
      const check = goal(row, rows);
      out(
        JSON.stringify({
          scenario: row.scenario,
          store: row.store,
          cases: medianOf(r, (x) => x.cases),
          seconds: medianOf(r, (x) => x.seconds),
          casesPerSec: medianOf(r, (x) => x.casesPerSec),
          eventsPerSec: medianOf(r, (x) => x.eventsPerSec),
          eventsPerCase: medianOf(r, eventsPerCase),
          p50Ms: medianOf(r, (x) => x.p50Ms),
          p99Ms: medianOf(r, (x) => x.p99Ms),
          peakRssMb: medianOf(r, (x) => x.peakRssMb),
          gcShare: medianOf(r, (x) => x.load?.gcShare ?? null),
          processCores: medianOf(r, (x) => x.load?.processCores ?? null),
          mainThreadBusy: medianOf(r, (x) => x.load?.mainThreadBusy ?? null),
          otherThreadBusy: medianOf(r, (x) => x.load?.otherThreadBusy ?? null),
          runs: r.length,
          casesPerSecRange: rangeOf(r, (x) => x.casesPerSec),
          ...(row.scenario === 'xor-burst' && { ratioToSeq3Burst: ratioToSeq3Burst(row, rows) }),
          ...Object.fromEntries(extras.map((name) => [name, medianOf(r, (x) => x.extra?.[name] ?? null)])),
          goal: check.text,
          goalMet: check.met ?? null,
        }),
      );
    }
    return;
  }
  out(
    `\nEngine, node ${process.version}, ${quick ? 'quick (1 run, small counts)' : 'medians of runs (min–max)'}\n`,
  );
  out(
    '| scenario | store | cases | runs | seconds | cases/s | events/s | events/case | p50 ms | p99 ms | peak RSS MB | GC % | cores busy | main thread busy | busiest other thread | goal | met |',
  );
  out('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const row of rows) {
    const r = row.runs;
    const check = goal(row, rows);
    out(
      `| ${row.scenario} | ${row.store} | ${fmt(medianOf(r, (x) => x.cases))} | ${r.length} | ${withRange(r, (x) => x.seconds, 2)} | ${withRange(r, (x) => x.casesPerSec)} | ${withRange(r, (x) => x.eventsPerSec)} | ${fmt(medianOf(r, eventsPerCase), 1)} | ${withRange(r, (x) => x.p50Ms, 2)} | ${withRange(r, (x) => x.p99Ms, 2)} | ${fmt(medianOf(r, (x) => x.peakRssMb))} | ${withRange(r, (x) => percentOf(x.load?.gcShare), 1)} | ${withRange(r, (x) => x.load?.processCores ?? null, 2)} | ${withRange(r, (x) => x.load?.mainThreadBusy ?? null, 2)} | ${withRange(r, (x) => x.load?.otherThreadBusy ?? null, 2)} | ${check.text} | ${check.met === undefined ? '' : check.met ? 'yes' : 'NO'} |`,
    );
  }
  if (rows.some((row) => row.scenario === 'memory' && (row.runs[0]?.extra?.['steadySeconds'] ?? 0) < 600))
    out(
      "\nmemory: the steady load was shorter than the goal's 10 minutes: ask --scenario memory --duration 600",
    );
  out("peak RSS is the process's: runs share one process, so it includes what earlier runs left on the heap");
  out(
    "GC %: the main thread's garbage-collection pauses over the run's wall time; cores busy: the process's CPU time (all threads) over it; main thread busy: its CPU time over it (on Linux or Node ≥ 23.9; else the event loop's utilisation); busiest other thread: the same for the busiest thread beside it (Linux)",
  );
  const extras = rows.filter((row) => row.runs[0]?.extra);
  if (extras.length > 0) out('');
  for (const row of extras) {
    const names = Object.keys(row.runs[0]?.extra ?? {});
    out(
      `${row.scenario} ${row.store}: ${names.map((name) => `${name} ${withRange(row.runs, (x) => x.extra?.[name] ?? null, 2)}`).join(', ')}`,
    );
  }
}

async function measure(scenario: Scenario, store: StoreKind, cases: number): Promise<Row> {
  const runs: RunFigures[] = [];
  const count = runsOf(scenario);
  for (let run = 1; run <= count; run++) {
    let figures: RunFigures;
    switch (scenario) {
      case 'seq3-burst':
      case 'seq3-scale':
        figures = await autoRun(store, seq3Net, cases, 'burst');
        break;
      case 'xor-burst':
        figures = await autoRun(store, xorNet, cases, 'burst', (i) => ({ n: i }));
        break;
      case 'seq3-immediate':
        figures = await autoRun(store, seq3ImmediateNet, cases, 'burst');
        break;
      case 'seq3-serial':
        figures = await autoRun(store, seq3Net, cases, 'serial');
        break;
      case 'par-burst':
        figures = await autoRun(store, parNet, cases, 'burst');
        break;
      case 'http-manual':
        figures = await httpRun(cases);
        break;
      case 'rebuild':
        figures = await rebuildRun(cases);
        break;
      case 'big-case':
        figures = await bigCaseRun(cases);
        break;
      case 'memory':
        figures = await memoryRun(store, cases, durationOption ?? (quick ? 5 : 60));
        break;
      case 'timers-fire':
        figures = await timersFireRun(cases);
        break;
      case 'timers-memory':
        figures = await timersMemoryRun(cases, quick ? 500 : 5_000, quick ? 4 : 20);
        break;
      case 'timers-precision':
        figures = await timersPrecisionRun(
          cases,
          quick ? 50 : 1_000,
          quick ? 1_000 : 3_000,
          quick ? 1_000 : 8_000,
        );
        break;
    }
    const extras = Object.entries(figures.extra ?? {}).map(([name, value]) => `, ${name} ${fmt(value, 2)}`);
    const { load } = figures;
    const loadText = load
      ? `, GC ${(load.gcShare * 100).toFixed(1)} %, cores ${load.processCores.toFixed(2)}, main ${load.mainThreadBusy.toFixed(2)}, other ${fmt(load.otherThreadBusy, 2)}`
      : '';
    log(
      `${scenario} ${store} ${cases} run ${run}/${count}: ${figures.seconds.toFixed(2)} s, ${fmt(figures.casesPerSec)} cases/s, ${fmt(figures.eventsPerSec)} events/s, p50 ${fmt(figures.p50Ms, 2)} ms, p99 ${fmt(figures.p99Ms, 2)} ms, RSS ${fmt(figures.peakRssMb)} MB${loadText}${extras.join('')}`,
    );
    runs.push(figures);
  }
  return { scenario, store, runs };
}

/** Scenarios that only make sense on the embedded store (a real server on disk, a cold reopen, a file). */
const SQLITE_ONLY: readonly Scenario[] = [
  'http-manual',
  'rebuild',
  'big-case',
  'timers-fire',
  'timers-memory',
  'timers-precision',
];

/** The cluster benchmark's table: each configuration's medians beside the others'. */
function reportCluster(rows: readonly ClusterRow[]): void {
  if (json) {
    for (const row of rows) {
      const r = row.runs;
      out(
        JSON.stringify({
          scenario: row.scenario,
          store: row.store,
          processes: row.processes,
          cases: medianOf(r, (x) => x.cases),
          runs: r.length,
          casesPerSec: medianOf(r, (x) => x.casesPerSec),
          casesPerSecRange: rangeOf(r, (x) => x.casesPerSec),
          p50Ms: medianOf(r, (x) => x.p50Ms),
          p99Ms: medianOf(r, (x) => x.p99Ms),
          requestP99Ms: medianOf(r, (x) => x.extra?.['requestP99Ms'] ?? null),
          eventsPerCase: medianOf(r, (x) => x.extra?.['eventsPerCase'] ?? null),
          failures: medianOf(r, (x) => x.extra?.['failures'] ?? null),
        }),
      );
    }
    return;
  }
  out(
    `\nSeveral processes over HTTP, node ${process.version}, medians of runs (min–max), runs interleaved\n`,
  );
  out(
    '| scenario | store | cases | runs | cases/s | case p50 ms | case p99 ms | request p99 ms | events/case | failed requests |',
  );
  out('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const r = row.runs;
    out(
      `| ${row.scenario} | ${clusterLabel(row)} | ${fmt(medianOf(r, (x) => x.cases))} | ${r.length} | ${withRange(r, (x) => x.casesPerSec)} | ${withRange(r, (x) => x.p50Ms, 1)} | ${withRange(r, (x) => x.p99Ms, 1)} | ${withRange(r, (x) => x.extra?.['requestP99Ms'] ?? null, 1)} | ${fmt(
        medianOf(r, (x) => x.extra?.['eventsPerCase'] ?? null),
        1,
      )} | ${fmt(medianOf(r, (x) => x.extra?.['failures'] ?? null))} |`,
    );
  }
}

const rows: Row[] = [];
try {
  if (clusterScenarios.length > 0)
    reportCluster(
      await clusterBench({
        scenarios: clusterScenarios,
        processCounts,
        runs: runsOption ?? (quick ? 1 : 3),
        casesOf,
        postgresUrl: option('--pg'),
      }),
    );
  for (const scenario of scenarios) {
    for (const store of stores) {
      if (SQLITE_ONLY.includes(scenario) && store !== 'sqlite') continue;
      if (scenario === 'seq3-scale') {
        const sizes =
          casesOption !== undefined ? [casesOption] : quick ? [100, 300, 1_000] : [1_000, 10_000, 100_000];
        for (const size of sizes) rows.push(await measure(scenario, store, size));
      } else rows.push(await measure(scenario, store, casesOf(scenario)));
    }
  }
  if (rows.length > 0) report(rows);
} finally {
  removeBenchDir();
}
