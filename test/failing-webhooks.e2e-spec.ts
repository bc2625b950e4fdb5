import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { createServer } from 'node:net';
import type { Client } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import type { NetBody } from './http/nets.js';
import { sequential } from './http/nets.js';
import { until } from './http/poll.js';
import type { Case } from './http/resources.js';
import { createCase, defineWorkflow } from './http/resources.js';

jest.setTimeout(60_000);

/** As many failing webhooks as the dispatcher has slots by default. */
const FAILING = 64;

/** A loopback port nothing listens on: each call to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not on a TCP port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

function webhookTo(url: string): NetBody {
  return {
    id: 'closed-hook',
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 'call', executor: 'webhook', executorParams: { url } }],
    arcs: [
      { from: 'start', to: 'call' },
      { from: 'call', to: 'end' },
    ],
  };
}

async function webhookFailures(api: Client): Promise<number> {
  const { text } = await api.get('/metrics');
  const line = text.split('\n').find((l) => l.startsWith('wfnet_webhook_failures_total '));
  return line === undefined ? 0 : Number(line.slice('wfnet_webhook_failures_total '.length));
}

/** The auto steps of a new `sequential` case must run within a few seconds. */
async function sequentialFinishes(api: Client): Promise<Case> {
  const created = await createCase(api, 'sequential');
  const reply = await until(
    () => api.get<Case>(`/cases/${created.id}`),
    (r) => r.status === 200 && r.body.state === 'finished',
    { timeoutMs: 5000 },
  );
  return reply.body;
}

const services: Service[] = [];
// The closed port is on loopback, which webhooks may reach only when allowed.
const env = { WFNET_WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32' };

afterEach(async () => {
  for (const service of services.splice(0)) await service.stop();
});

describe(`${FAILING} webhooks to a closed port`, () => {
  it('hold no dispatcher slot while they back off: a new sequential case finishes, before and after a restart', async () => {
    const first = await startService('sqlite', { env });
    services.push(first);
    await defineWorkflow(first.api, webhookTo(`http://127.0.0.1:${await closedPort()}/`));
    await defineWorkflow(first.api, sequential());
    for (let i = 0; i < FAILING; i++) await createCase(first.api, 'closed-hook');
    const failedBefore = await until(
      () => webhookFailures(first.api),
      (failures) => failures >= FAILING,
      { timeoutMs: 10_000 },
    );
    expect(failedBefore).toBeGreaterThanOrEqual(FAILING);

    expect((await sequentialFinishes(first.api)).state).toBe('finished');

    await first.stop({ keepFiles: true });
    services.splice(0);
    const second = await startService('sqlite', { dir: first.dir!, env });
    services.push(second);

    expect((await sequentialFinishes(second.api)).state).toBe('finished');
    // The resumed webhooks are still being tried.
    await until(
      () => webhookFailures(second.api),
      (failures) => failures >= FAILING,
      { timeoutMs: 10_000 },
    );
    const waiting = await second.api.get<{ items: { lastError?: string }[] }>(
      '/workitems?state=created&limit=100',
    );
    expect(waiting.body.items).toHaveLength(FAILING);
    expect(waiting.body.items.every((w) => /ECONNREFUSED/.test(w.lastError ?? ''))).toBe(true);
  });
});
