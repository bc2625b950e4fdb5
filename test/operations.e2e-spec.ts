import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Client } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import { approval } from './http/nets.js';
import type { NetBody } from './http/nets.js';
import { until } from './http/poll.js';
import type { Workitem } from './http/resources.js';
import { createCase, defineWorkflow, workitemOf } from './http/resources.js';

jest.setTimeout(20_000);

/** The value of one sample of the Prometheus text, e.g. `wfnet_workitems{state="started"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function metricsOf(api: Client): Promise<string> {
  const reply = await api.get('/metrics');
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return reply.text;
}

/** A webhook that nothing answers: the connection is refused at once (port 9 is discard, closed here). */
function unreachableWebhook(): NetBody {
  return {
    id: 'unreachable-hook',
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 'call', executor: 'webhook', executorParams: { url: 'http://127.0.0.1:9/' } }],
    arcs: [
      { from: 'start', to: 'call' },
      { from: 'call', to: 'end' },
    ],
  };
}

describe.each(STORE_KINDS)('GET /metrics and GET /health on the %s store', (store: StoreKind) => {
  let service: Service;

  beforeAll(async () => {
    // The webhook below is on loopback, which a webhook may only reach when allowed.
    service = await startService(store, { env: { WFNET_WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32' } });
  });

  afterAll(() => service.stop());

  it('counts commands by type and outcome, and appends', async () => {
    const { api } = service;
    await defineWorkflow(api, approval());
    const created = await createCase(api, 'approval');
    const approve: Workitem = await workitemOf(api, created.id, 'approve');
    expect((await api.post(`/workitems/${approve.id}/complete`, { output: 1 })).status).toBe(200);
    // The workitem ended with the first completion (and the case with it): the second is refused for it.
    expect((await api.post(`/workitems/${approve.id}/complete`, { output: 2 })).status).toBe(409);

    const text = await metricsOf(api);
    expect(sample(text, 'wfnet_commands_total{type="CreateCase",outcome="ok"}')).toBe(1);
    expect(sample(text, 'wfnet_commands_total{type="CompleteWorkitem",outcome="ok"}')).toBe(1);
    expect(
      sample(text, 'wfnet_commands_total{type="CompleteWorkitem",outcome="workitem_not_available"}'),
    ).toBe(1);
    expect(sample(text, 'wfnet_events_appended_total')).toBeGreaterThan(3);
    expect(sample(text, 'wfnet_append_duration_seconds_count')).toBeGreaterThanOrEqual(3);
  });

  it('shows open workitems by state, the projection lag and the dispatcher backlog', async () => {
    const { api } = service;
    await defineWorkflow(api, approval());
    const created = await createCase(api, 'approval');
    await workitemOf(api, created.id, 'reject');
    const text = await until(
      () => metricsOf(api),
      (t) => sample(t, 'wfnet_projection_lag_events') === 0,
    );
    // approve and reject of this case (the first test's case has finished).
    expect(sample(text, 'wfnet_workitems{state="started"}')).toBe(2);
    expect(sample(text, 'wfnet_workitems{state="created"}')).toBe(0);
    expect(sample(text, 'wfnet_projection_position')).toBeGreaterThan(0);
    expect(sample(text, 'wfnet_dispatcher_backlog')).toBe(0);
    expect(sample(text, 'wfnet_cases_waiting')).toBe(0);
  });

  it('counts webhook attempts and failures, and the waiting workitem in the backlog', async () => {
    const { api } = service;
    await defineWorkflow(api, unreachableWebhook());
    const created = await createCase(api, 'unreachable-hook');
    // Once its failed attempt is in the read models, the workitem waits for its retry timer, in the backlog.
    await until(
      () => api.get<{ items: { attempts: number }[] }>(`/cases/${created.id}/workitems`),
      (reply) => reply.status === 200 && reply.body.items.some((w) => w.attempts >= 1),
    );
    const text = await metricsOf(api);
    expect(sample(text, 'wfnet_webhook_failures_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'wfnet_webhook_attempts_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'wfnet_dispatcher_backlog')).toBe(1);
  });

  it('reports the projection lag on /health once the read models caught up', async () => {
    const created = await service.api.post<{ position: string }>('/cases', { workflowId: 'approval' });
    await service.api.get(`/cases?waitFor=${created.body.position}`);
    const health = await service.api.get<Record<string, string>>('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', projectionLag: expect.stringMatching(/^\d+$/) });
    expect(BigInt(health.body['projectionPosition']!)).toBeGreaterThanOrEqual(BigInt(created.body.position));
  });
});
