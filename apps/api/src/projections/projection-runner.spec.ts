import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { arbitraryCaseHistory } from '@wfnet/domain/testing';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { appendSimulated, simulateHistories } from '../bench/case-simulation.js';
import { MemoryReadStore } from './memory-read-store.js';
import { ProjectionRunner } from './projection-runner.js';
import { ProjectionLaggingError } from './read-model-runner.js';
import { dumpReadModels, foldReadModels } from './read-model-dump.js';
import { ObservedReadStore, readEverything } from './testing-spec.js';

const runners: ProjectionRunner[] = [];

async function setUp(cases: number, seed = 7) {
  const store = new MemoryEventStore();
  const head = await appendSimulated(store, simulateHistories({ cases, seed, concurrency: 10 }));
  const readStore = new ObservedReadStore(new MemoryReadStore());
  const logs: string[] = [];
  const runner = new ProjectionRunner(store, readStore, {
    batchSize: 100,
    retryDelayMs: 10,
    log: (l) => logs.push(l),
  });
  runners.push(runner);
  return { store, head, readStore, runner, logs };
}

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
});

describe('a projection runner', () => {
  describe('given a store with history', () => {
    it('catches up on start: the read models equal the views folded over every event', async () => {
      const { store, head, readStore, runner } = await setUp(30);
      await runner.start();
      expect(runner.position).toBe(head);
      expect(readStore.checkpoint()).toBe(head);
      expect(dumpReadModels(readStore)).toEqual(foldReadModels(await readEverything(store)));
    });

    it('lets other work run between the pages of a long catch-up', async () => {
      const { runner } = await setUp(30);
      let turns = 0;
      let spinning = true;
      const spin = (): void => {
        turns += 1;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      await runner.start();
      spinning = false;
      expect(turns).toBeGreaterThan(5);
    });

    it('reports the catch-up progress, ending with a final line', async () => {
      const { head, runner } = await setUp(10);
      const lines: { position: bigint; done: boolean }[] = [];
      await runner.start((p) => lines.push(p));
      expect(lines[lines.length - 1]).toMatchObject({ position: head, head, done: true });
    });
  });

  describe('once started', () => {
    it('follows appends live and lets a reader wait for its own write', async () => {
      const { store, runner, readStore } = await setUp(5);
      await runner.start();
      const position = await appendSimulated(store, simulateHistories({ cases: 3, seed: 99 }));
      await runner.waitFor(position);
      expect(runner.position).toBeGreaterThanOrEqual(position);
      expect(dumpReadModels(readStore)).toEqual(foldReadModels(await readEverything(store)));
    });

    it('answers a wait for a position it has passed at once', async () => {
      const { runner, head } = await setUp(2);
      await runner.start();
      await expect(runner.waitFor(head, 0)).resolves.toBeUndefined();
    });

    it('fails a wait with projection_lagging when the position is not reached in time', async () => {
      const { runner, head } = await setUp(2);
      await runner.start();
      const error = await runner.waitFor(head + 1000n, 30).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProjectionLaggingError);
      expect(error).toMatchObject({
        code: 'projection_lagging',
        statusCode: 503,
        target: head + 1000n,
        reached: head,
      });
    });

    it('makes a read without waitFor wait for what this process appended, though a steady stream spaces its batches', async () => {
      const store = new MemoryEventStore();
      const readStore = new MemoryReadStore();
      let appended = 0n;
      const runner = new ProjectionRunner(store, readStore, { gatherMs: 200, settleTo: () => appended });
      runners.push(runner);
      await runner.start();
      const appends = [...simulateHistories({ cases: 3, seed: 11 })];
      for (const append of appends.slice(0, 9)) {
        appended = await appendSimulated(store, [append], 1);
        await runner.waitFor(appended);
      }

      appended = await appendSimulated(store, [appends[9]!], 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(runner.position).toBeLessThan(appended);
      await runner.settled();
      expect(runner.position).toBe(appended);
      expect(dumpReadModels(readStore)).toEqual(foldReadModels(await readEverything(store)));
    });

    it('fails pending waits at once when stopped', async () => {
      const { runner, head } = await setUp(2);
      await runner.start();
      const waiting = runner.waitFor(head + 1n, 60_000);
      await runner.stop();
      await expect(waiting).rejects.toMatchObject({ code: 'projection_lagging' });
    });

    it('retries from its checkpoint after failed commits, losing and doubling nothing', async () => {
      const { store, runner, readStore, logs } = await setUp(3);
      await runner.start();
      readStore.failNextCommits = 5;
      const position = await appendSimulated(store, simulateHistories({ cases: 5, seed: 3 }));
      await runner.waitFor(position);
      expect(readStore.failNextCommits).toBe(0);
      expect(logs.some((l) => l.includes('disk I/O error (injected)'))).toBe(true);
      expect(runner.lastError).toBeUndefined();
      expect(dumpReadModels(readStore)).toEqual(foldReadModels(await readEverything(store)));
    });
  });

  describe('given events delivered again', () => {
    it('skips a batch at or below its position without writing', async () => {
      const { store, runner, readStore } = await setUp(5);
      await runner.start();
      const { commits } = readStore;
      runner.apply(await readEverything(store));
      expect(readStore.commits).toBe(commits);
    });

    it('changes no document when every event reaches documents that already saw it', async () => {
      const { store, runner, readStore } = await setUp(8);
      await runner.start();
      const before = dumpReadModels(readStore);
      // The checkpoint alone goes back: each document still remembers the last revision it saw.
      readStore.inner.commit([], 0n);
      const replaying = new ProjectionRunner(store, readStore, { batchSize: 64 });
      const writes = readStore.writes;
      await replaying.start();
      await replaying.stop();
      expect(readStore.writes).toBe(writes);
      expect(dumpReadModels(readStore)).toEqual(before);
    });

    it('reaches the same read models however the events are batched and redelivered', async () => {
      const store = new MemoryEventStore();
      await appendSimulated(store, simulateHistories({ cases: 12, seed: 11, concurrency: 6 }));
      const events = await readEverything(store);
      const expected = foldReadModels(events);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(40), fc.integer({ min: 1, max: 80 })), { maxLength: 60 }),
          (deliveries) => {
            const readStore = new MemoryReadStore();
            const runner = new ProjectionRunner(store, readStore);
            // At-least-once delivery: each batch may repeat up to `back` events already applied, never skip one.
            let next = 0;
            for (const [back, length] of deliveries) {
              const from = Math.max(0, next - back);
              runner.apply(events.slice(from, from + length));
              next = Math.max(next, Math.min(events.length, from + length));
            }
            runner.apply(events.slice(Math.max(0, next - 5)));
            expect(dumpReadModels(readStore)).toEqual(expected);
          },
        ),
        { numRuns: 40 },
      );
    });
  });

  describe('rebuild', () => {
    it('drops and replays everything into the same read models it built incrementally', async () => {
      const { store, runner, readStore } = await setUp(5);
      await runner.start();
      for (let seed = 20; seed < 25; seed++) {
        const position = await appendSimulated(store, simulateHistories({ cases: 4, seed }));
        await runner.waitFor(position);
      }
      const incremental = dumpReadModels(readStore);
      const report = await runner.rebuild();
      expect(report).toMatchObject({ position: runner.position, done: true });
      expect(report.events).toBe((await readEverything(store)).length);
      expect(dumpReadModels(readStore)).toEqual(incremental);
      expect(runner.following).toBe(true);
    });

    it('follows again afterwards', async () => {
      const { store, runner, readStore } = await setUp(2);
      await runner.start();
      await runner.rebuild();
      const position = await appendSimulated(store, simulateHistories({ cases: 2, seed: 5 }));
      await runner.waitFor(position, 2000);
      expect(dumpReadModels(readStore)).toEqual(foldReadModels(await readEverything(store)));
    });
  });

  describe('given any case histories the domain can record', () => {
    it('rebuilds, from the interleaved streams, the read models it built live', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc
            .integer({ min: 1, max: 4 })
            .chain((cases) =>
              fc.tuple(
                ...Array.from({ length: cases }, (_, i) =>
                  arbitraryCaseHistory({ caseId: `c${i}`, maxCommands: 30 }),
                ),
              ),
            ),
          fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
          fc.integer({ min: 1, max: 50 }),
          async (histories, order, batchSize) => {
            const store = new MemoryEventStore();
            const readStore = new MemoryReadStore();
            const runner = new ProjectionRunner(store, readStore, { batchSize });
            runners.push(runner);
            await runner.start();
            // Each history is a case of its own; their events land interleaved, one append at a time.
            const queues = histories.map((h) => [...h.events]);
            let turn = 0;
            let position = 0n;
            while (queues.some((q) => q.length > 0)) {
              const open = queues.filter((q) => q.length > 0);
              const queue = open[(order[turn++ % order.length] ?? 0) % open.length] as (typeof open)[number];
              const event = queue.shift() as (typeof queue)[number];
              ({ position } = await store.append(
                `case-${event.data.caseId}`,
                [{ id: `e${turn}`, ...event }],
                'any',
              ));
              if (turn % 7 === 0) await runner.waitFor(position);
            }
            await runner.waitFor(position);
            const live = dumpReadModels(readStore);
            await runner.rebuild();
            expect(dumpReadModels(readStore)).toEqual(live);
            expect(live).toEqual(foldReadModels(await readEverything(store)));
            await runner.stop();
          },
        ),
        { numRuns: 60 },
      );
      // 60 runs take about 5 s on a machine busy with other work: more than jest's default timeout.
    }, 30_000);
  });

  describe('given read models ahead of the store', () => {
    it('rebuilds them from the store on start', async () => {
      const { store, runner, readStore, logs } = await setUp(3);
      readStore.inner.commit([], 10_000_000n);
      await runner.start();
      expect(logs.some((l) => l.includes('past the store'))).toBe(true);
      expect(dumpReadModels(readStore)).toEqual(foldReadModels(await readEverything(store)));
    });
  });
});
