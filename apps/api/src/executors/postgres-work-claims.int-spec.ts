import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Executor } from '@wfnet/domain';
import { createCase, fakeTiming, oneStepNet } from '@wfnet/domain/testing';
import pg from 'pg';
import { startTestPostgres } from '../../../../test/postgres.js';
import type { TestPostgres } from '../../../../test/postgres.js';
import { Engine } from '../engine/engine.js';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { MemorySnapshotStore } from '../event-store/snapshot-store.js';
import { MemoryReadStore } from '../projections/memory-read-store.js';
import { Dispatcher } from './dispatcher.js';
import { ExecutorRegistry } from './executor-registry.js';
import { PostgresWorkClaims } from './postgres-work-claims.js';

jest.setTimeout(60_000);

let server: TestPostgres;
const opened: PostgresWorkClaims[] = [];

beforeAll(async () => {
  server = await startTestPostgres();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((claims) => claims.close()));
});

afterAll(async () => {
  await server.stop();
});

/** Processes on one new database, each with a pool of its own. */
async function processes(...names: string[]): Promise<PostgresWorkClaims[]> {
  const url = await server.database();
  const claims = names.map((name) => new PostgresWorkClaims(url, name));
  opened.push(...claims);
  return claims;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('work claims in PostgreSQL', () => {
  it('grants a key to one holder at a time, and lets the holder renew it', async () => {
    const [a, b] = await processes('a', 'b');

    expect(await a!.claim('workitem:w1', 60_000)).toBe(true);
    expect(await b!.claim('workitem:w1', 60_000)).toBe(false);
    expect(await a!.claim('workitem:w1', 60_000)).toBe(true);
    expect(await b!.claim('workitem:w2', 60_000)).toBe(true);
  });

  it('lets another process take a key once its lease has expired by the database clock', async () => {
    const url = await server.database();
    const [a, b] = [new PostgresWorkClaims(url, 'a'), new PostgresWorkClaims(url, 'b')];
    opened.push(a, b);
    expect(await a.claim('timer:t1', 300)).toBe(true);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ holder: string; left_ms: number }>(
        `SELECT holder, (extract(epoch FROM expires_at - now()) * 1000)::float8 AS left_ms FROM wfnet_work_claims`,
      );
      expect(rows).toEqual([{ holder: a.holder, left_ms: expect.any(Number) }]);
      expect(rows[0]!.left_ms).toBeGreaterThan(0);
      expect(rows[0]!.left_ms).toBeLessThanOrEqual(300);
    } finally {
      await client.end();
    }
    expect(await b.claim('timer:t1', 60_000)).toBe(false);

    await sleep(400);

    expect(await b.claim('timer:t1', 60_000)).toBe(true);
    expect(await a.claim('timer:t1', 60_000)).toBe(false);
  });

  it('deletes the rows of leases that ran out (a dead process left them), and only those', async () => {
    const url = await server.database();
    const dead = new PostgresWorkClaims(url, 'dead');
    const live = new PostgresWorkClaims(url, 'live', { sweepEveryMs: 0 });
    opened.push(dead, live);
    expect(await dead.claim('workitem:w1', 200)).toBe(true);
    expect(await dead.claim('workitem:w2', 200)).toBe(true);
    expect(await live.claim('workitem:w3', 60_000)).toBe(true);
    await sleep(300);

    expect(await live.claim('timer:t1', 60_000)).toBe(true);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ key: string }>('SELECT key FROM wfnet_work_claims ORDER BY key');
      expect(rows.map((row) => row.key)).toEqual(['timer:t1', 'workitem:w3']);
    } finally {
      await client.end();
    }
  });

  it('lets another process take a released key at once', async () => {
    const [a, b] = await processes('a', 'b');
    await a!.claim('workitem:w1', 60_000);

    await a!.release('workitem:w1');

    expect(await b!.claim('workitem:w1', 60_000)).toBe(true);
  });

  it('ignores a release by a process that does not hold the key', async () => {
    const [a, b] = await processes('a', 'b');
    await a!.claim('workitem:w1', 60_000);

    await b!.release('workitem:w1');

    expect(await b!.claim('workitem:w1', 60_000)).toBe(false);
    expect(await a!.claim('workitem:w1', 60_000)).toBe(true);
  });

  it('keeps apart two processes given the same name', async () => {
    const [first, second] = await processes('api', 'api');

    expect(await first!.claim('workitem:w1', 60_000)).toBe(true);
    expect(await second!.claim('workitem:w1', 60_000)).toBe(false);
  });

  it('grants a key claimed by many processes at once to exactly one, the table created by all of them together', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `p${i}`);
    const contenders = await processes(...names);

    for (const key of ['workitem:w1', 'workitem:w2', 'workitem:w3']) {
      const granted = await Promise.all(contenders.map((claims) => claims.claim(key, 60_000)));
      expect(granted.filter(Boolean)).toHaveLength(1);
    }
  });
});

describe('dispatchers of two processes claiming in PostgreSQL', () => {
  it('run each workitem of a shared store exactly once in all', async () => {
    const calls = new Map<string, number>();
    const counted: Executor = {
      execute: async ({ workitem }) => {
        calls.set(workitem.id, (calls.get(workitem.id) ?? 0) + 1);
        await sleep(2);
        return { status: 'completed', output: null };
      },
    };
    const store = new MemoryEventStore();
    const [aClaims, bClaims] = await processes('a', 'b');
    const processesOnStore = [aClaims!, bClaims!].map((claims) => {
      const registry = new ExecutorRegistry({ auto: counted });
      const engine = new Engine(store, new MemorySnapshotStore(), registry, {
        snapshotEvery: 500,
        timing: fakeTiming(),
        sharedStore: true,
      });
      const problems: string[] = [];
      const dispatcher = new Dispatcher({
        store,
        registry,
        checkpoints: new MemoryReadStore(),
        loadCase: (caseId) => engine.loadCase(caseId),
        send: (command) => engine.executeCase(command),
        now: () => '2026-03-04T05:06:07.000Z',
        log: { warn: (line) => problems.push(line), error: (line) => problems.push(line) },
        claims,
      });
      return { engine, dispatcher, problems };
    });
    for (const { dispatcher } of processesOnStore) await dispatcher.start();
    const [first] = processesOnStore;
    try {
      const cases = Array.from({ length: 30 }, (_, i) => `c${i}`);

      for (const caseId of cases) await first!.engine.executeCase(createCase(oneStepNet('auto'), { caseId }));

      const deadline = Date.now() + 20_000;
      while (processesOnStore.some(({ dispatcher }) => dispatcher.backlog > 0) || calls.size < cases.length) {
        if (Date.now() > deadline) throw new Error('the workitems were not all settled in time');
        await sleep(10);
      }
      for (const caseId of cases) {
        expect(await first!.engine.loadCase(caseId)).toMatchObject({ status: 'finished' });
      }
      expect([...calls.values()].filter((n) => n !== 1)).toEqual([]);
      expect(processesOnStore.flatMap(({ problems }) => problems)).toEqual([]);
    } finally {
      for (const { dispatcher } of processesOnStore) await dispatcher.stop();
    }
  });
});
