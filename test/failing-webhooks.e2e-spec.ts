import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { createServer as createHttpServer } from 'node:http';
import type { Client } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import type { NetBody } from './http/nets.js';
import { sequential } from './http/nets.js';
import { until } from './http/poll.js';
import type { Case } from './http/resources.js';
import { caseWhen, createCase, defineWorkflow, historyOf, workitemOf } from './http/resources.js';
import { freePort } from '../apps/api/src/soak/service-process.js';

jest.setTimeout(60_000);

/** As many failing webhooks as the dispatcher has slots by default. */
const FAILING = 64;

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
/** Servers a test opened, closed after it whatever its outcome. */
const closers: (() => Promise<void>)[] = [];
// The closed port is on loopback, which webhooks may reach only when allowed.
const env = { WFNET_WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32' };

afterEach(async () => {
  for (const service of services.splice(0)) await service.stop();
  for (const close of closers.splice(0)) await close();
});

describe(`${FAILING} webhooks to a closed port`, () => {
  it('hold no dispatcher slot while they back off: a new sequential case finishes, before and after a restart', async () => {
    const first = await startService('sqlite', { env });
    services.push(first);
    await defineWorkflow(first.api, webhookTo(`http://127.0.0.1:${await freePort()}/`));
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
    const waiting = await second.api.get<{
      items: { lastError: { type: string; message: string } | null }[];
    }>('/workitems?state=created&limit=100');
    expect(waiting.body.items).toHaveLength(FAILING);
    expect(
      waiting.body.items.every(
        (w) => w.lastError?.type === 'network' && /ECONNREFUSED/.test(w.lastError.message),
      ),
    ).toBe(true);
  });
});

interface FailedData {
  readonly workitemId: string;
  readonly attempt: number;
  readonly error: { readonly type: string; readonly message: string; readonly retryable: boolean };
  readonly retryAt: string | null;
}

interface IncidentBody {
  readonly id: string;
  readonly kind: string;
  readonly workitemId: string | null;
  readonly state: 'open' | 'resolved';
}

/** A webhook answering 503 to every call, noting the service's (manual) time of each. */
async function unavailableWebhook(now: () => string) {
  const calls: string[] = [];
  /** The `attempt` each call's body named. */
  const attempts: number[] = [];
  const server = createHttpServer((request, response) => {
    calls.push(now());
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      attempts.push((JSON.parse(body) as { attempt: number }).attempt);
      response.writeHead(503).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not on a TCP port');
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  closers.push(close);
  return {
    url: `http://127.0.0.1:${address.port}/pay`,
    calls,
    attempts,
    /** Closes the port: the calls after this are refused. */
    close,
  };
}

/** `start → pay (webhook) → end`, and a timer `tick` due `after` from its creation (the test's marker). */
function payment(url: string, retry: Record<string, unknown>): NetBody {
  return {
    id: 'payment',
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 'pay', executor: 'webhook', executorParams: { url }, retry }],
    arcs: [
      { from: 'start', to: 'pay' },
      { from: 'pay', to: 'end' },
    ],
  };
}

/** A lone timer, due `after` from its case's creation. */
function marker(after: string): NetBody {
  return {
    id: `marker-${after.toLowerCase()}`,
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 'tick', executor: 'timer', executorParams: { after } }],
    arcs: [
      { from: 'start', to: 'tick' },
      { from: 'tick', to: 'end' },
    ],
  };
}

async function failuresOf(api: Client, caseId: string): Promise<FailedData[]> {
  return (await historyOf(api, caseId))
    .filter((e) => e.type === 'WorkitemFailed')
    .map((e) => e.data as unknown as FailedData);
}

const failuresWhen = (api: Client, caseId: string, count: number) =>
  until(
    () => failuresOf(api, caseId),
    (failures) => failures.length >= count,
  );

async function openIncidents(api: Client, caseId: string, count: number): Promise<IncidentBody[]> {
  const reply = await until(
    () => api.get<{ items: IncidentBody[] }>(`/incidents?caseId=${caseId}&state=open`),
    (r) => r.status === 200 && r.body.items.length === count,
  );
  return reply.body.items;
}

describe('a failing payment webhook, on the manual clock', () => {
  const manualEnv = { ...env, WFNET_CLOCK: 'manual' };
  const SECOND = 1000;

  it('records each failed attempt with its retryAt, retries no sooner, and raises an incident when attempts run out', async () => {
    const service = await startService('sqlite', { env: manualEnv });
    services.push(service);
    const { api } = service;
    let now = (await api.get<{ now: string }>('/admin/clock')).body.now;
    const advance = async (duration: string): Promise<void> => {
      const reply = await api.post<{ now: string }>('/admin/clock', { advance: duration });
      expect(reply.status).toBe(200);
      now = reply.body.now;
    };
    /** Moves the clock, and waits until a marker due after exactly that long has fired. */
    const advanceSeen = async (duration: string): Promise<void> => {
      await defineWorkflow(api, marker(duration));
      const markerCase = await createCase(api, `marker-${duration.toLowerCase()}`);
      await advance(duration);
      await caseWhen(api, markerCase.id, (c) => c.state === 'finished');
    };
    const hook = await unavailableWebhook(() => now);
    await defineWorkflow(
      api,
      payment(hook.url, {
        initialInterval: 'PT10S',
        backoffCoefficient: 2,
        maximumInterval: 'PT30S',
        maximumAttempts: 4,
      }),
    );
    const created = await createCase(api, 'payment');
    const start = Date.parse(now);
    const at = (seconds: number) => new Date(start + seconds * SECOND).toISOString();

    const [first] = await failuresWhen(api, created.id, 1);
    expect(first).toMatchObject({
      attempt: 1,
      error: { type: 'http_5xx', message: 'the webhook answered HTTP 503', retryable: true },
      retryAt: at(10),
    });
    const pay = await workitemOf(api, created.id, 'pay', 'created');
    expect(pay).toMatchObject({ attempts: 1, retryAt: at(10) });

    await advanceSeen('PT9S');
    expect(hook.calls).toEqual([at(0)]);
    expect(await failuresOf(api, created.id)).toHaveLength(1);

    await advance('PT1S');
    const second = (await failuresWhen(api, created.id, 2))[1];
    expect(second).toMatchObject({ attempt: 2, error: { type: 'http_5xx' }, retryAt: at(30) });
    expect(hook.calls).toEqual([at(0), at(10)]);
    expect(hook.attempts).toEqual([1, 2]);

    await hook.close();
    await advanceSeen('PT19S');
    expect(await failuresOf(api, created.id)).toHaveLength(2);
    await advance('PT1S');
    const third = (await failuresWhen(api, created.id, 3))[2];
    // 10 s × 2² = 40 s, capped at the maximum interval.
    expect(third).toMatchObject({ attempt: 3, error: { type: 'network', retryable: true }, retryAt: at(60) });
    expect(third?.error.message).toMatch(/ECONNREFUSED/);

    await advance('PT30S');
    const fourth = (await failuresWhen(api, created.id, 4))[3];
    expect(fourth).toMatchObject({ attempt: 4, error: { type: 'network' }, retryAt: null });
    const [incident] = await openIncidents(api, created.id, 1);
    expect(incident).toMatchObject({ kind: 'executor_failed', workitemId: pay.id, state: 'open' });
    await advanceSeen('PT1H');
    expect(await failuresOf(api, created.id)).toHaveLength(4);
    expect(hook.calls).toHaveLength(2);

    // An operator's retry runs one more attempt at once; it fails, and a new incident is raised.
    const retried = await api.post(`/incidents/${incident!.id}/resolve`, { action: 'retry' });
    expect(retried.status).toBe(200);
    const fifth = (await failuresWhen(api, created.id, 5))[4];
    expect(fifth).toMatchObject({ attempt: 5, error: { type: 'network' }, retryAt: null });
    const [again] = await openIncidents(api, created.id, 1);
    expect(again?.id).not.toBe(incident!.id);

    // Completing it by hand finishes the case with the operator's output.
    const completed = await api.post(`/incidents/${again!.id}/resolve`, {
      action: 'complete',
      output: { paid: 'by hand' },
    });
    expect(completed.status).toBe(200);
    expect((await caseWhen(api, created.id, (c) => c.state === 'finished')).state).toBe('finished');
    expect((await workitemOf(api, created.id, 'pay', 'completed')).output).toEqual({ paid: 'by hand' });
    expect(await openIncidents(api, created.id, 0)).toEqual([]);
  });

  it('raises an incident at once for an error that is not retryable; abandoning it offers the token to a new workitem', async () => {
    const service = await startService('sqlite', { env: manualEnv });
    services.push(service);
    const { api } = service;
    const refused = createHttpServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          status: 'failed',
          error: { type: 'card_declined', message: 'no funds', retryable: false },
        }),
      );
    });
    await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          refused.close(() => resolve());
          refused.closeAllConnections();
        }),
    );
    const { port } = refused.address() as { port: number };
    {
      await defineWorkflow(api, payment(`http://127.0.0.1:${port}/pay`, { maximumAttempts: 10 }));
      const created = await createCase(api, 'payment');

      const [failure] = await failuresWhen(api, created.id, 1);
      expect(failure).toMatchObject({
        attempt: 1,
        error: { type: 'card_declined', message: 'no funds', retryable: false },
        retryAt: null,
      });
      const [incident] = await openIncidents(api, created.id, 1);
      expect(incident?.kind).toBe('executor_failed');

      const abandoned = await api.post(`/incidents/${incident!.id}/resolve`, { action: 'abandon' });
      expect(abandoned.status).toBe(200);
      expect((await workitemOf(api, created.id, 'pay', 'abandoned')).id).toBe(failure!.workitemId);
      const resolved = await api.get<IncidentBody>(`/incidents/${incident!.id}`);
      expect(resolved.body.state).toBe('resolved');
      // The token is offered again: a new workitem calls again, and fails for good again.
      const [next] = await openIncidents(api, created.id, 1);
      expect(next?.workitemId).not.toBe(failure!.workitemId);
      expect(await failuresOf(api, created.id)).toHaveLength(2);
    }
  });
});
