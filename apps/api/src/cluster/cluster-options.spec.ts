import { describe, expect, it } from '@jest/globals';
import { clusterOptions } from './cluster-options.js';

describe('the cluster script options', () => {
  it('defaults to three processes on :3000 and an embedded PostgreSQL', () => {
    expect(clusterOptions([], {})).toEqual({ processes: 3, port: 3000, store: undefined, help: false });
  });

  it.each([
    'postgres://user:secret@db.example.com/wfnet',
    'postgresql://db.example.com/wfnet',
    'esdb://localhost:2113?tls=false',
    'kurrentdb+discover://node1:2113,node2:2113',
  ])('takes a store several processes can share: %s', (store) => {
    expect(clusterOptions(['--store', store, '--processes', '2'], {})).toMatchObject({ processes: 2, store });
  });

  it('takes WFNET_EVENT_STORE when it names a shared store, and ignores it when it names a file', () => {
    expect(clusterOptions([], { WFNET_EVENT_STORE: 'esdb://localhost:2113' }).store).toBe(
      'esdb://localhost:2113',
    );
    expect(clusterOptions([], { WFNET_EVENT_STORE: 'sqlite:data/wfnet.db' }).store).toBeUndefined();
  });

  it.each(['sqlite:data/wfnet.db', 'memory', 'mysql://db/wfnet'])(
    'refuses a store only one process can use, or none: %s',
    (store) => {
      expect(() => clusterOptions(['--store', store], {})).toThrow(
        /--store must be a postgres:\/\/ or esdb:\/\/ URL/,
      );
    },
  );

  it('refuses a count of processes or a port out of range', () => {
    expect(() => clusterOptions(['--processes', '0'], {})).toThrow(/--processes must be a whole number/);
    expect(() => clusterOptions(['--port', '70000'], {})).toThrow(/--port must be a port number/);
  });
});
