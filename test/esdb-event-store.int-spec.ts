import { describe, expect, it } from '@jest/globals';
import { WrongExpectedVersionError } from '@eventstore/db-client';
import { ConcurrencyError } from '@wfnet/domain';
import { EsdbEventStore } from '../apps/api/src/event-store/esdb-event-store.js';
import { eventStoreContract } from './event-store.contract.js';
import { FakeEsdbClient } from './fake-esdb-client.js';

const url = process.env.WFNET_ESDB_URL;

if (url === undefined || url === '') {
  console.warn('EventStoreDB contract suite skipped: WFNET_ESDB_URL is not set');
} else {
  describe(`EsdbEventStore against ${url}`, () => {
    eventStoreContract({ open: () => Promise.resolve(EsdbEventStore.open(url)) });
  });
}

describe('EsdbEventStore error mapping (no server needed)', () => {
  it("turns the client's WrongExpectedVersionError into our ConcurrencyError", async () => {
    const client = new FakeEsdbClient();
    client.appendToStream = () =>
      Promise.reject(
        new WrongExpectedVersionError(undefined, { streamName: 'case-1', expected: 4n, current: 7n }),
      );
    const store = new EsdbEventStore(client);

    const error = await store
      .append('case-1', [{ id: 'e1', type: 'T', data: {} }], 4n)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ streamId: 'case-1', expected: '4', actual: '7' });
  });
});
