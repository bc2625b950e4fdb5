/**
 * npm run bench:projections [-- --runs N] [-- --quick]
 * Measures the read side on the embedded store (read models in the event store's file, the default):
 *   rebuild   — events/s replaying 1,000,000 events into empty read models;
 *   live lag  — from an append's acknowledgement to the read models reflecting it, at 20,000 events/s;
 *   lists     — latency of workitem list queries (filters, cursors) over 1,000,000 workitems.
 * The stores it needs are generated once into .bench/ and reused. Figures are medians over the runs.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkitemDocument } from '@wfnet/projections';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { ReadModels } from '../projections/read-models.js';
import type { ListWorkitems } from '../projections/read-models.js';
import { SqliteReadStore } from '../projections/sqlite-read-store.js';
import { appendSimulated, simulateHistories } from './case-simulation.js';
import type { SimulatedAppend } from './case-simulation.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runs = Number(args[args.indexOf('--runs') + 1]) || (quick ? 1 : 5);
const dir = join(process.cwd(), '.bench');
const REBUILD_EVENTS = quick ? 200_000 : 1_000_000;
const WORKITEMS = quick ? 200_000 : 1_000_000;
const LIVE_RATE = 20_000;
const LIVE_SECONDS = quick ? 3 : 10;
const LIST_QUERIES = quick ? 2000 : 10_000;
// Bump when the simulation or the stores' formats change, so stale fixtures are made again.
const FIXTURE_VERSION = 2;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};
const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function removeDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '.lock', '.read-models.lock'])
    rmSync(`${file}${suffix}`, { force: true });
}

/** The first `limit` events of an endless simulation, as whole appends. */
function* firstEvents(limit: number, seed: number): Generator<SimulatedAppend> {
  let events = 0;
  for (const append of simulateHistories({ cases: Number.MAX_SAFE_INTEGER, concurrency: 1000, seed })) {
    if (events >= limit) return;
    events += append.events.length;
    yield append;
  }
}

async function eventFixture(): Promise<string> {
  const file = join(dir, `projections-events-${REBUILD_EVENTS}.db`);
  const marker = `${file}.json`;
  if (existsSync(file) && existsSync(marker)) {
    const meta = JSON.parse(readFileSync(marker, 'utf8')) as { version: number };
    if (meta.version === FIXTURE_VERSION) return file;
  }
  removeDb(file);
  log(`making ${file} (${REBUILD_EVENTS} events, once)`);
  const store = SqliteEventStore.open(file, { synchronous: 'normal' });
  const head = await appendSimulated(store, firstEvents(REBUILD_EVENTS, 1), 512);
  await store.close();
  writeFileSync(marker, JSON.stringify({ version: FIXTURE_VERSION, head: head.toString() }));
  return file;
}

async function rebuildRun(
  fixture: string,
): Promise<{ eventsPerSecond: number; cpuEventsPerSecond: number; events: number }> {
  const file = join(dir, 'rebuild.db');
  removeDb(file);
  copyFileSync(fixture, file);
  const store = SqliteEventStore.open(file, { synchronous: 'normal' });
  const readStore = SqliteReadStore.open(file);
  const runner = new ProjectionRunner(store, readStore);
  const cpu = process.cpuUsage();
  const report = await runner.rebuild((p) => {
    if (!p.done) log(`  rebuild: ${p.events} events, ${p.eventsPerSecond} events/s`);
  });
  const used = process.cpuUsage(cpu);
  readStore.close();
  await store.close();
  removeDb(file);
  return {
    events: report.events,
    eventsPerSecond: report.eventsPerSecond,
    cpuEventsPerSecond: Math.round(report.events / ((used.user + used.system) / 1e6)),
  };
}

/** Appends at LIVE_RATE events/s in 10 ms ticks while the runner follows; lag = applied − acknowledged. */
async function liveRun(seed: number): Promise<{ p50: number; p99: number; max: number; rate: number }> {
  const file = join(dir, 'live.db');
  removeDb(file);
  const store = SqliteEventStore.open(file, { synchronous: 'normal' });
  const readStore = SqliteReadStore.open(file);
  const runner = new ProjectionRunner(store, readStore);
  await runner.start();
  // Decided beforehand: the case decider's own cost is not the read side's.
  const appends = [...firstEvents(LIVE_RATE * LIVE_SECONDS, seed)].values();
  const lags: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  let sent = 0;
  let done = false;
  while (!done) {
    const due = ((performance.now() - started) / 1000) * LIVE_RATE;
    while (sent < due) {
      const next = appends.next();
      if (next.done) {
        done = true;
        break;
      }
      const { streamId, events } = next.value;
      sent += events.length;
      pending.push(
        appendSimulated(store, [{ streamId, events }], 1).then(async (position) => {
          const acknowledged = performance.now();
          await runner.waitFor(position, 30_000);
          lags.push(performance.now() - acknowledged);
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  readStore.close();
  await store.close();
  removeDb(file);
  lags.sort((a, b) => a - b);
  return {
    p50: percentile(lags, 50),
    p99: percentile(lags, 99),
    max: lags[lags.length - 1] ?? 0,
    rate: Math.round(sent / seconds),
  };
}

const TRANSITIONS = Array.from({ length: 40 }, (_, i) => ({
  id: `step-${i}`,
  executor: i % 3 === 0 ? 'auto' : i % 3 === 1 ? 'manual' : 'webhook',
}));

function syntheticWorkitem(n: number): WorkitemDocument {
  const transition = TRANSITIONS[(n * 7) % TRANSITIONS.length] as (typeof TRANSITIONS)[number];
  const caseNo = Math.floor(n / 5);
  const roll = (n * 2654435761) % 100;
  const state = roll < 80 ? 'completed' : roll < 85 ? 'abandoned' : roll < 95 ? 'started' : 'created';
  const at = new Date(Date.UTC(2026, 0, 1) + n * 50).toISOString();
  return {
    id: `c${caseNo}:workitem-${(n % 5) + 1}`,
    lastRevision: 10 + (n % 5) * 8,
    position: String(n * 9 + 17),
    caseId: `c${caseNo}`,
    taskId: `c${caseNo}:task-${(n % 5) + 1}`,
    transitionId: transition.id,
    executor: transition.executor,
    state,
    output: state === 'completed' ? { by: `user-${n % 50}`, score: n % 100 } : null,
    createdAt: at,
    updatedAt: at,
    attempts: 0,
    lastError: null,
    retryAt: null,
    assigned: transition.executor === 'manual',
    candidateGroups: transition.executor === 'manual' ? [`group-${n % 7}`] : [],
    candidateUsers: [],
    assignee: null,
    claimedBy: state === 'started' && transition.executor === 'manual' ? `user-${n % 50}` : null,
    completedBy: state === 'completed' && transition.executor === 'manual' ? `user-${n % 50}` : null,
  };
}

function workitemFixture(): string {
  const file = join(dir, `projections-workitems-${WORKITEMS}.db`);
  const marker = `${file}.json`;
  if (existsSync(file) && existsSync(marker)) {
    const meta = JSON.parse(readFileSync(marker, 'utf8')) as { version: number };
    if (meta.version === FIXTURE_VERSION) return file;
  }
  removeDb(file);
  log(`making ${file} (${WORKITEMS} workitems, once)`);
  const store = SqliteReadStore.open(file);
  for (let n = 0; n < WORKITEMS; n += 10_000) {
    const writes = [];
    for (let i = n; i < Math.min(WORKITEMS, n + 10_000); i++) {
      writes.push({ table: 'workitems', doc: syntheticWorkitem(i), created: true });
    }
    store.commit(writes, BigInt(n + writes.length));
  }
  store.close();
  writeFileSync(marker, JSON.stringify({ version: FIXTURE_VERSION }));
  return file;
}

function listRun(
  file: string,
  seed: number,
): { p50: number; p99: number; max: number; byFilter: Record<string, number> } {
  const store = SqliteReadStore.open(file);
  const readModels = new ReadModels(store);
  let state = seed;
  const rnd = (): number => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const states = ['created', 'started', 'completed', 'abandoned'];
  const filters: { name: string; make: () => ListWorkitems }[] = [
    { name: 'none', make: () => ({}) },
    { name: 'state', make: () => ({ state: pick(states) }) },
    { name: 'caseId', make: () => ({ caseId: `c${Math.floor(rnd() * (WORKITEMS / 5))}` }) },
    { name: 'transitionId', make: () => ({ transitionId: pick(TRANSITIONS).id }) },
    { name: 'executor', make: () => ({ executor: pick(['auto', 'manual', 'webhook']) }) },
    {
      name: 'state+executor',
      make: () => ({ state: pick(states), executor: pick(['auto', 'manual', 'webhook']) }),
    },
    { name: 'state+transitionId', make: () => ({ state: pick(states), transitionId: pick(TRANSITIONS).id }) },
    {
      name: 'caseId+state',
      make: () => ({ caseId: `c${Math.floor(rnd() * (WORKITEMS / 5))}`, state: pick(states) }),
    },
  ];
  const all: number[] = [];
  const byFilter: Record<string, number[]> = {};
  // Cursors to resume from, gathered as the queries go: a client paging deep into a list.
  const cursors = new Map<string, string[]>();
  for (let i = 0; i < LIST_QUERIES; i++) {
    const filter = filters[i % filters.length] as (typeof filters)[number];
    const query = filter.make();
    const key = JSON.stringify(query);
    const known = cursors.get(key);
    const after = known && rnd() < 0.5 ? pick(known) : undefined;
    const limit = rnd() < 0.7 ? 100 : 500;
    const started = performance.now();
    const page = readModels.listWorkitems({ ...query, limit, ...(after !== undefined && { after }) });
    const took = performance.now() - started;
    all.push(took);
    (byFilter[filter.name] ??= []).push(took);
    if (page.next !== null) cursors.set(key, [...(known ?? []).slice(-20), page.next]);
  }
  store.close();
  all.sort((a, b) => a - b);
  const p99ByFilter = Object.fromEntries(
    Object.entries(byFilter).map(([name, times]) => [
      name,
      percentile(
        [...times].sort((a, b) => a - b),
        99,
      ),
    ]),
  );
  return {
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    max: all[all.length - 1] ?? 0,
    byFilter: p99ByFilter,
  };
}

mkdirSync(dir, { recursive: true });
const fixture = await eventFixture();
const workitems = workitemFixture();
const rebuilds: Awaited<ReturnType<typeof rebuildRun>>[] = [];
const lives: Awaited<ReturnType<typeof liveRun>>[] = [];
const lists: ReturnType<typeof listRun>[] = [];
// Each phase starts from a collected heap (with --expose-gc, as the npm script runs it), so one phase's
// garbage does not pause the next one's measurement.
const collect = (): void => (globalThis as { gc?: () => void }).gc?.();
for (let run = 1; run <= runs; run++) {
  log(`run ${run}/${runs}`);
  collect();
  const rebuild = await rebuildRun(fixture);
  log(
    `  rebuild: ${rebuild.events} events at ${rebuild.eventsPerSecond} events/s (${rebuild.cpuEventsPerSecond} per CPU-second)`,
  );
  rebuilds.push(rebuild);
  collect();
  const live = await liveRun(1000 + run);
  log(
    `  live: ${live.rate} events/s appended, lag p50 ${live.p50.toFixed(1)} ms, p99 ${live.p99.toFixed(1)} ms, max ${live.max.toFixed(1)} ms`,
  );
  lives.push(live);
  collect();
  const list = listRun(workitems, run);
  log(`  lists: p50 ${list.p50.toFixed(2)} ms, p99 ${list.p99.toFixed(2)} ms, max ${list.max.toFixed(2)} ms`);
  lists.push(list);
}

const lines = [
  `| measure | median of ${runs} | goal |`,
  '|---|---|---|',
  `| rebuild, ${REBUILD_EVENTS.toLocaleString('en')} events | ${median(rebuilds.map((r) => r.eventsPerSecond)).toLocaleString('en')} events/s (${median(rebuilds.map((r) => r.cpuEventsPerSecond)).toLocaleString('en')} per CPU-second) | ≥ 150,000 events/s |`,
  `| live lag at ${median(lives.map((l) => l.rate)).toLocaleString('en')} events/s appended | p50 ${median(lives.map((l) => l.p50)).toFixed(1)} ms, p99 ${median(lives.map((l) => l.p99)).toFixed(1)} ms, max ${median(lives.map((l) => l.max)).toFixed(1)} ms | p99 < 100 ms |`,
  `| workitem lists over ${WORKITEMS.toLocaleString('en')} rows (${LIST_QUERIES.toLocaleString('en')} queries) | p50 ${median(lists.map((l) => l.p50)).toFixed(2)} ms, p99 ${median(lists.map((l) => l.p99)).toFixed(2)} ms, max ${median(lists.map((l) => l.max)).toFixed(2)} ms | p99 < 10 ms |`,
];
const worst = Object.keys(lists[0]?.byFilter ?? {}).map(
  (name) => `${name} ${median(lists.map((l) => l.byFilter[name] ?? Number.NaN)).toFixed(2)} ms`,
);
console.log(lines.join('\n'));
console.log(`\nlist p99 by filter: ${worst.join(', ')}`);
