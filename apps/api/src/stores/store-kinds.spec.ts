import { describe, expect, it } from '@jest/globals';
import { FakeEsdbClient } from '../../../../test/fake-esdb-client.js';
import { EsdbEventStore } from '../event-store/esdb-event-store.js';
import { EsdbWorkQueue } from '../event-store/esdb-work-queue.js';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { EsdbSnapshotStore, MemorySnapshotStore } from '../event-store/snapshot-store.js';
import { PostgresEventStore, PostgresSnapshotStore } from '../event-store/postgres-event-store.js';
import { SOLE_PROCESS_CLAIMS } from '../executors/work-claims.js';
import {
  defaultAdmissionMaxLag,
  defaultReadyMaxLag,
  durable,
  openEventStore,
  parseEventStoreConfig,
  parseReadStoreConfig,
} from './store-kinds.js';

const env = (value: string | undefined, sync: string | undefined) => ({
  WFNET_EVENT_STORE: value,
  WFNET_SQLITE_SYNC: sync,
});

describe('parseEventStoreConfig', () => {
  it.each([
    [undefined, undefined, { kind: 'sqlite', file: 'data/wfnet.db', synchronous: 'full' }],
    ['', undefined, { kind: 'sqlite', file: 'data/wfnet.db', synchronous: 'full' }],
    ['memory', undefined, { kind: 'memory' }],
    [
      'sqlite:/var/lib/wfnet/events.db',
      undefined,
      { kind: 'sqlite', file: '/var/lib/wfnet/events.db', synchronous: 'full' },
    ],
    ['sqlite:./x.db', 'NORMAL', { kind: 'sqlite', file: './x.db', synchronous: 'normal' }],
    ['sqlite:./x.db', 'full', { kind: 'sqlite', file: './x.db', synchronous: 'full' }],
    ['esdb://localhost:2113?tls=false', undefined, { kind: 'esdb', url: 'esdb://localhost:2113?tls=false' }],
    ['esdb+discover://a:2113,b:2113', undefined, { kind: 'esdb', url: 'esdb+discover://a:2113,b:2113' }],
    [
      'kurrentdb://localhost:2113?tls=false',
      undefined,
      { kind: 'esdb', url: 'kurrentdb://localhost:2113?tls=false' },
    ],
    [
      'postgres://wfnet:secret@db.example:5432/wfnet',
      undefined,
      { kind: 'postgres', url: 'postgres://wfnet:secret@db.example:5432/wfnet' },
    ],
    ['postgresql://localhost/wfnet', undefined, { kind: 'postgres', url: 'postgresql://localhost/wfnet' }],
  ])('reads %p (sync %p)', (value, sync, expected) => {
    expect(parseEventStoreConfig(env(value, sync))).toEqual(expected);
  });

  it.each([
    [
      'mysql://localhost/db',
      undefined,
      /is not an event store: use memory, sqlite:<file>, esdb:\/\/host:2113\?tls=false or postgres:\/\/user:password@host\/db/,
    ],
    ['postgres://', undefined, /is not an event store/],
    ['sqlite:', undefined, /needs a file/],
    ['esdb://', undefined, /is not an event store/],
    ['sqlite:x.db', 'off', /WFNET_SQLITE_SYNC=off is not a mode/],
  ])('refuses %p (sync %p) with a message that says what to write', (value, sync, message) => {
    expect(() => parseEventStoreConfig(env(value, sync))).toThrow(message);
  });
});

describe('parseReadStoreConfig', () => {
  it.each([
    ['memory', { kind: 'memory' }, { kind: 'memory' }],
    ['sqlite:x.db', { kind: 'memory' }, { kind: 'sqlite', file: 'x.db' }],
    [undefined, { kind: 'memory' }, { kind: 'memory' }],
    [undefined, { kind: 'sqlite', file: 'e.db', synchronous: 'full' }, { kind: 'sqlite', file: 'e-read.db' }],
    [
      undefined,
      { kind: 'sqlite', file: 'data/wfnet.db', synchronous: 'full' },
      { kind: 'sqlite', file: 'data/wfnet-read.db' },
    ],
    [
      undefined,
      { kind: 'sqlite', file: 'var/events', synchronous: 'full' },
      { kind: 'sqlite', file: 'var/events-read.db' },
    ],
    ['', { kind: 'esdb', url: 'esdb://h:2113' }, { kind: 'sqlite', file: 'data/wfnet-read.db' }],
    [undefined, { kind: 'postgres', url: 'postgres://h/db' }, { kind: 'sqlite', file: 'data/wfnet-read.db' }],
  ] as const)('reads %p beside the event store %p', (value, eventStore, expected) => {
    expect(parseReadStoreConfig(value, eventStore)).toEqual(expected);
  });

  it.each(['sqlite:', 'postgres://localhost/db'])('refuses %p with the forms it takes', (value) => {
    expect(() => parseReadStoreConfig(value, { kind: 'memory' })).toThrow(
      `WFNET_READ_STORE must be "memory" or "sqlite:<file>", got "${value}"`,
    );
  });
});

describe('openEventStore', () => {
  it('opens the memory store with memory snapshots', async () => {
    const opened = openEventStore('memory');

    expect(opened.eventStore).toBeInstanceOf(MemoryEventStore);
    expect(opened.snapshotStore).toBeInstanceOf(MemorySnapshotStore);
    expect(opened.shared).toBe(false);
    await opened.close();
  });

  it('opens EventStoreDB through the client factory it is given, snapshots sharing the client, work handed out by a consumer group', async () => {
    const client = new FakeEsdbClient();
    const urls: string[] = [];

    const opened = openEventStore('esdb://localhost:2113?tls=false', {
      connectEsdb: (url) => {
        urls.push(url);
        return client;
      },
      processName: 'api 1',
    });
    await opened.close();

    expect(opened.eventStore).toBeInstanceOf(EsdbEventStore);
    expect(opened.snapshotStore).toBeInstanceOf(EsdbSnapshotStore);
    // The server lists the group's members by the names of their connections.
    expect(urls).toEqual(['esdb://localhost:2113?tls=false&connectionName=api%201']);
    expect(opened.workQueue).toBeInstanceOf(EsdbWorkQueue);
    expect((opened.workQueue as EsdbWorkQueue).group).toBe('wfnet-dispatch');
    expect(opened.claims).toBe(SOLE_PROCESS_CLAIMS);
    expect(opened.shared).toBe(true);
    expect(client.disposed).toBe(true);
  });

  it('opens PostgreSQL as a store other processes share, snapshots in the same database, the password masked', async () => {
    // Opening connects lazily: no server is needed until the first read or write.
    const opened = openEventStore('postgres://wfnet:secret@127.0.0.1:1/wfnet');
    await opened.close();

    expect(opened.eventStore).toBeInstanceOf(PostgresEventStore);
    expect(opened.snapshotStore).toBeInstanceOf(PostgresSnapshotStore);
    expect(opened.shared).toBe(true);
    expect(opened.eventStore.description).toBe('postgres:postgres://wfnet:***@127.0.0.1:1/wfnet');
  });
});

describe('the postgres kind', () => {
  it('bounds lags in transactions, not events, for its positions are transaction ids times 2^20, and is durable', () => {
    const config = parseEventStoreConfig({ WFNET_EVENT_STORE: 'postgres://h/db' });

    expect(defaultAdmissionMaxLag(config)).toBe(0);
    expect(defaultReadyMaxLag(config)).toBe(10_000 * 2 ** 20);
    expect(defaultReadyMaxLag(parseEventStoreConfig({ WFNET_EVENT_STORE: 'sqlite:x.db' }))).toBe(10_000);
    expect(durable(config, parseReadStoreConfig(undefined, config))).toBe(true);
  });
});
