import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AggregateRepository } from '../apps/api/src/aggregates/aggregate-repository.js';
import { counterCodec, counterDecider } from '../apps/api/src/aggregates/counter.fixture.js';
import type { CounterEvent } from '../apps/api/src/aggregates/counter.fixture.js';
import { SqliteEventStore } from '../apps/api/src/event-store/sqlite-event-store.js';
import { SqliteSnapshotStore } from '../apps/api/src/event-store/snapshot-store.js';

const dir = mkdtempSync(join(tmpdir(), 'wfnet-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loading a case of 100,000 events from SQLite', () => {
  it('loads from the latest snapshot plus the events after it, to the state a full replay gives', async () => {
    const file = join(dir, 'big.db');
    const store = SqliteEventStore.open(file);
    const snapshots = SqliteSnapshotStore.open(file);
    const writer = new AggregateRepository(store, snapshots, counterDecider, counterCodec);
    for (let i = 0; i < 100; i++) {
      await writer.handle({ type: 'AddMany', data: { board: 'big', count: 1000, keys: 997 } });
    }
    await writer.handle({ type: 'AddMany', data: { board: 'big', count: 123, keys: 997 } });

    const reader = new AggregateRepository(store, snapshots, counterDecider, counterCodec);
    const started = performance.now();
    const loaded = await reader.load('board-big');
    const elapsed = performance.now() - started;
    const all = await store.readStream('board-big');
    const replayed = counterDecider.fold(
      counterDecider.initialState(),
      all.map((e) => ({ type: e.type, data: e.data }) as CounterEvent),
    );

    console.info(
      `100,123-event case loaded from snapshot + ${loaded.replayed} events in ${elapsed.toFixed(1)} ms`,
    );
    expect(loaded).toMatchObject({ source: 'snapshot', replayed: 123, revision: 100_122n });
    expect(all).toHaveLength(100_123);
    expect(loaded.state).toEqual(replayed);
    await snapshots.close();
    await store.close();
  }, 120_000);
});
