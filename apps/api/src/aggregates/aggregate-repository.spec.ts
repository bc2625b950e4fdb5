import { describe, expect, it } from '@jest/globals';
import { ConcurrencyError } from '@wfnet/domain';
import { v7 } from 'uuid';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { MemorySnapshotStore } from '../event-store/snapshot-store.js';
import type { SnapshotStore } from '../event-store/snapshot-store.js';
import { AggregateRepository } from './aggregate-repository.js';
import type { AggregateRepositoryOptions } from './aggregate-repository.js';
import { counterCodec, counterDecider } from './counter.fixture.js';
import type { CounterCommand } from './counter.fixture.js';

function setup(
  options: AggregateRepositoryOptions = {},
  snapshots: SnapshotStore = new MemorySnapshotStore(),
) {
  const store = new MemoryEventStore();
  const repository = new AggregateRepository(store, snapshots, counterDecider, counterCodec, options);
  return { store, snapshots, repository };
}

const add = (key: string, by = 1): CounterCommand => ({ type: 'Add', data: { board: 'b1', key, by } });
const addMany = (count: number): CounterCommand => ({
  type: 'AddMany',
  data: { board: 'b1', count, keys: 3 },
});
const look: CounterCommand = { type: 'Look', data: { board: 'b1' } };

describe('AggregateRepository', () => {
  describe('a command on a new stream', () => {
    it('creates the stream and answers the events with their ids and revisions, the state and the position', async () => {
      const { store, repository } = setup();

      const result = await repository.handle(add('a', 2));

      expect(result.events).toEqual([
        { type: 'Added', data: { key: 'a', by: 2 }, id: expect.any(String), revision: 0n },
      ]);
      expect(result.state).toEqual(new Map([['a', 2]]));
      expect(result.nextRevision).toBe(0n);
      expect(result.position).toBe(await store.headPosition());
      expect((await store.readStream('board-b1')).map((e) => e.id)).toEqual([result.events[0]?.id]);
    });
  });

  describe('a command that decides nothing', () => {
    it('appends nothing and answers the current state and revision', async () => {
      const { store, repository } = setup();
      await repository.handle(add('a'));

      const result = await repository.handle(look);

      expect(result).toEqual({
        events: [],
        before: new Map([['a', 1]]),
        state: new Map([['a', 1]]),
        nextRevision: 0n,
        position: undefined,
      });
      expect(await store.readStream('board-b1')).toHaveLength(1);
    });

    it('answers revision -1 for a stream that does not exist', async () => {
      const { repository } = setup();
      expect((await repository.handle(look)).nextRevision).toBe(-1n);
    });
  });

  describe('loading', () => {
    it('serves the next command from the cache, at the revision it holds', async () => {
      const { repository } = setup();
      await repository.handle(add('a'));

      const loaded = await repository.load('board-b1');

      expect(loaded).toEqual({ state: new Map([['a', 1]]), revision: 0n, source: 'cache', replayed: 0 });
    });

    it('keeps no more streams in the cache than it was told', async () => {
      const { repository } = setup({ cacheSize: 2 });
      for (const board of ['x', 'y', 'z'])
        await repository.handle({ type: 'Add', data: { board, key: 'a', by: 1 } });

      expect(repository.cached).toBe(2);
      expect((await repository.load('board-x')).source).not.toBe('cache');
      expect((await repository.load('board-z')).source).toBe('cache');
    });

    it('keeps no final state in the cache (the codec says which are final)', async () => {
      const { store, snapshots } = setup();
      const repository = new AggregateRepository(store, snapshots, counterDecider, {
        ...counterCodec,
        isFinal: (state) => (state.get('done') ?? 0) > 0,
      });
      await repository.handle({ type: 'Add', data: { board: 'open', key: 'a', by: 1 } });
      await repository.handle({ type: 'Add', data: { board: 'closed', key: 'done', by: 1 } });

      expect(repository.cached).toBe(1);
      expect((await repository.load('board-open')).source).toBe('cache');
      const closed = await repository.load('board-closed');
      expect(closed).toMatchObject({ source: 'replay', revision: 0n });
      expect(closed.state.get('done')).toBe(1);
    });

    it('replays the whole stream when there is no snapshot', async () => {
      const { store, snapshots } = setup();
      const first = new AggregateRepository(store, snapshots, counterDecider, counterCodec, {
        snapshotEvery: 1000,
      });
      await first.handle(addMany(12));
      const fresh = new AggregateRepository(store, snapshots, counterDecider, counterCodec);

      const loaded = await fresh.load('board-b1');

      expect(loaded).toMatchObject({ source: 'replay', replayed: 12, revision: 11n });
      expect(loaded.state).toEqual(
        new Map([
          ['k0', 4],
          ['k1', 4],
          ['k2', 4],
        ]),
      );
    });

    it('saves a snapshot when a stream passes a multiple of N events, and loads it plus the tail', async () => {
      const { store, snapshots, repository } = setup({ snapshotEvery: 5 });
      await repository.handle(addMany(4));
      expect(await snapshots.load('board-b1')).toBeUndefined();
      await repository.handle(addMany(3));
      await repository.handle(add('k0'));
      const fresh = new AggregateRepository(store, snapshots, counterDecider, counterCodec, {
        snapshotEvery: 5,
      });

      const loaded = await fresh.load('board-b1');

      expect(await snapshots.load('board-b1')).toEqual({
        revision: 6n,
        state: [
          ['k0', 3],
          ['k1', 2],
          ['k2', 2],
        ],
      });
      expect(loaded).toMatchObject({ source: 'snapshot', replayed: 1, revision: 7n });
      expect(loaded.state).toEqual(
        new Map([
          ['k0', 4],
          ['k1', 2],
          ['k2', 2],
        ]),
      );
    });

    it('replays the stream when a snapshot cannot be read back', async () => {
      const { store, snapshots } = setup();
      await store.append('board-b1', [{ id: v7(), type: 'Added', data: { key: 'a', by: 1 } }], 'no_stream');
      await snapshots.save('board-b1', 0n, 'not the shape of a state');
      const strict = new AggregateRepository(store, snapshots, counterDecider, {
        ...counterCodec,
        fromSnapshot: (json) => {
          if (!Array.isArray(json)) throw new TypeError('not a counter snapshot');
          return counterCodec.fromSnapshot(json);
        },
      });

      const loaded = await strict.load('board-b1');

      expect(loaded).toMatchObject({ source: 'replay', replayed: 1, state: new Map([['a', 1]]) });
    });

    it('still answers the command when the snapshot cannot be saved', async () => {
      const failures: string[] = [];
      const broken: SnapshotStore = {
        load: () => Promise.resolve(undefined),
        save: () => Promise.reject(new Error('disk full')),
        close: () => Promise.resolve(),
      };
      const { repository } = setup(
        { snapshotEvery: 2, onSnapshotError: (e, s) => failures.push(`${s}: ${String(e)}`) },
        broken,
      );

      const result = await repository.handle(addMany(3));

      expect(result.nextRevision).toBe(2n);
      expect(failures).toEqual(['board-b1: Error: disk full']);
    });
  });

  describe('a conflict', () => {
    it('reloads and decides again when another writer moved the stream on', async () => {
      const { store, repository } = setup();
      await repository.handle(add('a'));
      await store.append('board-b1', [{ id: v7(), type: 'Added', data: { key: 'b', by: 5 } }], 0n);

      const result = await repository.handle(add('a'));

      expect(result.nextRevision).toBe(2n);
      expect(result.state).toEqual(
        new Map([
          ['a', 2],
          ['b', 5],
        ]),
      );
      expect(result.events.map((e) => e.revision)).toEqual([2n]);
    });

    it('gives up with the ConcurrencyError after the last attempt', async () => {
      const store = new MemoryEventStore();
      let decisions = 0;
      const racing = {
        ...counterDecider,
        decide: (command: CounterCommand, state: ReadonlyMap<string, number>) => {
          decisions++;
          // Another writer gets in between every load and append.
          void store.append('board-b1', [{ id: v7(), type: 'Added', data: { key: 'x', by: 1 } }], 'any');
          return counterDecider.decide(command, state);
        },
      };
      const repository = new AggregateRepository(store, new MemorySnapshotStore(), racing, counterCodec, {
        maxAttempts: 3,
      });

      await expect(repository.handle(add('a'))).rejects.toBeInstanceOf(ConcurrencyError);
      expect(decisions).toBe(3);
      expect(repository.cached).toBe(0);
    });

    it('lets concurrent commands on one stream all succeed, each decided on the latest state', async () => {
      const { store, repository } = setup();

      const results = await Promise.all(Array.from({ length: 4 }, () => repository.handle(add('a'))));

      expect(results.map((r) => r.nextRevision).sort()).toEqual([0n, 1n, 2n, 3n]);
      expect((await repository.load('board-b1')).state).toEqual(new Map([['a', 4]]));
      expect(await store.readStream('board-b1')).toHaveLength(4);
    });
  });

  describe('on a store other processes write', () => {
    it('brings a cached state up to date with what another process appended, before deciding', async () => {
      const store = new MemoryEventStore();
      const open = () =>
        new AggregateRepository(store, new MemorySnapshotStore(), counterDecider, counterCodec, {
          sharedStore: true,
        });
      const here = open();
      const elsewhere = open();
      await here.handle(add('a'));
      await elsewhere.handle(add('b', 3));

      const result = await here.handle(look);

      expect(result.state).toEqual(
        new Map([
          ['a', 1],
          ['b', 3],
        ]),
      );
      expect(result.nextRevision).toBe(1n);
      expect(await here.load('board-b1')).toMatchObject({ source: 'cache', replayed: 0, revision: 1n });
    });

    it('answers from the cache alone when the store is its own', async () => {
      const { store, repository } = setup();
      await repository.handle(add('a'));
      await store.append('board-b1', [{ id: v7(), type: 'Added', data: { key: 'b', by: 3 } }], 0n);

      expect((await repository.handle(look)).state).toEqual(new Map([['a', 1]]));
    });
  });
});
