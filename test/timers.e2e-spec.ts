import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { Client } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import type { NetBody } from './http/nets.js';
import { until } from './http/poll.js';
import type { Case, HistoryEvent } from './http/resources.js';
import { caseWhen, createCase, defineWorkflow, historyOf, workitemOf } from './http/resources.js';

jest.setTimeout(30_000);

interface TimerBody {
  readonly id: string;
  readonly kind: string;
  readonly dueAt: string;
  readonly state: 'pending' | 'fired' | 'cancelled';
}

interface IncidentBody {
  readonly id: string;
  readonly kind: string;
  readonly workitemId: string | null;
  readonly state: 'open' | 'resolved';
}

const HOUR = 3600_000;
const MANUAL = { WFNET_CLOCK: 'manual' };

/** A manual `approve` and a timer `escalate` (after `after`) compete for the start token: a deadline. */
function escalation(id: string, after: string): NetBody {
  return {
    id,
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'approve', executor: 'manual' },
      { id: 'escalate', executor: 'timer', executorParams: { after } },
    ],
    arcs: [
      { from: 'start', to: 'approve' },
      { from: 'start', to: 'escalate' },
      { from: 'approve', to: 'end' },
      { from: 'escalate', to: 'end' },
    ],
  };
}

/** One manual `review`, with the workflow's `caseTimeout` and the review's `timeouts` given. */
function boundedReview(
  id: string,
  { caseTimeout, timeouts }: { caseTimeout?: string; timeouts?: Record<string, string> },
): NetBody {
  return {
    id,
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 'review', executor: 'manual', ...(timeouts && { timeouts }) }],
    arcs: [
      { from: 'start', to: 'review' },
      { from: 'review', to: 'end' },
    ],
    ...(caseTimeout !== undefined && { caseTimeout }),
  };
}

async function timersOf(api: Client, caseId: string): Promise<readonly TimerBody[]> {
  const reply = await api.get<TimerBody[]>(`/cases/${caseId}/timers`);
  expect(reply.status).toBe(200);
  return reply.body;
}

/** The case's timers once `accept` holds for them. */
const timersWhen = (api: Client, caseId: string, accept: (timers: readonly TimerBody[]) => boolean) =>
  until(() => timersOf(api, caseId), accept);

const ofType = (history: readonly HistoryEvent[], type: string) => history.filter((e) => e.type === type);

async function advance(api: Client, duration: string): Promise<string> {
  const reply = await api.post<{ now: string }>('/admin/clock', { advance: duration });
  expect(reply.status).toBe(200);
  return reply.body.now;
}

const services: Service[] = [];
afterEach(async () => {
  for (const service of services.splice(0)) await service.stop();
});

async function started(env: Record<string, string>, dir?: string): Promise<Service> {
  const service = await startService('sqlite', { env, ...(dir !== undefined && { dir }) });
  services.push(service);
  return service;
}

describe('an escalation after PT48H, on the manual clock', () => {
  it('fires after advancing PT48H, not after PT47H59M, completing the timer and withdrawing the approval', async () => {
    const { api } = await started(MANUAL);
    await defineWorkflow(api, escalation('escalation', 'PT48H'));
    // A control timer due a minute earlier: once it has fired, the scheduler has looked at the moved clock.
    await defineWorkflow(api, escalation('control', 'PT47H59M'));
    const created = await createCase(api, 'escalation');
    const control = await createCase(api, 'control');
    const [pending] = await timersWhen(api, created.id, (timers) => timers.length === 1);
    expect(pending).toMatchObject({ kind: 'executor', state: 'pending' });
    expect(Date.parse(pending!.dueAt) - Date.parse(created.createdAt)).toBe(48 * HOUR);

    await advance(api, 'PT47H59M');
    await timersWhen(api, control.id, (timers) => timers[0]?.state === 'fired');
    expect((await timersOf(api, created.id))[0]?.state).toBe('pending');
    expect(ofType(await historyOf(api, created.id), 'TimerFired')).toEqual([]);

    const firedAt = await advance(api, 'PT1M');
    const finished = await caseWhen(api, created.id, (c) => c.state === 'finished');
    expect(finished.state).toBe('finished');
    expect((await timersOf(api, created.id))[0]?.state).toBe('fired');
    const escalated = await workitemOf(api, created.id, 'escalate', 'completed');
    expect(escalated.output).toEqual({ firedAt });
    await workitemOf(api, created.id, 'approve', 'abandoned');
    const history = await historyOf(api, created.id);
    expect(ofType(history, 'TimerFired').map((e) => e.data['timerId'])).toEqual([pending!.id]);
  });

  it('is withdrawn when the approval completes first, and never fires', async () => {
    const { api } = await started(MANUAL);
    await defineWorkflow(api, escalation('escalation', 'PT48H'));
    await defineWorkflow(api, escalation('control', 'PT48H'));
    const created = await createCase(api, 'escalation');
    const approve = await workitemOf(api, created.id, 'approve');
    await advance(api, 'PT1H');

    const completed = await api.post(`/workitems/${approve.id}/complete`, { output: 'approved' });
    expect(completed.status).toBe(200);

    const [withdrawn] = await timersWhen(api, created.id, (timers) => timers[0]?.state === 'cancelled');
    expect(withdrawn).toMatchObject({ kind: 'executor', state: 'cancelled' });
    const control = await createCase(api, 'control');
    await advance(api, 'PT72H');
    await timersWhen(api, control.id, (timers) => timers[0]?.state === 'fired');
    const history = await historyOf(api, created.id);
    expect(ofType(history, 'TimerCancelled').map((e) => e.data['timerId'])).toEqual([withdrawn!.id]);
    expect(ofType(history, 'TimerFired')).toEqual([]);
    expect((await caseWhen(api, created.id, (c) => c.state === 'finished')).state).toBe('finished');
  });
});

describe('a timer due while the service is stopped', () => {
  it('fires right after the restart', async () => {
    const first = await started({});
    await defineWorkflow(first.api, escalation('escalation-soon', 'PT1S'));
    const created = await createCase(first.api, 'escalation-soon');
    const [pending] = await timersWhen(first.api, created.id, (timers) => timers.length === 1);
    await first.stop({ keepFiles: true });
    services.splice(0);
    const dueIn = Date.parse(pending!.dueAt) - Date.now();
    if (dueIn > -100) await new Promise((resolve) => setTimeout(resolve, dueIn + 100));

    const restartedAt = Date.now();
    const second = await started({}, first.dir);
    await caseWhen(second.api, created.id, (c) => c.state === 'finished');

    const [fired] = ofType(await historyOf(second.api, created.id), 'TimerFired');
    expect(fired?.data['timerId']).toBe(pending!.id);
    const firedAt = Date.parse(fired!.recordedAt);
    expect(firedAt).toBeGreaterThanOrEqual(restartedAt);
    expect(firedAt - Date.now()).toBeLessThanOrEqual(0);
    expect(firedAt - restartedAt).toBeLessThan(3000);
  });
});

describe('the timeouts of a case and of a workitem, on the manual clock', () => {
  it('terminates a case whose caseTimeout ran out, with reason timeout, and not a moment before', async () => {
    const { api } = await started(MANUAL);
    await defineWorkflow(api, boundedReview('bounded-case', { caseTimeout: 'P30D' }));
    const created = await createCase(api, 'bounded-case');
    const [timer] = await timersWhen(api, created.id, (timers) => timers.length === 1);
    expect(timer).toMatchObject({ kind: 'case', state: 'pending' });

    await advance(api, 'P29DT23H');
    expect((await api.get<Case>(`/cases/${created.id}`)).body.state).toBe('active');
    await advance(api, 'PT1H');

    expect((await caseWhen(api, created.id, (c) => c.state === 'terminated')).state).toBe('terminated');
    const [terminated] = ofType(await historyOf(api, created.id), 'CaseTerminated');
    expect(terminated?.data['reason']).toBe('timeout');
    expect((await timersOf(api, created.id))[0]?.state).toBe('fired');
  });

  it('raises a timeout incident when scheduleToClose runs out, and no timer is left pending', async () => {
    const { api } = await started(MANUAL);
    await defineWorkflow(api, boundedReview('bounded-review', { timeouts: { scheduleToClose: 'PT10M' } }));
    const created = await createCase(api, 'bounded-review');
    const review = await workitemOf(api, created.id, 'review');
    await timersWhen(api, created.id, (timers) => timers.some((t) => t.kind === 'scheduleToClose'));

    await advance(api, 'PT10M');

    const incidents = await until(
      () => api.get<{ items: IncidentBody[] }>(`/incidents?caseId=${created.id}`),
      (reply) => reply.status === 200 && reply.body.items.length === 1,
    );
    expect(incidents.body.items[0]).toMatchObject({ kind: 'timeout', workitemId: review.id, state: 'open' });
    const timers = await timersOf(api, created.id);
    expect(timers.filter((t) => t.state === 'pending')).toEqual([]);
    expect(timers.find((t) => t.kind === 'scheduleToClose')?.state).toBe('fired');
  });
});
