import { describe, expect, it } from '@jest/globals';
import { FakeEsdbClient } from '../../../../test/fake-esdb-client.js';
import { EsdbEventStore } from './esdb-event-store.js';
import { MemoryEventStore } from './memory-event-store.js';
import { openEventStore, parseEventStoreConfig } from './open-event-store.js';
import { EsdbSnapshotStore, MemorySnapshotStore } from './snapshot-store.js';

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
  ])('reads %p (sync %p)', (value, sync, expected) => {
    expect(parseEventStoreConfig(value, sync)).toEqual(expected);
  });

  it.each([
    ['postgres://localhost/db', undefined, /is not an event store: use memory, sqlite:<file> or esdb:/],
    ['sqlite:', undefined, /needs a file/],
    ['esdb://', undefined, /is not an event store/],
    ['sqlite:x.db', 'off', /WFNET_SQLITE_SYNC=off is not a mode/],
  ])('refuses %p (sync %p) with a message that says what to write', (value, sync, message) => {
    expect(() => parseEventStoreConfig(value, sync)).toThrow(message);
  });
});

describe('openEventStore', () => {
  it('opens the memory store with memory snapshots', async () => {
    const opened = openEventStore('memory');

    expect(opened.eventStore).toBeInstanceOf(MemoryEventStore);
    expect(opened.snapshotStore).toBeInstanceOf(MemorySnapshotStore);
    await opened.close();
  });

  it('opens EventStoreDB through the client factory it is given, snapshots sharing the client', async () => {
    const client = new FakeEsdbClient();
    const urls: string[] = [];

    const opened = openEventStore('esdb://localhost:2113?tls=false', {
      connectEsdb: (url) => {
        urls.push(url);
        return client;
      },
    });
    await opened.close();

    expect(opened.eventStore).toBeInstanceOf(EsdbEventStore);
    expect(opened.snapshotStore).toBeInstanceOf(EsdbSnapshotStore);
    expect(urls).toEqual(['esdb://localhost:2113?tls=false']);
    expect(client.disposed).toBe(true);
  });
});
