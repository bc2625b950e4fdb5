/**
 * `npm run bench:store [-- --runs 5] [-- --postgres postgres://user:password@host/db]`: throughput of the
 * event stores, medians of several runs, each on a fresh store (SQLite files in a temporary folder, removed
 * afterwards; with `--postgres`, a new database on that server per run, left there).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore, EventToAppend, ExpectedRevision } from '@wfnet/domain';
import { createDatabase } from '../cluster/postgres-server.js';
import { v7 } from 'uuid';
import { AggregateRepository } from '../aggregates/aggregate-repository.js';
import { counterCodec, counterDecider } from '../aggregates/counter.fixture.js';
import type { CounterEvent } from '../aggregates/counter.fixture.js';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { PostgresEventStore, PostgresSnapshotStore } from '../event-store/postgres-event-store.js';
import { MemorySnapshotStore, SqliteSnapshotStore } from '../event-store/snapshot-store.js';
import type { SnapshotStore } from '../event-store/snapshot-store.js';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg === -1 ? 5 : Number(process.argv[runsArg + 1]);
const postgresArg = process.argv.indexOf('--postgres');
const POSTGRES_URL = postgresArg === -1 ? undefined : process.argv[postgresArg + 1];
const SINGLE_APPENDS = 1000;
const WRITERS = 64;
const APPENDS_PER_WRITER = 20;
const EVENTS_PER_APPEND = 30;
const STREAM_READS = 5000;
const BIG_CASE_EVENTS = 100_000;

interface Target {
  readonly name: string;
  open(file: string): Promise<{ store: EventStore; snapshots: SnapshotStore }>;
}

const targets: readonly Target[] = [
  {
    name: 'memory',
    open: () => Promise.resolve({ store: new MemoryEventStore(), snapshots: new MemorySnapshotStore() }),
  },
  ...(['full', 'normal'] as const).map((synchronous) => ({
    name: `sqlite ${synchronous.toUpperCase()}`,
    open: (file: string) =>
      Promise.resolve({
        store: SqliteEventStore.open(file, { synchronous }),
        snapshots: SqliteSnapshotStore.open(file),
      }),
  })),
  ...(POSTGRES_URL === undefined
    ? []
    : [
        {
          name: 'postgres',
          open: async () => {
            const store = PostgresEventStore.open(await createDatabase(POSTGRES_URL, 'wfnet_bench'));
            return { store, snapshots: new PostgresSnapshotStore(store) };
          },
        },
      ]),
];

interface Figures {
  singleAppendsPerSecond: number;
  concurrentEventsPerSecond: number;
  appendsPerTransaction: number | undefined;
  streamReadsPerSecond: number;
  readAllEventsPerSecond: number;
  bigCaseLoadMs: number;
  bigCaseReplayMs: number;
}

const payload = (n: number) => ({
  caseId: 'c-1',
  taskId: `t-${n % 17}`,
  tokenIds: ['p1', 'p2'],
  at: '2024-05-01T10:00:00.000Z',
});
const batch = (size: number): EventToAppend[] =>
  Array.from({ length: size }, (_, n) => ({ id: v7(), type: 'TokensLocked', data: payload(n) }));

async function seconds(body: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await body();
  return (performance.now() - started) / 1000;
}

async function runOnce(target: Target, file: string): Promise<Figures> {
  const { store, snapshots } = await target.open(file);

  const single = await seconds(async () => {
    const revisions = new Map<string, bigint>();
    for (let i = 0; i < SINGLE_APPENDS; i++) {
      const stream = `single-${i % 10}`;
      const expected: ExpectedRevision = revisions.get(stream) ?? 'no_stream';
      revisions.set(stream, (await store.append(stream, batch(1), expected)).nextRevision);
    }
  });

  const before = store instanceof SqliteEventStore ? store.stats : undefined;
  const concurrent = await seconds(async () => {
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        let expected: ExpectedRevision = 'no_stream';
        for (let i = 0; i < APPENDS_PER_WRITER; i++) {
          expected = (await store.append(`writer-${w}`, batch(EVENTS_PER_APPEND), expected)).nextRevision;
        }
      }),
    );
  });
  const after = store instanceof SqliteEventStore ? store.stats : undefined;

  const repository = new AggregateRepository(store, snapshots, counterDecider, counterCodec);
  for (let written = 0; written < BIG_CASE_EVENTS; written += 1000) {
    await repository.handle({ type: 'AddMany', data: { board: 'big', count: 1000, keys: 997 } });
  }
  await repository.handle({ type: 'AddMany', data: { board: 'big', count: 123, keys: 997 } });

  const streamReads = await seconds(async () => {
    for (let i = 0; i < STREAM_READS; i++) await store.readStream(`single-${i % 10}`, { maxCount: 30 });
  });

  let readAllEvents = 0;
  const readAll = await seconds(async () => {
    let after: bigint | undefined;
    for (;;) {
      const page = await store.readAll({ after, maxCount: 1000 });
      if (page.length === 0) break;
      readAllEvents += page.length;
      after = page[page.length - 1]?.position;
    }
  });

  const load = await seconds(async () => {
    const cold = new AggregateRepository(store, snapshots, counterDecider, counterCodec);
    const loaded = await cold.load('board-big');
    if (loaded.source !== 'snapshot') throw new Error(`the big case loaded by ${loaded.source}`);
  });
  const replay = await seconds(async () => {
    const events = await store.readStream('board-big');
    counterDecider.fold(
      counterDecider.initialState(),
      events.map((e) => ({ type: e.type, data: e.data }) as CounterEvent),
    );
  });

  await snapshots.close();
  await store.close();
  return {
    singleAppendsPerSecond: SINGLE_APPENDS / single,
    concurrentEventsPerSecond: (WRITERS * APPENDS_PER_WRITER * EVENTS_PER_APPEND) / concurrent,
    appendsPerTransaction:
      before && after
        ? (after.appends - before.appends) / (after.transactions - before.transactions)
        : undefined,
    streamReadsPerSecond: STREAM_READS / streamReads,
    readAllEventsPerSecond: readAllEvents / readAll,
    bigCaseLoadMs: load * 1000,
    bigCaseReplayMs: replay * 1000,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const rows: [string, (f: Figures) => number | undefined, string][] = [
  ['single writer, 1-event appends', (f) => f.singleAppendsPerSecond, 'appends/s'],
  [`${WRITERS} writers, ${EVENTS_PER_APPEND}-event appends`, (f) => f.concurrentEventsPerSecond, 'events/s'],
  ['  appends per transaction (group commit)', (f) => f.appendsPerTransaction, ''],
  ['stream reads (30 events)', (f) => f.streamReadsPerSecond, 'reads/s'],
  ['read-all', (f) => f.readAllEventsPerSecond, 'events/s'],
  ['100,123-event case: load (snapshot + tail)', (f) => f.bigCaseLoadMs, 'ms'],
  ['100,123-event case: full replay, for comparison', (f) => f.bigCaseReplayMs, 'ms'],
];

const dir = mkdtempSync(join(tmpdir(), 'wfnet-bench-'));
try {
  const results = new Map<string, Figures[]>();
  for (let run = 0; run < RUNS; run++) {
    for (const target of targets) {
      const figures = await runOnce(target, join(dir, `${target.name.replace(' ', '-')}-${run}.db`));
      results.set(target.name, [...(results.get(target.name) ?? []), figures]);
      process.stderr.write(`run ${run + 1}/${RUNS} ${target.name} done\n`);
    }
  }
  const format = (value: number | undefined) =>
    value === undefined ? '–' : value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
  console.log(`\nEvent stores, medians of ${RUNS} runs (node ${process.version}, ${process.platform})\n`);
  console.log(`| measure | unit | ${targets.map((t) => t.name).join(' | ')} |`);
  console.log(`|---|---|${targets.map(() => '---:').join('|')}|`);
  for (const [label, pick, unit] of rows) {
    const cells = targets.map((t) => {
      const values = (results.get(t.name) ?? []).map(pick);
      return format(values.some((v) => v === undefined) ? undefined : median(values as number[]));
    });
    console.log(`| ${label} | ${unit} | ${cells.join(' | ')} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
