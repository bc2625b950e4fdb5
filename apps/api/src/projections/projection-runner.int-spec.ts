import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { RecordedEvent } from '@wfnet/domain';
import type { Document } from '@wfnet/projections';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';
import { appendSimulated, simulateHistories } from '../bench/case-simulation.js';
import type { SimulationOptions } from '../bench/case-simulation.js';
import { ProjectionRunner } from './projection-runner.js';
import { dumpReadModels, foldReadModels } from './read-model-dump.js';
import { SqliteReadStore } from './sqlite-read-store.js';
import { readModelsFileBeside } from '../stores/store-kinds.js';
import { ObservedReadStore, appendIncidents, appendTimers, readEverything } from './testing-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'wfnet-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = (): string => join(dir, `store-${++files}.db`);

/** The compiled tools; `npm test` builds them with `tsc -b` before the int tier. */
const tools = join(dirname(fileURLToPath(import.meta.url)), '../../dist/tools');
const child = join(tools, 'projection-runner-child.js');
const rebuildCommand = join(tools, 'rebuild-read-models.js');

async function seed(file: string, options: SimulationOptions): Promise<bigint> {
  const store = SqliteEventStore.open(file, { synchronous: 'normal' });
  const head = await appendSimulated(store, simulateHistories(options));
  await store.close();
  return head;
}

async function eventsOf(file: string): Promise<RecordedEvent[]> {
  const store = SqliteEventStore.open(file, { synchronous: 'normal' });
  const events = await readEverything(store);
  await store.close();
  return events;
}

/** What the file's read models hold, and whether that is exactly the fold of the events up to their checkpoint. */
async function inspect(file: string, readModelsFile = file) {
  const events = await eventsOf(file);
  const store = SqliteReadStore.open(readModelsFile);
  const checkpoint = store.checkpoint();
  const dump = dumpReadModels(store);
  store.close();
  const upTo = events.filter((e) => e.position <= checkpoint);
  return {
    checkpoint,
    events,
    upTo,
    consistent: JSON.stringify(dump) === JSON.stringify(foldReadModels(upTo)),
  };
}

function runChild(file: string, args: readonly string[], killAfterMs?: number) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>(
    (resolve, reject) => {
      const process_ = spawn(process.execPath, [child, file, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      process_.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      if (killAfterMs !== undefined) setTimeout(() => process_.kill('SIGKILL'), killAfterMs);
      process_.on('error', reject);
      process_.on('close', (code, signal) => resolve({ code, signal, out }));
    },
  );
}

describe('the projection runner on the embedded store, read models in the same file', () => {
  it('catches up, follows live appends, and resumes from its checkpoint after a restart', async () => {
    const file = freshFile();
    await seed(file, { cases: 40, seed: 1 });
    const events = SqliteEventStore.open(file, { synchronous: 'normal' });
    const first = SqliteReadStore.open(file);
    const runner = new ProjectionRunner(events, first, { batchSize: 300 });
    await runner.start();
    const position = await appendSimulated(events, simulateHistories({ cases: 20, seed: 2 }));
    await runner.waitFor(position);
    await runner.stop();
    first.close();

    const again = new ObservedReadStore(SqliteReadStore.open(file));
    expect(again.checkpoint()).toBe(position);
    const restarted = new ProjectionRunner(events, again);
    await restarted.start();
    expect(again.writes).toBe(0);
    await appendSimulated(events, simulateHistories({ cases: 5, seed: 3 }));
    const more = await appendTimers(events);
    await restarted.waitFor(more);
    const dump = dumpReadModels(again);
    expect(dump).toEqual(foldReadModels(await readEverything(events)));
    expect(dump['timers']?.length).toBeGreaterThan(0);
    await restarted.stop();
    again.close();
    await events.close();
  }, 60_000);

  // Many concurrent cases from `simulateHistories` (the real decider, random choices) on the real store;
  // projection-runner.spec.ts runs the same property over the domain's own `arbitraryCaseHistory`.
  it('rebuilds read models equal to the ones it built incrementally, for any simulated history', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          cases: fc.integer({ min: 1, max: 40 }),
          concurrency: fc.integer({ min: 1, max: 20 }),
          chunks: fc.integer({ min: 1, max: 6 }),
          batchSize: fc.integer({ min: 1, max: 400 }),
        }),
        async ({ seed, cases, concurrency, chunks, batchSize }) => {
          const file = freshFile();
          const events = SqliteEventStore.open(file, { synchronous: 'normal' });
          const readStore = SqliteReadStore.open(file);
          const runner = new ProjectionRunner(events, readStore, { batchSize });
          await runner.start();
          const appends = [...simulateHistories({ seed, cases, concurrency })];
          const size = Math.ceil(appends.length / chunks);
          for (let i = 0; i < appends.length; i += size) {
            await runner.waitFor(await appendSimulated(events, appends.slice(i, i + size), 1 + (i % 64)));
          }
          await runner.waitFor(await appendTimers(events));
          const incremental = dumpReadModels(readStore);
          await runner.rebuild();
          const rebuilt = dumpReadModels(readStore);
          await runner.stop();
          readStore.close();
          await events.close();
          expect(rebuilt).toEqual(incremental);
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);
});

describe('the projection runner replaying on worker threads', () => {
  const sequentialDump = async (file: string) => {
    const events = SqliteEventStore.open(file, { synchronous: 'normal' });
    const readStore = SqliteReadStore.open(`${file}.sequential.db`);
    await new ProjectionRunner(events, readStore, { parallelReplay: false }).rebuild();
    const dump = dumpReadModels(readStore);
    readStore.close();
    await events.close();
    return dump;
  };

  it('rebuilds the read models one thread builds, in the same creation order, for any simulated history', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          simulation: fc.integer({ min: 1, max: 1_000_000 }),
          cases: fc.integer({ min: 1, max: 60 }),
          concurrency: fc.integer({ min: 1, max: 30 }),
          threads: fc.integer({ min: 1, max: 3 }),
          rangeSize: fc.integer({ min: 1, max: 700 }),
          lookahead: fc.integer({ min: 0, max: 3 }),
          cacheSize: fc.integer({ min: 0, max: 50 }),
        }),
        async ({ simulation, cases, concurrency, ...parallelReplay }) => {
          const file = freshFile();
          const head = await seed(file, { seed: simulation, cases, concurrency });
          const events = SqliteEventStore.open(file, { synchronous: 'normal' });
          const readStore = SqliteReadStore.open(file);
          const lines: string[] = [];
          const runner = new ProjectionRunner(events, readStore, {
            parallelReplay: { ...parallelReplay, minEvents: 0 },
            log: (line) => lines.push(line),
          });
          const report = await runner.rebuild();
          const rebuilt = dumpReadModels(readStore);
          readStore.close();
          await events.close();
          expect({ position: report.position, events: report.events, lines }).toEqual({
            position: head,
            events: Number(head),
            lines: [
              `read models: catching up from position 0 to ${head} on ${parallelReplay.threads} worker threads`,
              expect.stringMatching(/^read models rebuilt/),
            ],
          });
          expect(rebuilt).toEqual(await sequentialDump(file));
        },
      ),
      { numRuns: 10 },
    );
  }, 120_000);

  it('rebuilds the incident and timer tables and the cases’ open incidents as one thread does', async () => {
    const file = freshFile();
    await seed(file, { cases: 60, seed: 8, concurrency: 30, leaveOpen: 0.5 });
    const writer = SqliteEventStore.open(file, { synchronous: 'normal' });
    const head = await appendIncidents(writer);
    const timersHead = await appendTimers(writer);
    await writer.close();
    const events = SqliteEventStore.open(file, { synchronous: 'normal' });
    const readStore = SqliteReadStore.open(file);
    await new ProjectionRunner(events, readStore, {
      parallelReplay: { minEvents: 0, rangeSize: 50, threads: 2 },
    }).rebuild();
    const rebuilt = dumpReadModels(readStore);
    readStore.close();
    await events.close();
    const incidents = rebuilt['incidents'] ?? [];
    expect(incidents.length).toBeGreaterThan(12);
    expect(incidents.at(-1)?.position).toBe(head.toString());
    const timers = rebuilt['timers'] ?? [];
    expect(timers.length).toBeGreaterThan(40);
    expect(timers.some((timer) => timer.position === timersHead.toString())).toBe(true);
    expect(rebuilt).toEqual(await sequentialDump(file));
  });

  it('catches up from a checkpoint, taking the documents it already holds from the store', async () => {
    const file = freshFile();
    const head = await seed(file, { cases: 120, seed: 21, concurrency: 60 });
    const events = SqliteEventStore.open(file, { synchronous: 'normal' });
    const recorded = await readEverything(events);
    const readStore = SqliteReadStore.open(file);
    const half = recorded.slice(0, Math.floor(recorded.length / 2));
    new ProjectionRunner(events, readStore, { parallelReplay: false }).apply(half);
    const checkpoint = readStore.checkpoint();
    // The workers keep no document between ranges: every one an event updates comes from the store or
    // from a range not yet committed.
    const lines: string[] = [];
    const runner = new ProjectionRunner(events, readStore, {
      parallelReplay: { minEvents: 0, rangeSize: 40, cacheSize: 0, lookahead: 3, threads: 2 },
      log: (line) => lines.push(line),
    });
    await runner.start();
    await runner.stop();
    // On the threads all the way: no line of a fallback to the runner's own thread.
    expect(lines).toEqual([
      `read models: catching up from position ${checkpoint} to ${head} on 2 worker threads`,
      expect.stringMatching(/^read models caught up/),
    ]);
    expect(readStore.checkpoint()).toBe(head);
    expect(dumpReadModels(readStore)).toEqual(foldReadModels(recorded));
    readStore.close();
    await events.close();
  }, 60_000);

  it('goes on in its own thread from the last range committed when a range cannot be', async () => {
    const file = freshFile();
    const head = await seed(file, { cases: 40, seed: 22 });
    const events = SqliteEventStore.open(file, { synchronous: 'normal' });
    const recorded = await readEverything(events);
    const readStore = SqliteReadStore.open(file);
    // A case the store already holds, though the events that create it are past the checkpoint: the
    // replay's insert of it fails, and the runner's careful path takes over.
    const lastCase = [...recorded].reverse().find((e) => e.type === 'CaseCreated');
    const caseId = (lastCase?.data as { caseId: string }).caseId;
    readStore.commit(
      [{ table: 'cases', doc: { id: caseId, lastRevision: -1, position: '0' }, created: true }],
      0n,
    );
    const lines: string[] = [];
    const runner = new ProjectionRunner(events, readStore, {
      parallelReplay: { minEvents: 0, rangeSize: 100 },
      log: (line) => lines.push(line),
    });
    await runner.start();
    await runner.stop();
    expect(lines).toEqual([
      expect.stringMatching(/^read models: catching up from position 0 to \d+ on \d worker threads$/),
      expect.stringMatching(
        /^read models: the replay on worker threads stopped at position \d+ \(.*UNIQUE.*\); going on in this thread$/,
      ),
      expect.stringMatching(/^read models caught up/),
    ]);
    expect(readStore.checkpoint()).toBe(head);
    // The same documents; only the case written beforehand takes another place in creation order.
    const byId = (docs: readonly Document[]) => [...docs].sort((a, b) => a.id.localeCompare(b.id));
    const dump = dumpReadModels(readStore);
    const fold = foldReadModels(recorded);
    expect({ ...dump, cases: byId(dump.cases ?? []) }).toEqual({ ...fold, cases: byId(fold.cases ?? []) });
    readStore.close();
    await events.close();
  }, 60_000);
});

describe('the projection runner killed in the middle of a batch', () => {
  it('is compiled for the child process', () => {
    expect(existsSync(child)).toBe(true);
  });

  it('loses the whole batch it was writing and nothing else, then catches up without applying an event twice', async () => {
    const file = freshFile();
    const head = await seed(file, { cases: 200, seed: 5, concurrency: 40 });
    const batchSize = 500;

    const crashed = await runChild(file, [
      '--batch-size',
      String(batchSize),
      '--crash-at-commit',
      '7',
      '--crash-after-writes',
      '120',
    ]);
    expect(crashed.signal).toBe('SIGKILL');
    const afterCrash = await inspect(file);
    // Six batches committed; the seventh died after 120 of its writes and left no trace.
    expect(afterCrash.upTo).toHaveLength(6 * batchSize);
    expect(afterCrash.checkpoint).toBe(afterCrash.events[6 * batchSize - 1]?.position);
    expect(afterCrash.consistent).toBe(true);

    const resumed = await runChild(file, ['--batch-size', String(batchSize)]);
    expect(resumed).toMatchObject({ code: 0, out: `caught-up ${head}\n` });
    const final = await inspect(file);
    expect(final.checkpoint).toBe(head);
    expect(final.consistent).toBe(true);
  }, 60_000);

  it.each([
    ['on its own thread', ['--batch-size', '97']],
    ['on worker threads', ['--parallel', '300']],
  ])(
    'stays consistent through SIGKILLs at random instants %s, and ends where an uninterrupted run ends',
    async (_, args) => {
      const file = freshFile();
      const head = await seed(file, { cases: 600, seed: 9, concurrency: 100 });
      const checkpoints: bigint[] = [];
      for (const delay of [150, 220, 300, 380, 460]) {
        const killed = await runChild(file, args, delay);
        const state = await inspect(file);
        expect({ signal: killed.signal ?? 'exited', consistent: state.consistent }).toEqual({
          signal: killed.signal ?? 'exited',
          consistent: true,
        });
        checkpoints.push(state.checkpoint);
      }
      // Were every kill to land after the end, this test would prove nothing.
      expect(checkpoints.filter((c) => c < head).length).toBeGreaterThan(1);
      expect(checkpoints).toEqual([...checkpoints].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      const resumed = await runChild(file, args);
      expect(resumed.code).toBe(0);
      const final = await inspect(file);
      expect(final.checkpoint).toBe(head);
      expect(final.consistent).toBe(true);
    },
    120_000,
  );
});

describe('the rebuild command', () => {
  function rebuild(env: Record<string, string>) {
    return new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const process_ = spawn(process.execPath, [rebuildCommand], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WFNET_READ_STORE: '', ...env },
      });
      let out = '';
      let err = '';
      process_.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      process_.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      process_.on('error', reject);
      process_.on('close', (code) => resolve({ code, out, err }));
    });
  }

  it('replaces read models that went wrong with the fold of every event, in their file beside the events', async () => {
    const file = freshFile();
    const head = await seed(file, { cases: 30, seed: 12 });
    const broken = SqliteReadStore.open(readModelsFileBeside(file));
    broken.commit(
      [{ table: 'cases', doc: { id: 'ghost', lastRevision: 0, position: '1' }, created: true }],
      3n,
    );
    broken.close();

    const result = await rebuild({ WFNET_EVENT_STORE: `sqlite:${file}` });
    expect(result).toMatchObject({
      code: 0,
      out: expect.stringContaining(`rebuilt: ${head} events to position ${head}`),
    });
    const state = await inspect(file, readModelsFileBeside(file));
    expect(state.checkpoint).toBe(head);
    expect(state.consistent).toBe(true);
  }, 60_000);

  it('writes to the read store WFNET_READ_STORE names', async () => {
    const file = freshFile();
    const readFile = join(dir, `read-models-${files}.db`);
    const head = await seed(file, { cases: 10, seed: 13 });
    const result = await rebuild({
      WFNET_EVENT_STORE: `sqlite:${file}`,
      WFNET_READ_STORE: `sqlite:${readFile}`,
    });
    expect(result.code).toBe(0);
    const store = SqliteReadStore.open(readFile);
    expect(store.checkpoint()).toBe(head);
    expect(dumpReadModels(store)).toEqual(foldReadModels(await eventsOf(file)));
    store.close();
  }, 60_000);

  it('refuses a memory store, which has nothing to rebuild from', async () => {
    const result = await rebuild({ WFNET_EVENT_STORE: 'memory' });
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/nothing to rebuild/);
  }, 60_000);
});
