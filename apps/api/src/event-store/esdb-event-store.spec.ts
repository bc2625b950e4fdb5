import { describe, expect, it } from '@jest/globals';
import { DeadlineExceededError, UnavailableError } from '@eventstore/db-client';
import { ConcurrencyError, StoreUnavailableError } from '@wfnet/domain';
import type { RecordedEvent } from '@wfnet/domain';
import { FakeEsdbClient } from '../../../../test/fake-esdb-client.js';
import { connectEsdbClient } from './esdb-client.js';
import { EsdbEventStore } from './esdb-event-store.js';
import { EsdbSnapshotStore } from './snapshot-store.js';

function setup() {
  const client = new FakeEsdbClient();
  const store = EsdbEventStore.open('esdb://admin:secret@localhost:2113?tls=false', () => client);
  return { client, store };
}

const event = (id: string, data: object = { n: 1 }) => ({ id, type: 'Happened', data });
const ids = (events: readonly RecordedEvent[]) => events.map((e) => e.id);

describe('EsdbEventStore over the client', () => {
  it('hides credentials in its description', () => {
    expect(setup().store.description).toBe('esdb:esdb://***@localhost:2113?tls=false');
  });

  it('appends JSON events at the expected revision and answers the revision and commit position', async () => {
    const { client, store } = setup();

    const result = await store.append(
      'case-1',
      [event('a'), { ...event('b'), metadata: { by: 'u' } }],
      'no_stream',
    );

    expect(result).toEqual({ nextRevision: 1n, position: 1200n });
    expect(client.log.map((e) => [e.id, e.streamId, e.revision, e.data, e.metadata])).toEqual([
      ['a', 'case-1', 0n, { n: 1 }, undefined],
      ['b', 'case-1', 1n, { n: 1 }, { by: 'u' }],
    ]);
  });

  it('turns WrongExpectedVersionError into ConcurrencyError(stream, expected, actual)', async () => {
    const { store } = setup();
    await store.append('case-1', [event('a'), event('b')], 'no_stream');

    const refusals = await Promise.all(
      (['no_stream', 0n] as const).map((expected) =>
        store.append('case-1', [event('c')], expected).catch((e: unknown) => e),
      ),
    );

    expect(refusals.every((e) => e instanceof ConcurrencyError)).toBe(true);
    expect(
      refusals.map((e) => [
        (e as ConcurrencyError).streamId,
        (e as ConcurrencyError).expected,
        (e as ConcurrencyError).actual,
      ]),
    ).toEqual([
      ['case-1', 'no_stream', '1'],
      ['case-1', '0', '1'],
    ]);
  });

  it('reads a stream that does not exist as empty', async () => {
    expect(await setup().store.readStream('case-none')).toEqual([]);
  });

  it('reads a stream from a revision, with positions and record times', async () => {
    const { store } = setup();
    await store.append('case-1', [event('a'), event('b'), event('c')], 'no_stream');

    const read = await store.readStream('case-1', { fromRevision: 1n, maxCount: 1 });

    expect(read).toEqual([
      {
        id: 'b',
        streamId: 'case-1',
        revision: 1n,
        position: 1200n,
        type: 'Happened',
        data: { n: 1 },
        metadata: undefined,
        recordedAt: '2024-05-01T10:00:00.000Z',
      },
    ]);
  });

  it.each([
    ['UnavailableError', new UnavailableError(undefined, 'connection refused')],
    ['DeadlineExceededError', new DeadlineExceededError(undefined, 'deadline exceeded')],
  ])('turns %s into StoreUnavailableError on every call', async (_, failure) => {
    const { client, store } = setup();
    client.failure = failure;

    const outcomes = await Promise.all([
      store.append('case-1', [event('a')], 'any').catch((e: unknown) => e),
      store.readStream('case-1').catch((e: unknown) => e),
      store.readAll().catch((e: unknown) => e),
      store.headPosition().catch((e: unknown) => e),
    ]);

    expect(outcomes.map((e) => e instanceof StoreUnavailableError)).toEqual([true, true, true, true]);
    expect((outcomes[0] as Error).cause).toBe(failure);
  });

  it('reads all of our events after a checkpoint, skipping system events and snapshots, page by page', async () => {
    const { client, store } = setup();
    client.record('$stats-127.0.0.1:2113', 0n, '$statsCollected', {});
    await store.append('case-1', [event('a'), event('b')], 'no_stream');
    client.record('$projections-$all', 0n, '$ProjectionsInitialized', {});
    client.record('snapshot-case-1', 0n, 'Snapshot', { revision: '1', state: {} });
    await store.append('case-2', [event('c'), event('d')], 'no_stream');

    const first = await store.readAll({ maxCount: 2 });
    const rest = await store.readAll({ after: first[1]?.position, maxCount: 10 });

    expect(ids(first)).toEqual(['a', 'b']);
    expect(ids(rest)).toEqual(['c', 'd']);
    expect(await store.headPosition()).toBe(rest[1]?.position);
  });

  it('subscribes from a commit-position checkpoint with a stream-prefix filter, and delivers nothing twice', async () => {
    const { client, store } = setup();
    await store.append('case-1', [event('a'), event('b')], 'no_stream');
    await store.append('workflow-1', [event('w')], 'no_stream');
    await store.append('case-2', [event('c')], 'no_stream');
    const [a] = await store.readStream('case-1');

    const subscription = store.subscribe({ after: a?.position, streamPrefixes: ['case-'] });
    const received: RecordedEvent[] = [];
    for await (const e of subscription) received.push(e);
    await subscription.close();

    expect(ids(received)).toEqual(['b', 'c']);
    expect(client.subscriptions[0]?.options).toMatchObject({
      fromPosition: { commit: a?.position, prepare: a?.position },
      filter: { filterOn: 'streamName', prefixes: ['case-'] },
    });
    expect(client.subscriptions[0]?.unsubscribed).toBe(true);
  });

  it('ends a subscription with StoreUnavailableError when the server goes away', async () => {
    const { client, store } = setup();
    await store.append('case-1', [event('a')], 'no_stream');
    client.failure = new UnavailableError(undefined, 'gone');

    const iterate = async () => {
      for await (const _ of store.subscribe()) continue;
    };

    await expect(iterate()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('refuses calls once closed, and disposes of the client', async () => {
    const { client, store } = setup();
    await store.close();

    await expect(store.readAll()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(client.disposed).toBe(true);
  });
});

describe('connectEsdbClient', () => {
  it.each([
    'esdb://localhost:2113?tls=false',
    'kurrentdb://localhost:2113?tls=false',
    'kurrent://a:2113,b:2113?tls=false',
  ])('makes a client of %s without connecting yet', async (url) => {
    const client = connectEsdbClient(url);
    expect(typeof client.appendToStream).toBe('function');
    await client.dispose();
  });

  it('refuses a connection string the client cannot read', () => {
    expect(() => connectEsdbClient('esdb://')).toThrow();
  });
});

describe('EsdbSnapshotStore', () => {
  it('saves to a snapshot stream that keeps one event, and loads the latest', async () => {
    const client = new FakeEsdbClient();
    const snapshots = new EsdbSnapshotStore(client);

    const before = await snapshots.load('case-1');
    await snapshots.save('case-1', 499n, { a: 1 });
    await snapshots.save('case-1', 999n, { a: 2 });

    expect(before).toBeUndefined();
    expect(await snapshots.load('case-1')).toEqual({ revision: 999n, state: { a: 2 } });
    expect(client.metadata.get('snapshot-case-1')).toEqual({ maxCount: 1 });
  });
});
