import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';
import { appendSimulated, simulateHistories } from '../bench/case-simulation.js';
import { ProjectionThread } from './projection-thread.js';
import { ProjectionLaggingError } from './read-model-runner.js';
import { dumpReadModels, foldReadModels } from './read-model-dump.js';
import { MemoryReadStore } from './memory-read-store.js';
import { SqliteReadStore } from './sqlite-read-store.js';
import { appendTimers, eventually, readEverything } from './testing-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'wfnet-thread-'));
const threads: ProjectionThread[] = [];
// A test that failed half-way leaves its thread running, which would keep jest from ending.
afterAll(async () => {
  await Promise.all(threads.map((thread) => thread.stop()));
  rmSync(dir, { recursive: true, force: true });
});
let files = 0;

/** An embedded store and read models in a file of their own, as the service opens them by default. */
function openStores() {
  const n = ++files;
  const events = SqliteEventStore.open(join(dir, `events-${n}.db`), { synchronous: 'normal' });
  const readStore = SqliteReadStore.open(join(dir, `events-${n}-read.db`));
  return { events, readStore };
}

function threadFor(events: SqliteEventStore, readStore: SqliteReadStore): ProjectionThread {
  const thread = ProjectionThread.for(events, readStore, { batchSize: 300 });
  if (thread === undefined) throw new Error('expected a thread for two SQLite files');
  threads.push(thread);
  return thread;
}

/** Stops the thread first: it reads and writes both files until then. */
async function closeAll(thread: ProjectionThread, events: SqliteEventStore, readStore: SqliteReadStore) {
  await thread.stop();
  readStore.close();
  await events.close();
}

describe('the read models on a thread of their own', () => {
  it('catches up, follows live appends, and its read models are the fold of the events', async () => {
    const { events, readStore } = openStores();
    await appendSimulated(events, simulateHistories({ cases: 30, seed: 1 }));
    const thread = threadFor(events, readStore);
    await thread.start();
    expect(thread.following).toBe(true);
    expect(thread.position).toBe(await events.headPosition());

    const live = await appendSimulated(events, simulateHistories({ cases: 20, seed: 2 }));
    const timers = await appendTimers(events);
    expect(live).toBeLessThan(timers);
    await thread.waitFor(timers);
    const dump = dumpReadModels(readStore);
    expect(dump).toEqual(foldReadModels(await readEverything(events)));
    expect(dump['timers']?.length).toBeGreaterThan(0);
    expect(readStore.checkpoint()).toBe(timers);

    await thread.stop();
    expect(thread.following).toBe(false);
    readStore.close();
    await events.close();
  }, 60_000);

  it('resumes from its checkpoint after a stop, and fails the reads waiting at the stop at once', async () => {
    const { events, readStore } = openStores();
    const first = await appendSimulated(events, simulateHistories({ cases: 10, seed: 3 }));
    const thread = threadFor(events, readStore);
    await thread.start();
    await thread.waitFor(first);
    const beyond = thread.waitFor(first + 1_000n, 60_000);
    await thread.stop();
    await expect(beyond).rejects.toBeInstanceOf(ProjectionLaggingError);

    // Appended while no thread follows: the next start catches up from the checkpoint.
    const more = await appendSimulated(events, simulateHistories({ cases: 10, seed: 4 }));
    expect(readStore.checkpoint()).toBe(first);
    await thread.start();
    expect(thread.position).toBe(more);
    expect(dumpReadModels(readStore)).toEqual(foldReadModels(await readEverything(events)));
    await closeAll(thread, events, readStore);
  }, 60_000);

  it('keeps other followers’ checkpoints through the thread while it runs, and directly when it does not', async () => {
    const { events, readStore } = openStores();
    const thread = threadFor(events, readStore);
    await thread.save('dispatcher', 7n);
    await thread.start();
    expect(await thread.load('dispatcher')).toBe(7n);
    await thread.save('dispatcher', 42n);
    expect(await readStore.load('dispatcher')).toBe(42n);
    await thread.stop();
    readStore.close();
    const reopened = SqliteReadStore.open(readStore.file);
    expect(await reopened.load('dispatcher')).toBe(42n);
    reopened.close();
    await events.close();
  }, 30_000);

  it('takes the followers’ checkpoints from read models kept in the events’ file before, once', async () => {
    const { events, readStore } = openStores();
    const before = SqliteReadStore.open(events.file);
    await before.save('dispatcher', 5n);
    before.close();
    const head = await appendSimulated(events, simulateHistories({ cases: 5, seed: 7 }));
    const thread = threadFor(events, readStore);
    await thread.start();
    expect(await thread.load('dispatcher')).toBe(5n);
    expect(thread.position).toBe(head);
    await thread.save('dispatcher', head);
    await thread.stop();
    await thread.start();
    expect(await thread.load('dispatcher')).toBe(head);
    await closeAll(thread, events, readStore);
  }, 30_000);

  it('rebuilds on its thread the read models it built incrementally, and follows on after', async () => {
    const { events, readStore } = openStores();
    const thread = threadFor(events, readStore);
    await thread.start();
    await thread.waitFor(await appendSimulated(events, simulateHistories({ cases: 30, seed: 5 })));
    const incremental = dumpReadModels(readStore);
    const progress = await thread.rebuild();
    expect(progress.done).toBe(true);
    expect(progress.events).toBeGreaterThan(0);
    // Reads on this thread's connection go on through the rebuild's drop and create of the tables.
    expect(dumpReadModels(readStore)).toEqual(incremental);
    const after = await appendSimulated(events, simulateHistories({ cases: 5, seed: 6 }));
    await thread.waitFor(after);
    expect(dumpReadModels(readStore)).toEqual(foldReadModels(await readEverything(events)));
    await closeAll(thread, events, readStore);
  }, 60_000);

  it('starts its thread again when it dies, and goes on from the checkpoint', async () => {
    const { events, readStore } = openStores();
    const warnings: string[] = [];
    /** Ends its thread as a crash of the thread would. */
    class Dying extends ProjectionThread {
      async kill(): Promise<void> {
        await this.worker?.terminate();
      }
    }
    const thread = new Dying(events, readStore, events.file, {
      restartDelayMs: 50,
      warn: (line) => warnings.push(line),
    });
    threads.push(thread);
    await thread.start();
    await thread.waitFor(await appendSimulated(events, simulateHistories({ cases: 5, seed: 8 })));
    await thread.kill();
    expect(thread.following).toBe(false);
    expect(thread.lastError?.message).toMatch(/the read models thread exited/);
    const later = await appendSimulated(events, simulateHistories({ cases: 5, seed: 9 }));
    await thread.waitFor(later, 10_000);
    await eventually(() => thread.following);
    expect(warnings.join('\n')).toMatch(/starting the thread again in 50 ms/);
    expect(dumpReadModels(readStore)).toEqual(foldReadModels(await readEverything(events)));
    await closeAll(thread, events, readStore);
  }, 30_000);

  it('lets a read without waitFor settle on what this thread committed before it, and never fails it', async () => {
    const { events, readStore } = openStores();
    const thread = threadFor(events, readStore);
    await thread.start();
    for (let round = 0; round < 5; round++) {
      const head = await appendSimulated(events, simulateHistories({ cases: 3, seed: 20 + round }));
      await thread.settled();
      expect(thread.position).toBe(head);
    }
    await thread.stop();
    await appendSimulated(events, simulateHistories({ cases: 1, seed: 30 }));
    await expect(thread.settled()).resolves.toBeUndefined();
    readStore.close();
    await events.close();
  }, 30_000);

  it('says why it stopped following when the events’ file was deleted under the store', async () => {
    const { events, readStore } = openStores();
    const warnings: string[] = [];
    const thread = ProjectionThread.for(events, readStore, { warn: (line) => warnings.push(line) });
    if (thread === undefined) throw new Error('expected a thread for two SQLite files');
    threads.push(thread);
    await thread.start();
    rmSync(events.file);
    await expect(appendSimulated(events, simulateHistories({ cases: 1, seed: 31 }))).rejects.toThrow(
      /was deleted or replaced/,
    );
    await eventually(() => thread.lastError !== undefined);
    expect(thread.lastError?.message).toMatch(/was deleted or replaced while open/);
    expect(warnings.join('\n')).toMatch(
      /^read models: following the store failed .*was deleted or replaced/m,
    );
    await closeAll(thread, events, readStore);
  }, 30_000);

  it('is not used where the thread would share a file with the writer, nor off SQLite', async () => {
    const events = SqliteEventStore.open(join(dir, 'shared.db'), { synchronous: 'normal' });
    const sameFile = SqliteReadStore.open(join(dir, 'shared.db'));
    expect(ProjectionThread.for(events, sameFile)).toBeUndefined();
    expect(ProjectionThread.for(events, new MemoryReadStore())).toBeUndefined();
    sameFile.close();
    await events.close();
  });
});
