import { describe, expect, it } from '@jest/globals';
import { ConcurrencyError, StoreUnavailableError } from '@wfnet/domain';
import type { EventStore, EventToAppend, ExpectedRevision, RecordedEvent } from '@wfnet/domain';
import { v7 } from 'uuid';

export interface ContractTarget {
  /** A store to test. Stores may be shared between tests (a server): tests use streams of their own. */
  readonly open: () => Promise<EventStore>;
  /** A fresh store whose first event gets this position; absent where the store picks positions itself. */
  readonly openAtPosition?: (firstPosition: bigint) => Promise<EventStore>;
}

const BEYOND_2_53 = 2n ** 53n + 1n;

let streamCounter = 0;
/** Stream ids unique to a run, so a shared server never mixes two runs or two tests. */
function newStream(prefix = 'contract'): string {
  return `${prefix}-${v7()}-${++streamCounter}`;
}

function event(type = 'Happened', data: object = { n: 1 }, metadata?: object): EventToAppend {
  return metadata === undefined ? { id: v7(), type, data } : { id: v7(), type, data, metadata };
}

function events(count: number, type = 'Happened'): EventToAppend[] {
  return Array.from({ length: count }, (_, n) => event(type, { n }));
}

async function withStore<T>(target: ContractTarget, body: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await target.open();
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** Every event after `after` that belongs to one of `streams`, reading all pages. */
async function readAllOf(store: EventStore, after: bigint, streams: ReadonlySet<string>, page = 1000) {
  const found: RecordedEvent[] = [];
  for (let cursor = after; ;) {
    const batch = await store.readAll({ after: cursor, maxCount: page });
    if (batch.length === 0) return found;
    for (const e of batch) if (streams.has(e.streamId)) found.push(e);
    cursor = (batch[batch.length - 1] as RecordedEvent).position;
  }
}

function expectStrictlyIncreasing(values: readonly bigint[]): void {
  values.slice(1).forEach((value, i) => expect(value > (values[i] as bigint)).toBe(true));
}

async function conflictOf(promise: Promise<unknown>): Promise<ConcurrencyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConcurrencyError);
  return error as ConcurrencyError;
}

/** The event-store contract: every adapter passes the same suite. */
export function eventStoreContract(target: ContractTarget): void {
  describe('appending and reading a stream', () => {
    it('reads back what was appended, with 0-based revisions, ids, data, metadata and a record time', () =>
      withStore(target, async (store) => {
        const stream = newStream();
        const first = event(
          'Opened',
          { title: 'a', nested: { list: [1, 2, null], flag: true } },
          { by: 'u1' },
        );
        const second = event('Closed', { at: '2024-01-01T00:00:00.000Z' });
        const result = await store.append(stream, [first, second], 'no_stream');
        const read = await store.readStream(stream);

        expect(result.nextRevision).toBe(1n);
        expect(read.map((e) => [e.id, e.streamId, e.revision, e.type, e.data, e.metadata])).toEqual([
          [first.id, stream, 0n, 'Opened', first.data, { by: 'u1' }],
          [second.id, stream, 1n, 'Closed', second.data, undefined],
        ]);
        expect(read.every((e) => !Number.isNaN(Date.parse(e.recordedAt)))).toBe(true);
        expect(typeof read[0]?.position).toBe('bigint');
      }));

    it('answers the position of the last event appended, as read-all reports it', () =>
      withStore(target, async (store) => {
        const stream = newStream();
        const head = await store.headPosition();
        const result = await store.append(stream, events(3), 'no_stream');
        const all = await readAllOf(store, head, new Set([stream]));

        expect(all.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(result.position).toBe(all[2]?.position);
        expect(await store.headPosition()).toBeGreaterThanOrEqual(result.position);
      }));

    it('reads from a revision and at most a count of events', () =>
      withStore(target, async (store) => {
        const stream = newStream();
        await store.append(stream, events(10), 'no_stream');

        const read = await store.readStream(stream, { fromRevision: 4n, maxCount: 3 });

        expect(read.map((e) => e.revision)).toEqual([4n, 5n, 6n]);
        expect(read.map((e) => e.data)).toEqual([{ n: 4 }, { n: 5 }, { n: 6 }]);
        expect(await store.readStream(stream, { fromRevision: 10n })).toEqual([]);
      }));

    it('reads a stream that does not exist as empty', () =>
      withStore(target, async (store) => {
        expect(await store.readStream(newStream())).toEqual([]);
      }));

    it('keeps a 512 KiB event whole', () =>
      withStore(target, async (store) => {
        const stream = newStream();
        const big = 'x'.repeat(512 * 1024 - 64) + 'é✓';
        await store.append(stream, [event('Big', { big })], 'no_stream');

        const [read] = await store.readStream(stream);

        expect((read?.data as { big: string }).big).toBe(big);
      }));

    it('keeps unicode in stream ids, types, data and metadata', () =>
      withStore(target, async (store) => {
        const stream = newStream('case-日本語-héllo-✓');
        const data = { text: 'Grüße, 你好, مرحبا, 🎉👩‍👩‍👧, e\u0301, \u2028 and "quotes" \\ ' };
        await store.append(stream, [event('Événement✓', data, { note: 'ñ🙂' })], 'no_stream');

        const [read] = await store.readStream(stream);

        expect(read).toMatchObject({ streamId: stream, type: 'Événement✓', data, metadata: { note: 'ñ🙂' } });
      }));
  });

  describe('expected revisions', () => {
    const cases: readonly [string, 'new' | 'existing', ExpectedRevision, 'ok' | [string, string]][] = [
      ['no_stream on a new stream', 'new', 'no_stream', 'ok'],
      ['no_stream on an existing stream', 'existing', 'no_stream', ['no_stream', '1']],
      ['stream_exists on a new stream', 'new', 'stream_exists', ['stream_exists', 'no_stream']],
      ['stream_exists on an existing stream', 'existing', 'stream_exists', 'ok'],
      ['any on a new stream', 'new', 'any', 'ok'],
      ['any on an existing stream', 'existing', 'any', 'ok'],
      ['the exact last revision', 'existing', 1n, 'ok'],
      ['a stale revision', 'existing', 0n, ['0', '1']],
      ['a revision ahead of the stream', 'existing', 2n, ['2', '1']],
      ['an exact revision on a new stream', 'new', 0n, ['0', 'no_stream']],
      ['an exact revision beyond 2^53', 'existing', BEYOND_2_53, ['9007199254740993', '1']],
    ];

    it.each(cases)('%s', (_, stream, expected, outcome) =>
      withStore(target, async (store) => {
        const id = newStream();
        if (stream === 'existing') await store.append(id, events(2), 'no_stream');
        const before = await store.readStream(id);
        const appending = store.append(id, [event('Next')], expected);

        if (outcome === 'ok') {
          const result = await appending;
          expect(result.nextRevision).toBe(BigInt(before.length));
          expect((await store.readStream(id)).length).toBe(before.length + 1);
        } else {
          const conflict = await conflictOf(appending);
          expect([conflict.streamId, conflict.expected, conflict.actual]).toEqual([id, ...outcome]);
          expect(await store.readStream(id)).toEqual(before);
        }
      }),
    );
  });

  describe('conflicts', () => {
    it('lets exactly one of many concurrent appends at the same revision win, whole', () =>
      withStore(target, async (store) => {
        const stream = newStream();
        await store.append(stream, events(1), 'no_stream');
        const batches = Array.from({ length: 8 }, () => events(3));

        const outcomes = await Promise.allSettled(batches.map((batch) => store.append(stream, batch, 0n)));

        const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
        expect(won).toHaveLength(1);
        const lost = outcomes.filter((o) => o.status === 'rejected');
        expect(lost.every((o) => o.reason instanceof ConcurrencyError)).toBe(true);
        const read = await store.readStream(stream);
        expect(read.slice(1).map((e) => e.id)).toEqual(batches[won[0] as number]?.map((e) => e.id));
      }));

    it('fails only the conflicting append among appends made together', () =>
      withStore(target, async (store) => {
        const [a, b, c] = [newStream(), newStream(), newStream()];
        await store.append(b, events(1), 'no_stream');

        const outcomes = await Promise.allSettled([
          store.append(a, events(2), 'no_stream'),
          store.append(b, events(2), 'no_stream'),
          store.append(c, events(2), 'no_stream'),
        ]);

        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((await store.readStream(a)).length).toBe(2);
        expect((await store.readStream(b)).length).toBe(1);
        expect((await store.readStream(c)).length).toBe(2);
      }));
  });

  describe('an append whose data is not JSON', () => {
    it('fails alone, and appends made with it still succeed', () =>
      withStore(target, async (store) => {
        const [a, b] = [newStream(), newStream()];

        const outcomes = await Promise.allSettled([
          store.append(a, events(1), 'no_stream'),
          store.append(b, [event('Bad', { amount: 10n })], 'no_stream'),
        ]);

        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
        expect(await store.readStream(a)).toHaveLength(1);
        expect(await store.readStream(b)).toEqual([]);
      }));
  });

  describe('idempotent retries', () => {
    it('answers success and writes nothing when the same ids come again at the same revision', () =>
      withStore(target, async (store) => {
        const stream = newStream();
        const batch = events(2);
        const first = await store.append(stream, batch, 'no_stream');

        const again = await store.append(stream, batch, 'no_stream');

        expect(again).toEqual(first);
        expect((await store.readStream(stream)).map((e) => e.id)).toEqual(batch.map((e) => e.id));
      }));

    it('recognises a retry at an exact revision after other appends moved the stream on', () =>
      withStore(target, async (store) => {
        const stream = newStream();
        await store.append(stream, events(1), 'no_stream');
        const batch = events(2);
        const first = await store.append(stream, batch, 0n);
        await store.append(stream, events(1), 2n);

        const again = await store.append(stream, batch, 0n);

        expect(again).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(4);
      }));

    it('recognises a retry that expected any revision', () =>
      withStore(target, async (store) => {
        const stream = newStream();
        const batch = events(2);
        const first = await store.append(stream, batch, 'any');

        const again = await store.append(stream, batch, 'any');

        expect(again).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(2);
      }));

    it('refuses a batch that reuses only some recorded ids', () =>
      withStore(target, async (store) => {
        const stream = newStream();
        const batch = events(2);
        await store.append(stream, batch, 'no_stream');

        await conflictOf(store.append(stream, [batch[0] as EventToAppend, event()], 'no_stream'));
        expect(await store.readStream(stream)).toHaveLength(2);
      }));
  });

  describe('reading all events', () => {
    it('reads events of every stream in the order they were appended, page by page', () =>
      withStore(target, async (store) => {
        const [a, b] = [newStream(), newStream()];
        const head = await store.headPosition();
        const order: string[] = [];
        for (const [stream, expected] of [
          [a, 'no_stream'],
          [b, 'no_stream'],
          [a, 1n],
          [b, 1n],
          [a, 3n],
        ] as const) {
          const batch = events(2);
          await store.append(stream, batch, expected);
          order.push(...batch.map((e) => e.id));
        }

        const all = await readAllOf(store, head, new Set([a, b]));
        const paged = await readAllOf(store, head, new Set([a, b]), 3);

        expect(all.map((e) => e.id)).toEqual(order);
        expect(paged).toEqual(all);
        expectStrictlyIncreasing(all.map((e) => e.position));
        expect(all.filter((e) => e.streamId === a).map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
      }));

    it('keeps positions unique and strictly increasing under concurrent appends', () =>
      withStore(target, async (store) => {
        const streams = Array.from({ length: 6 }, () => newStream());
        const head = await store.headPosition();

        const results = await Promise.all(
          streams.map(async (stream) => {
            const positions: bigint[] = [];
            for (let i = 0; i < 5; i++) {
              positions.push(
                (await store.append(stream, events(4), i === 0 ? 'no_stream' : BigInt(i * 4 - 1))).position,
              );
            }
            return positions;
          }),
        );

        results.forEach(expectStrictlyIncreasing);
        const all = await readAllOf(store, head, new Set(streams));
        expect(all).toHaveLength(6 * 5 * 4);
        expectStrictlyIncreasing(all.map((e) => e.position));
        expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
      }));

    it('reads nothing after a position beyond 2^53 that no event reached', () =>
      withStore(target, async (store) => {
        const far = 2n ** 62n;
        if ((await store.headPosition()) < far) expect(await store.readAll({ after: far })).toEqual([]);
        expect(await store.readStream(newStream(), { fromRevision: BEYOND_2_53 })).toEqual([]);
      }));
  });

  if (target.openAtPosition !== undefined) {
    const openAtPosition = target.openAtPosition;
    it('keeps positions beyond 2^53 exact as bigints', async () => {
      const store = await openAtPosition(BEYOND_2_53);
      try {
        const stream = newStream();
        const result = await store.append(stream, events(3), 'no_stream');
        const all = await store.readAll({ after: BEYOND_2_53 });

        expect(result.position).toBe(BEYOND_2_53 + 2n);
        expect(all.map((e) => e.position)).toEqual([BEYOND_2_53 + 1n, BEYOND_2_53 + 2n]);
        expect(await store.headPosition()).toBe(BEYOND_2_53 + 2n);
        const sub = store.subscribe({ after: BEYOND_2_53 + 1n });
        const [next] = await take(sub, 1);
        await sub.close();
        expect(next?.position).toBe(BEYOND_2_53 + 2n);
      } finally {
        await store.close();
      }
    });
  }

  describe('subscriptions', () => {
    it('catches up, then goes live under concurrent appends with no gap and no duplicate', () =>
      withStore(target, async (store) => {
        const prefix = `sub${v7().replaceAll('-', '')}`;
        const streams = Array.from({ length: 8 }, (_, i) => `${prefix}-${i}`);
        const head = await store.headPosition();
        for (const stream of streams.slice(0, 4)) await store.append(stream, events(5), 'no_stream');
        const expectedCount = 4 * 5 + 8 * 10 * 3;

        const subscription = store.subscribe({ after: head, streamPrefixes: [prefix] });
        const receiving = take(subscription, expectedCount);
        await Promise.all(
          streams.map(async (stream, i) => {
            let revision: ExpectedRevision = i < 4 ? 4n : 'no_stream';
            for (let n = 0; n < 10; n++) {
              revision = (await store.append(stream, events(3), revision)).nextRevision;
              await new Promise((resolve) => setImmediate(resolve));
            }
          }),
        );
        const received = await receiving;
        await subscription.close();

        const written = await readAllOf(store, head, new Set(streams));
        expect(received.map((e) => e.id)).toEqual(written.map((e) => e.id));
        expect(new Set(received.map((e) => e.id)).size).toBe(expectedCount);
        expectStrictlyIncreasing(received.map((e) => e.position));
      }));

    it('delivers only the streams of its prefixes, after its checkpoint', () =>
      withStore(target, async (store) => {
        const prefix = `only${v7().replaceAll('-', '')}`;
        const mine = `${prefix}-1`;
        await store.append(mine, events(2), 'no_stream');
        const checkpoint = (await store.readStream(mine))[0]?.position as bigint;
        await store.append(`other${v7()}`, events(2), 'no_stream');
        await store.append(mine, events(1), 1n);

        const subscription = store.subscribe({ after: checkpoint, streamPrefixes: [prefix] });
        const received = await take(subscription, 2);
        await subscription.close();

        expect(received.map((e) => [e.streamId, e.revision])).toEqual([
          [mine, 1n],
          [mine, 2n],
        ]);
      }));

    it('delivers through its pages, where it offers them, the events it delivers one by one', () =>
      withStore(target, async (store) => {
        const prefix = `pages${v7().replaceAll('-', '')}`;
        const head = await store.headPosition();
        await store.append(`${prefix}-1`, events(3), 'no_stream');
        await store.append(`other${v7()}`, events(2), 'no_stream');
        await store.append(`${prefix}-2`, events(2), 'no_stream');
        const options = { after: head, streamPrefixes: [prefix] };
        const byEvent = store.subscribe(options);
        const byPage = store.subscribe(options);

        const oneByOne = await take(byEvent, 5);
        const paged = byPage.pages ? await takePages(byPage.pages(), 5) : await take(byPage, 5);
        await Promise.all([byEvent.close(), byPage.close()]);

        expect(paged.map((e) => e.id)).toEqual(oneByOne.map((e) => e.id));
        expect(paged.every((e) => e.streamId.startsWith(prefix))).toBe(true);
      }));

    it('ends its iteration when closed while waiting', () =>
      withStore(target, async (store) => {
        const subscription = store.subscribe({
          after: await store.headPosition(),
          streamPrefixes: [`none${v7()}`],
        });
        const iterating = (async () => {
          let count = 0;
          for await (const _ of subscription) count++;
          return count;
        })();
        await new Promise((resolve) => setTimeout(resolve, 20));

        await subscription.close();

        expect(await iterating).toBe(0);
      }));
  });

  describe('a closed store', () => {
    it('refuses appends and reads with StoreUnavailableError', async () => {
      const store = await target.open();
      await store.close();

      await expect(store.append(newStream(), events(1), 'any')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.readStream(newStream())).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.readAll()).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
}

/** The first `count` events of a subscription. */
async function take(subscription: AsyncIterable<RecordedEvent>, count: number): Promise<RecordedEvent[]> {
  const received: RecordedEvent[] = [];
  if (count === 0) return received;
  for await (const e of subscription) {
    received.push(e);
    if (received.length === count) break;
  }
  return received;
}

/** The events of a subscription's pages until there are at least `count`; no page may be empty. */
async function takePages(
  pages: AsyncIterable<readonly RecordedEvent[]>,
  count: number,
): Promise<RecordedEvent[]> {
  const received: RecordedEvent[] = [];
  for await (const page of pages) {
    if (page.length === 0) throw new Error('a subscription delivered an empty page');
    received.push(...page);
    if (received.length >= count) break;
  }
  return received;
}
