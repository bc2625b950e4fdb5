import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { startTestPostgres } from '../../../../test/postgres.js';
import type { TestPostgres } from '../../../../test/postgres.js';
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
