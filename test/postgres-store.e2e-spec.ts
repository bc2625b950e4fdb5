import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../apps/api/src/config/config.js';
import { createApp } from '../apps/api/src/main.js';
import type { Client } from './http/client.js';
import { createClient } from './http/client.js';
import { sequential } from './http/nets.js';
import type { Case, HistoryEvent } from './http/resources.js';
import { POSITION, createCase, defineWorkflow } from './http/resources.js';
import { startTestPostgres } from './postgres.js';
import type { TestPostgres } from './postgres.js';

jest.setTimeout(30_000);

/** Positions on PostgreSQL are transaction ids times 2^20: the service must carry them as exact decimals. */
describe('the service on a PostgreSQL event store', () => {
  let server: TestPostgres;
  let dir: string;
  const apps: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    server = await startTestPostgres();
    dir = mkdtempSync(join(tmpdir(), 'wfnet-pg-e2e-'));
  }, 120_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** One api process on the database, with read models of its own. */
  async function startProcess(database: string, name: string): Promise<Client> {
    const config = loadConfig({
      WFNET_EVENT_STORE: database,
      WFNET_READ_STORE: `sqlite:${join(dir, `${name}-read.db`)}`,
    });
    const app = await createApp({ config });
    app.useLogger(['error']);
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    const address = app.getHttpServer().address();
    if (address === null || typeof address === 'string') throw new Error('the app is not on a TCP port');
    return createClient(`http://127.0.0.1:${address.port}`);
  }

  it('answers positions as decimals that ?waitFor= takes, in the process that wrote and in another', async () => {
    const database = await server.database();
    const writer = await startProcess(database, 'writer');
    const reader = await startProcess(database, 'reader');
    await defineWorkflow(writer, sequential());

    const created = await createCase(writer, 'sequential');
    const position = (created as Case & { position: string }).position;
    const [inWriter, inReader] = await Promise.all([
      writer.get<Case>(`/cases/${created.id}?waitFor=${position}`),
      reader.get<Case>(`/cases/${created.id}?waitFor=${position}`),
    ]);
    const history = await reader.get<HistoryEvent[]>(`/cases/${created.id}/events`);

    expect(position).toMatch(POSITION);
    expect(BigInt(position)).toBeGreaterThan(2n ** 20n);
    expect([inWriter.status, inReader.status]).toEqual([200, 200]);
    expect(inReader.body.id).toBe(created.id);
    expect(history.body.map((e) => e.position)).toContain(position);
  });
});
