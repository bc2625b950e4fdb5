import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Client, ErrorBody } from './http/client.js';
import type { Service } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import type { NetBody } from './http/nets.js';
import { until } from './http/poll.js';
import { freshId } from './http/resources.js';
import { freePort } from '../apps/api/src/soak/service-process.js';

jest.setTimeout(30_000);

interface Timer {
  readonly id: string;
  readonly caseId: string;
  readonly kind: string;
  readonly dueAt: string;
  readonly state: 'pending' | 'fired' | 'cancelled';
  readonly taskId: string | null;
  readonly workitemId: string | null;
  readonly scheduledAt: string;
  readonly firedAt: string | null;
  readonly cancelledAt: string | null;
}

type Body = NetBody & {
  caseTimeout?: unknown;
  transitions: (NetBody['transitions'][number] & { timeouts?: unknown; retry?: unknown })[];
};

/**
 * A review with a 48-hour escalation: the manual `review` and the timer `escalate` compete for the start
 * token (a deferred choice); review's workitems are bounded by a day and retried three times at most, and
 * the whole case by 30 days.
 */
function escalation(id = freshId('escalation')): Body {
  return {
    id,
    caseTimeout: 'P30D',
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      {
        id: 'review',
        executor: 'manual',
        timeouts: { scheduleToClose: 'P1D' },
        retry: { initialInterval: 'PT30S', backoffCoefficient: 1.5, maximumAttempts: 3 },
      },
      { id: 'escalate', executor: 'timer', executorParams: { after: 'PT48H' } },
    ],
    arcs: [
      { from: 'start', to: 'review' },
      { from: 'review', to: 'end' },
      { from: 'start', to: 'escalate' },
      { from: 'escalate', to: 'end' },
    ],
  };
}

const plus = (time: string, hours: number): string =>
  new Date(Date.parse(time) + hours * 3_600_000).toISOString();

describe('a definition with timeouts, a retry policy, a caseTimeout and a timer', () => {
  let service: Service;
  let api: Client;

  beforeAll(async () => {
    service = await startService('memory');
    api = service.api;
  });
  afterAll(() => service.stop());

  it('is stored as given, and answered so in JSON and in PNML', async () => {
    const body = escalation();
    const created = await api.post<Body>('/workflows', body);
    expect(created.status).toBe(201);
    expect(created.body.caseTimeout).toBe('P30D');
    expect(created.body.transitions).toEqual([
      expect.objectContaining(body.transitions[0] as object),
      expect.objectContaining(body.transitions[1] as object),
    ]);

    const read = await api.get<Body>(
      `/workflows/${body.id}?waitFor=${(created.body as { position?: string }).position}`,
    );
    expect(read.body.caseTimeout).toBe('P30D');
    expect(read.body.transitions[0]).toMatchObject({
      timeouts: { scheduleToClose: 'P1D' },
      retry: { initialInterval: 'PT30S', backoffCoefficient: 1.5, maximumAttempts: 3 },
    });
    expect(read.body.transitions[0]).not.toHaveProperty('retry.maximumInterval');

    const pnml = await api.get(`/workflows/${body.id}`, { headers: { accept: 'application/xml' } });
    expect(pnml.text).toContain('<caseTimeout>P30D</caseTimeout>');
    const imported = await api.post<Body>('/workflows', undefined, {
      rawBody: pnml.text.replace(`id="${body.id}"`, `id="${body.id}-again"`),
      headers: { 'content-type': 'application/xml' },
    });
    expect(imported.status).toBe(201);
    expect(imported.body.caseTimeout).toBe('P30D');
    expect(imported.body.transitions).toEqual(created.body.transitions);

    expect((await api.post('/workflows', body)).status).toBe(200);
  });

  const withTransition = (change: Record<string, unknown>): Body => {
    const body = escalation();
    body.transitions[0] = { ...body.transitions[0], ...change } as Body['transitions'][number];
    return body;
  };
  const withTimer = (executorParams: Record<string, unknown>): Body => {
    const body = escalation();
    body.transitions[1] = { id: 'escalate', executor: 'timer', executorParams };
    return body;
  };

  it.each<[string, () => Body, string, RegExp]>([
    [
      'a timeout that is not a duration',
      () => withTransition({ timeouts: { scheduleToStart: '1 hour' } }),
      'transitions[0].timeouts.scheduleToStart',
      /not an ISO 8601 duration/,
    ],
    [
      'a negative timeout',
      () => withTransition({ timeouts: { startToClose: '-PT10M' } }),
      'transitions[0].timeouts.startToClose',
      /not an ISO 8601 duration/,
    ],
    [
      'a timeout over a century',
      () => withTransition({ timeouts: { scheduleToClose: 'P200Y' } }),
      'transitions[0].timeouts.scheduleToClose',
      /longer than 100 years/,
    ],
    [
      'timeouts that are not an object',
      () => withTransition({ timeouts: 'PT1H' }),
      'transitions[0].timeouts',
      /object/,
    ],
    [
      'a null timeout',
      () => withTransition({ timeouts: { scheduleToStart: null } }),
      'transitions[0].timeouts.scheduleToStart',
      /duration/,
    ],
    [
      'an initial interval that is not a duration',
      () => withTransition({ retry: { initialInterval: 'soon' } }),
      'transitions[0].retry.initialInterval',
      /not an ISO 8601 duration/,
    ],
    [
      'a maximum interval that is a number',
      () => withTransition({ retry: { maximumInterval: 300 } }),
      'transitions[0].retry.maximumInterval',
      /must be an ISO 8601 duration/,
    ],
    [
      'a backoff coefficient under 1',
      () => withTransition({ retry: { backoffCoefficient: 0.5 } }),
      'transitions[0].retry.backoffCoefficient',
      /not be less than 1/,
    ],
    [
      'a backoff coefficient that is a string',
      () => withTransition({ retry: { backoffCoefficient: '2' } }),
      'transitions[0].retry.backoffCoefficient',
      /number/,
    ],
    [
      'a negative maximum of attempts',
      () => withTransition({ retry: { maximumAttempts: -1 } }),
      'transitions[0].retry.maximumAttempts',
      /not be less than 0/,
    ],
    [
      'a fractional maximum of attempts',
      () => withTransition({ retry: { maximumAttempts: 2.5 } }),
      'transitions[0].retry.maximumAttempts',
      /integer/,
    ],
    [
      'non-retryable error types that are not strings',
      () => withTransition({ retry: { nonRetryableErrorTypes: ['invalid_card', 7] } }),
      'transitions[0].retry.nonRetryableErrorTypes[1]',
      /an error type is a string/,
    ],
    [
      'too many non-retryable error types',
      () =>
        withTransition({ retry: { nonRetryableErrorTypes: Array.from({ length: 101 }, (_, i) => `e${i}`) } }),
      'transitions[0].retry.nonRetryableErrorTypes',
      /at most 100 error types/,
    ],
    ['a retry policy that is a list', () => withTransition({ retry: [] }), 'transitions[0].retry', /object/],
    [
      'a caseTimeout that is not a duration',
      () => ({ ...escalation(), caseTimeout: 'forever' }),
      'caseTimeout',
      /"forever" is not an ISO 8601 duration/,
    ],
    [
      'a timer with neither after nor at',
      () => withTimer({}),
      'transitions[1].executorParams.after',
      /after .* or at/,
    ],
    [
      'a timer with both after and at',
      () => withTimer({ after: 'PT1H', at: 'now' }),
      'transitions[1].executorParams.at',
      /not both/,
    ],
    [
      'a timer whose after is not a duration',
      () => withTimer({ after: 'two days' }),
      'transitions[1].executorParams.after',
      /not an ISO 8601 duration/,
    ],
    [
      'a timer whose at gives no timestamp',
      () => withTimer({ at: 'case.amount > 3' }),
      'transitions[1].executorParams.at',
      /gives bool, not a timestamp/,
    ],
    [
      'a timer whose at reads an unknown variable',
      () => withTimer({ at: 'timestamp(output.due)' }),
      'transitions[1].executorParams.at',
      /Unknown variable: output/,
    ],
  ])(
    'with %s is refused with 400 validation_failed at its path, and nothing is stored',
    async (_what, build, path, message) => {
      const body = build();
      const reply = await api.post<ErrorBody>('/workflows', body);
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('validation_failed');
      expect(reply.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ path, message: expect.stringMatching(message) })]),
      );
      expect((await api.get(`/workflows/${body.id}`)).status).toBe(404);
    },
  );
});

describe.each(STORE_KINDS)('the timers of a case (%s store, manual clock)', (store) => {
  let service: Service;
  let api: Client;
  let workflowId: string;

  beforeAll(async () => {
    service = await startService(store, { env: { WFNET_CLOCK: 'manual' } });
    api = service.api;
    const body = escalation();
    workflowId = body.id as string;
    expect((await api.post('/workflows', body)).status).toBe(201);
  });
  afterAll(() => service.stop());

  async function startCase() {
    const now = (await api.get<{ now: string }>('/admin/clock')).body.now;
    const created = await api.post<{ id: string; position: string }>('/cases', {
      workflowId,
      id: freshId('late-review'),
    });
    expect(created.status).toBe(201);
    return { now, caseId: created.body.id, position: created.body.position };
  }

  it('lists the timers scheduled with the case and its workitems, pending, as soon as waitFor is reached', async () => {
    const { now, caseId, position } = await startCase();
    const reply = await api.get<Timer[]>(`/cases/${caseId}/timers?waitFor=${position}`);
    expect(reply.status).toBe(200);
    const byKind = Object.fromEntries(reply.body.map((t) => [t.kind, t]));
    expect(Object.keys(byKind).sort()).toEqual(['case', 'executor', 'scheduleToClose']);
    expect(reply.body.map((t) => t.id)).toEqual([1, 2, 3].map((n) => `${caseId}:timer-${n}`));
    expect(byKind['case']).toMatchObject({
      caseId,
      dueAt: plus(now, 30 * 24),
      state: 'pending',
      taskId: null,
      workitemId: null,
      scheduledAt: now,
      firedAt: null,
      cancelledAt: null,
    });
    expect(byKind['executor']).toMatchObject({
      dueAt: plus(now, 48),
      state: 'pending',
      workitemId: expect.stringMatching(/:workitem-\d+$/),
    });
    expect(byKind['scheduleToClose']).toMatchObject({ dueAt: plus(now, 24), state: 'pending' });
  });

  it('shows every timer cancelled once the review wins the deferred choice and the case finishes', async () => {
    const { caseId, position } = await startCase();
    const timers = (await api.get<Timer[]>(`/cases/${caseId}/timers?waitFor=${position}`)).body;
    const review = timers.find((t) => t.kind === 'scheduleToClose')?.workitemId as string;
    await api.post('/admin/clock', { advance: 'PT1H' });
    const completed = await api.post<{
      position: string;
      attempts: number;
      lastError: unknown;
      retryAt: unknown;
    }>(`/workitems/${review}/complete`, { output: 'approved' });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ attempts: 0, lastError: null, retryAt: null });

    const after = await api.get<Timer[]>(`/cases/${caseId}/timers?waitFor=${completed.body.position}`);
    expect(after.body.map((t) => [t.kind, t.state])).toEqual(timers.map((t) => [t.kind, 'cancelled']));
    const cancelledAt = plus(timers[0]?.scheduledAt as string, 1);
    for (const timer of after.body) expect(timer).toMatchObject({ cancelledAt, firedAt: null });
    expect(
      (await api.get<{ state: string }>(`/cases/${caseId}?waitFor=${completed.body.position}`)).body.state,
    ).toBe('finished');
  });

  it('answers a workitem that never failed with no attempts, no last error and no retry', async () => {
    const { caseId, position } = await startCase();
    const listed = await api.get<{ items: Record<string, unknown>[] }>(
      `/cases/${caseId}/workitems?waitFor=${position}`,
    );
    expect(listed.body.items.length).toBe(2);
    for (const item of listed.body.items) {
      expect(item).toMatchObject({ attempts: 0, lastError: null, retryAt: null });
      expect((await api.get(`/workitems/${item['id'] as string}`)).body).toMatchObject({
        attempts: 0,
        lastError: null,
        retryAt: null,
      });
    }
  });

  it('answers 404 for the timers of a case that does not exist', async () => {
    const reply = await api.get<ErrorBody>('/cases/no-such-case/timers');
    expect(reply.status).toBe(404);
    expect(reply.body.code).toBe('not_found');
  });
});

interface FailedWorkitem {
  readonly id: string;
  readonly state: string;
  readonly attempts: number;
  readonly lastError: { readonly type: string; readonly message: string; readonly retryable: boolean } | null;
  readonly retryAt: string | null;
}

describe('a workitem whose webhook fails (manual clock)', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('sqlite', {
      env: { WFNET_CLOCK: 'manual', WFNET_WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32' },
    });
  });
  afterAll(() => service.stop());

  it('shows its attempts, its last error and when it is retried, then no retry once they run out', async () => {
    const { api } = service;
    const workflowId = freshId('closed-hook');
    const url = `http://127.0.0.1:${await freePort()}/`;
    const defined = await api.post('/workflows', {
      id: workflowId,
      places: [
        { id: 'start', type: 'start' },
        { id: 'end', type: 'end' },
      ],
      transitions: [
        {
          id: 'call',
          executor: 'webhook',
          executorParams: { url },
          retry: { initialInterval: 'PT10S', maximumAttempts: 2 },
        },
      ],
      arcs: [
        { from: 'start', to: 'call' },
        { from: 'call', to: 'end' },
      ],
    });
    expect(defined.status).toBe(201);
    const now = (await api.get<{ now: string }>('/admin/clock')).body.now;
    const created = await api.post<{ id: string }>('/cases', { workflowId, id: freshId('pay') });
    const workitemId = `${created.body.id}:workitem-1`;
    const read = () => api.get<FailedWorkitem>(`/workitems/${workitemId}`);

    const first = await until(read, (r) => r.status === 200 && r.body.attempts === 1, { timeoutMs: 10_000 });
    expect(first.body).toMatchObject({
      state: 'created',
      attempts: 1,
      lastError: { type: 'network', message: expect.any(String), retryable: true },
      retryAt: new Date(Date.parse(now) + 10_000).toISOString(),
    });
    const listed = await api.get<{ items: FailedWorkitem[] }>(`/cases/${created.body.id}/workitems`);
    expect(listed.body.items[0]).toMatchObject({ attempts: 1, retryAt: first.body.retryAt });
    const timers = await api.get<Timer[]>(`/cases/${created.body.id}/timers`);
    expect(timers.body).toEqual([
      expect.objectContaining({ kind: 'retry', dueAt: first.body.retryAt, state: 'pending', workitemId }),
    ]);

    await api.post('/admin/clock', { advance: 'PT10S' });
    const second = await until(read, (r) => r.status === 200 && r.body.attempts === 2, { timeoutMs: 10_000 });
    expect(second.body).toMatchObject({
      state: 'created',
      attempts: 2,
      lastError: { type: 'network', retryable: true },
      retryAt: null,
    });
    const after = await api.get<Timer[]>(`/cases/${created.body.id}/timers`);
    expect(after.body.map((t) => [t.kind, t.state])).toEqual([['retry', 'fired']]);
  });
});
