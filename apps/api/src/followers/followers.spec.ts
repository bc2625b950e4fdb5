import { afterEach, describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '@wfnet/domain';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import type { StoreFollower } from './followers.js';
import { Followers } from './followers.js';
import { StoreFeed } from './store-feed.js';
import type { StoreFeedOptions } from './store-feed.js';

/** A follower that only notes its lifecycle, at a fixed position. */
function stub(id: string, position: bigint, journal: string[]): StoreFollower & { following: boolean } {
  return {
    id,
    position,
    following: false,
    lastError: undefined,
    async start() {
      await new Promise((resolve) => setTimeout(resolve, 5));
      journal.push(`start ${id}`);
      this.following = true;
    },
    stop() {
      journal.push(`stop ${id}`);
      this.following = false;
      return Promise.resolve();
    },
  };
}

describe('the registry of followers', () => {
  it('starts them in the order they were added, each once the one before has started, and stops them in reverse', async () => {
    const journal: string[] = [];
    const followers = new Followers();
    followers.add(stub('read-models', 0n, journal));
    followers.add(stub('dispatcher', 0n, journal));

    await followers.start();
    await followers.stop();

    expect(journal).toEqual(['start read-models', 'start dispatcher', 'stop dispatcher', 'stop read-models']);
  });

  it('gives admission the positions of the followers following now only', async () => {
    const followers = new Followers();
    const readModels = stub('read-models', 7n, []);
    followers.add(readModels);
    followers.add(stub('dispatcher', 9n, []));
    expect(followers.positions()).toEqual([]);

    await followers.start();
    expect(followers.positions()).toEqual([7n, 9n]);
    await readModels.stop();
    expect(followers.positions()).toEqual([9n]);
  });

  it('refuses a second follower with an id already taken, which would share its checkpoint', () => {
    const followers = new Followers();
    followers.add(stub('dispatcher', 0n, []));
    expect(() => followers.add(stub('dispatcher', 0n, []))).toThrow(
      'a follower with the id dispatcher is already registered',
    );
  });
});

describe('the store feed', () => {
  const feeds: StoreFeed[] = [];
  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((feed) => feed.stop()));
  });

  /** A feed whose handler notes the positions of each batch and moves on to the batch's last event. */
  function batchRecorder(store: MemoryEventStore, from: bigint, options: StoreFeedOptions) {
    const batches: number[][] = [];
    let position = from;
    const feed = new StoreFeed(
      store,
      {
        position: () => position,
        handle: (batch: readonly RecordedEvent[]) => {
          batches.push(batch.map((event) => Number(event.position)));
          position = batch[batch.length - 1]!.position;
        },
      },
      options,
    );
    feeds.push(feed);
    return { feed, batches, position: () => position };
  }

  let appended = 0;
  const append = (store: MemoryEventStore, streamId: string, count: number) =>
    store.append(
      streamId,
      Array.from({ length: count }, () => ({
        id: `0190a0a0-0000-7000-8000-${String(++appended).padStart(12, '0')}`,
        type: 'Noted',
        data: {},
      })),
      'any',
    );

  async function until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 2000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  it('hands over a burst as one batch, from after the position, of the streams it reads', async () => {
    const store = new MemoryEventStore();
    await append(store, 'case-a', 2);
    await append(store, 'workflow-w', 1);
    const { feed, batches, position } = batchRecorder(store, 1n, {
      streamPrefixes: ['case-'],
      maxBatch: 100,
    });
    feed.start();
    await until(() => position() === 2n);
    await append(store, 'case-b', 3);
    await until(() => position() === 6n);

    expect(batches).toEqual([[2], [4, 5, 6]]);
    expect(feed.following).toBe(true);
  });

  it('hands over no batch larger than its bound when the store delivers more at once, in order', async () => {
    const store = new MemoryEventStore();
    await append(store, 'case-a', 7);
    const { feed, batches, position } = batchRecorder(store, 0n, { maxBatch: 3 });
    feed.start();
    await until(() => position() === 7n);

    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('hands over a few quick writes at once, spaces its hand-overs by gatherMs once they make a steady stream, gathering what comes meanwhile, and hands over at once again after a quiet spell', async () => {
    const gatherMs = 600;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const store = new MemoryEventStore();
    const { feed, batches } = batchRecorder(store, 0n, { maxBatch: 100, gatherMs });
    feed.start();
    const latencies: number[] = [];
    for (let i = 1; i <= 8; i++) {
      const appendedAt = Date.now();
      await append(store, 'case-a', 1);
      await until(() => batches.length === i);
      latencies.push(Date.now() - appendedAt);
    }
    expect(Math.max(...latencies)).toBeLessThan(gatherMs / 2);

    await append(store, 'case-a', 1);
    await sleep(30);
    await append(store, 'case-b', 1);
    await sleep(30);
    expect(batches).toHaveLength(8);
    await until(() => batches.length === 9);
    expect(batches[8]).toEqual([9, 10]);

    await sleep(2 * gatherMs + 50);
    const appendedAt = Date.now();
    await append(store, 'case-a', 1);
    await until(() => batches.length === 10);
    expect(Date.now() - appendedAt).toBeLessThan(gatherMs / 2);
    expect(batches[9]).toEqual([11]);
  });

  it('subscribes again after a failed batch, from after the handler’s position, and reports the failure until a batch succeeds', async () => {
    const store = new MemoryEventStore();
    await append(store, 'case-a', 3);
    const failures: string[] = [];
    const handled: number[] = [];
    let fail = true;
    const feed = new StoreFeed(
      store,
      {
        position: () => BigInt(handled.length),
        handle: (batch: readonly RecordedEvent[]) => {
          if (fail) {
            fail = false;
            throw new Error('disk full');
          }
          handled.push(...batch.map((event) => Number(event.position)));
        },
      },
      { maxBatch: 100, retryDelayMs: 50, onFailure: (error) => failures.push(error.message) },
    );
    feeds.push(feed);
    feed.start();
    await until(() => failures.length === 1);
    expect(feed.lastError?.message).toBe('disk full');

    await until(() => handled.length === 3);
    expect(handled).toEqual([1, 2, 3]);
    expect(feed.lastError).toBeUndefined();
  });

  it('leaves no timer behind when stopped during its pause after a failure', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const failures: string[] = [];
    const feed = new StoreFeed(
      {
        subscribe: () => ({
          close: () => Promise.resolve(),
          [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('the store is down')) }),
        }),
      },
      { position: () => 0n, handle: () => undefined },
      { maxBatch: 100, retryDelayMs: 60_000, onFailure: (error) => failures.push(error.message) },
    );
    feed.start();
    await until(() => failures.length === 1);
    expect(timers()).toBe(before + 1);

    await feed.stop();
    expect(failures).toEqual(['the store is down']);
    expect(timers()).toBe(before);
  });
});
