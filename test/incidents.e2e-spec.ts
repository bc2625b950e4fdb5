import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { join } from 'node:path';
import { v7 } from 'uuid';
import type { CaseEvent } from '@wfnet/domain';
import { caseStreamId } from '@wfnet/domain';
import { SqliteEventStore } from '../apps/api/src/event-store/sqlite-event-store.js';
import type { Client, ErrorBody } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import { loanOnOutput, singleManual } from './http/nets.js';
import type { Case, Page } from './http/resources.js';
import { POSITION, createCase, defineWorkflow, historyOf, workitemOf } from './http/resources.js';

jest.setTimeout(30_000);

interface Incident {
  readonly id: string;
  readonly caseId: string;
  readonly kind: 'condition_failed' | 'executor_failed' | 'timeout';
  readonly taskId: string;
  readonly workitemId: string | null;
  readonly message: string;
  readonly state: 'open' | 'resolved';
  readonly createdAt: string;
  readonly resolvedAt: string | null;
  readonly resolution: unknown;
}

const INCIDENT_FIELDS = [
  'caseId',
  'createdAt',
  'id',
  'kind',
  'message',
  'position',
  'resolution',
  'resolvedAt',
  'state',
  'taskId',
  'workitemId',
];

const openIncidentsGauge = (metrics: string): number | undefined => {
  const line = /^wfnet_incidents_open (\S+)$/m.exec(metrics);
  return line ? Number(line[1]) : undefined;
};

describe.each(STORE_KINDS)('incidents on the %s store, before any is raised', (store: StoreKind) => {
  let service: Service;
  let live: Case;

  beforeAll(async () => {
    service = await startService(store);
    await defineWorkflow(service.api, singleManual());
    live = await createCase(service.api, 'single-manual');
    await workitemOf(service.api, live.id, 'review');
  });

  afterAll(() => service.stop());

  it('lists none, as a page of the contract', async () => {
    const reply = await service.api.get<Page<Incident>>(`/incidents?waitFor=${live.position}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ items: [], next: null });
  });

  it('counts no open incident on a case, in the command’s answer, the case and the case list', async () => {
    expect(live.openIncidents).toBe(0);
    const read = await service.api.get<Case>(`/cases/${live.id}?waitFor=${live.position}`);
    expect(read.body.openIncidents).toBe(0);
    const listed = await service.api.get<Page<Case>>('/cases?workflowId=single-manual');
    expect(listed.body.items.map((c) => c.openIncidents)).toEqual([0]);
  });

  it('reports no open incident in the metrics', async () => {
    const reply = await service.api.get('/metrics');
    expect(openIncidentsGauge(reply.text)).toBe(0);
  });

  it.each([[`/incidents/no-such-case:incident-1`], [`/incidents/not-an-incident-id`]])(
    'answers 404 not_found for %s',
    async (path) => {
      const reply = await service.api.get<ErrorBody>(path);
      expect(reply.status).toBe(404);
      expect(reply.body.code).toBe('not_found');
    },
  );

  it.each([
    ['state=closed', 'state'],
    ['kind=boredom', 'kind'],
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['after=garbage', 'after'],
  ])('refuses the list query %s with 400 validation_failed', async (query, path) => {
    const reply = await service.api.get<ErrorBody>(`/incidents?${query}`);
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
    expect(reply.body.details?.map((d) => d.path)).toContain(path);
  });

  it.each<[string, unknown, string]>([
    ['no action', {}, 'action'],
    ['another action', { action: 'ignore' }, 'action'],
    ['a route without places', { action: 'route' }, 'placeIds'],
    ['a route to no place', { action: 'route', placeIds: [] }, 'placeIds'],
    ['a route to places that are not a list', { action: 'route', placeIds: 'approved' }, 'placeIds'],
    ['a route to a place id that is not one', { action: 'route', placeIds: ['a b'] }, 'placeIds[0]'],
    ['a route to a place twice', { action: 'route', placeIds: ['a', 'a'] }, 'placeIds[1]'],
    ['places on a retry', { action: 'retry', placeIds: ['a'] }, 'placeIds'],
    ['an output on an abandon', { action: 'abandon', output: 1 }, 'output'],
  ])('refuses %s with 400 validation_failed and changes nothing', async (_what, body, path) => {
    const before = await historyOf(service.api, live.id);
    const reply = await service.api.post<ErrorBody>(`/incidents/${live.id}:incident-1/resolve`, body);
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
    expect(reply.body.details?.map((d) => d.path)).toContain(path);
    expect(await historyOf(service.api, live.id)).toEqual(before);
  });

  it.each([
    ['an incident the case never raised', (c: Case) => `${c.id}:incident-1`],
    ['an incident of no case', () => 'no-such-case:incident-1'],
    ['an id that names no incident', (c: Case) => `${c.id}:workitem-1`],
  ])('answers 404 not_found to resolving %s, and changes nothing', async (_what, idOf) => {
    const before = await historyOf(service.api, live.id);
    const reply = await service.api.post<ErrorBody>(`/incidents/${idOf(live)}/resolve`, { action: 'retry' });
    expect(reply.status).toBe(404);
    expect(reply.body.code).toBe('not_found');
    expect(await historyOf(service.api, live.id)).toEqual(before);
  });
});

describe('incidents recorded in the SQLite store, read after a restart', () => {
  let service: Service;
  let dir: string;
  let live: Case;
  let other: Case;
  let position: bigint;

  const raised = (caseId: string, n: number, kind: Incident['kind'], at: string): CaseEvent => ({
    type: 'IncidentRaised',
    data: {
      caseId,
      incidentId: `${caseId}:incident-${n}`,
      kind,
      taskId: `${caseId}:task-1`,
      workitemId: kind === 'condition_failed' ? null : `${caseId}:workitem-1`,
      message: `${kind} ${n}`,
      at,
    },
  });

  beforeAll(async () => {
    // The decider raises no incident on these nets: they are appended to the cases' streams as it
    // would, while the service is down, and read by the service started again on the same file.
    const first = await startService('sqlite');
    await defineWorkflow(first.api, singleManual());
    live = await createCase(first.api, 'single-manual');
    other = await createCase(first.api, 'single-manual');
    await workitemOf(first.api, other.id, 'review');
    dir = first.dir as string;
    await first.stop({ keepFiles: true });

    const events = SqliteEventStore.open(join(dir, 'wfnet.db'));
    const append = async (caseId: string, appended: readonly CaseEvent[]) => {
      const result = await events.append(
        caseStreamId(caseId),
        appended.map((e) => ({ id: v7(), type: e.type, data: e.data })),
        'any',
      );
      position = result.position;
    };
    await append(live.id, [
      raised(live.id, 1, 'executor_failed', '2026-03-01T10:00:00.000Z'),
      raised(live.id, 2, 'timeout', '2026-03-01T10:01:00.000Z'),
      {
        type: 'IncidentResolved',
        data: {
          caseId: live.id,
          incidentId: `${live.id}:incident-1`,
          resolution: { action: 'complete', output: { paid: true } },
          at: '2026-03-01T10:02:00.000Z',
        },
      },
    ]);
    await append(other.id, [raised(other.id, 1, 'condition_failed', '2026-03-01T10:03:00.000Z')]);
    await events.close();

    service = await startService('sqlite', { dir });
  });

  afterAll(() => service.stop());

  it('answers an incident with the fields of the contract, resolved with when and how', async () => {
    const reply = await service.api.get<Incident>(`/incidents/${live.id}:incident-1?waitFor=${position}`);
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body).sort()).toEqual(INCIDENT_FIELDS);
    expect(reply.body).toMatchObject({
      id: `${live.id}:incident-1`,
      caseId: live.id,
      kind: 'executor_failed',
      taskId: `${live.id}:task-1`,
      workitemId: `${live.id}:workitem-1`,
      message: 'executor_failed 1',
      state: 'resolved',
      createdAt: '2026-03-01T10:00:00.000Z',
      resolvedAt: '2026-03-01T10:02:00.000Z',
      resolution: { action: 'complete', output: { paid: true } },
    });
  });

  it('answers an open incident with no resolution', async () => {
    const reply = await service.api.get<Incident>(`/incidents/${other.id}:incident-1?waitFor=${position}`);
    expect(reply.body).toMatchObject({ state: 'open', workitemId: null, resolvedAt: null, resolution: null });
  });

  it('pages through every incident in creation order, a cursor at a time', async () => {
    const ids: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const after: string = next === null ? '' : `&after=${next}`;
      const reply = await service.api.get<Page<Incident>>(`/incidents?limit=1&waitFor=${position}${after}`);
      expect(reply.status).toBe(200);
      expect(reply.body.items).toHaveLength(1);
      ids.push(...reply.body.items.map((i) => i.id));
      next = reply.body.next;
      pages += 1;
    } while (next !== null && pages < 10);
    expect(ids).toEqual([`${live.id}:incident-1`, `${live.id}:incident-2`, `${other.id}:incident-1`]);
  });

  it.each<[string, (ids: { live: string; other: string }) => string[]]>([
    ['state=open', ({ live, other }) => [`${live}:incident-2`, `${other}:incident-1`]],
    ['state=resolved', ({ live }) => [`${live}:incident-1`]],
    ['kind=condition_failed', ({ other }) => [`${other}:incident-1`]],
    ['state=open&kind=timeout', ({ live }) => [`${live}:incident-2`]],
    ['state=resolved&kind=timeout', () => []],
  ])('filters the list by %s', async (query, want) => {
    const reply = await service.api.get<Page<Incident>>(`/incidents?${query}&waitFor=${position}`);
    expect(reply.body.items.map((i) => i.id)).toEqual(want({ live: live.id, other: other.id }));
  });

  it('filters the list by case', async () => {
    const reply = await service.api.get<Page<Incident>>(`/incidents?caseId=${live.id}&waitFor=${position}`);
    expect(reply.body.items.map((i) => i.id)).toEqual([`${live.id}:incident-1`, `${live.id}:incident-2`]);
  });

  it('counts the open incidents of each case, in the case and in the case list', async () => {
    const read = await service.api.get<Case>(`/cases/${live.id}?waitFor=${position}`);
    expect(read.body.openIncidents).toBe(1);
    const listed = await service.api.get<Page<Case>>('/cases?workflowId=single-manual');
    expect(Object.fromEntries(listed.body.items.map((c) => [c.id, c.openIncidents]))).toEqual({
      [live.id]: 1,
      [other.id]: 1,
    });
  });

  it('reports the open incidents in the metrics', async () => {
    await service.api.get(`/incidents?waitFor=${position}`);
    expect(openIncidentsGauge((await service.api.get('/metrics')).text)).toBe(2);
  });

  it('answers 409 incident_not_open to resolving an incident already resolved, and changes nothing', async () => {
    const before = await historyOf(service.api, live.id);
    const reply = await service.api.post<ErrorBody>(`/incidents/${live.id}:incident-1/resolve`, {
      action: 'abandon',
    });
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe('incident_not_open');
    expect(await historyOf(service.api, live.id)).toEqual(before);
  });

  it('keeps them through a rebuild of the read models', async () => {
    const before = await service.api.get<Page<Incident>>(`/incidents?waitFor=${position}`);
    const rebuilt = await service.api.post('/admin/rebuild');
    expect(rebuilt.status).toBe(200);
    const after = await service.api.get<Page<Incident>>(`/incidents?waitFor=${position}`);
    expect(after.body.items).toHaveLength(3);
    expect(after.body).toEqual(before.body);
  });
});

describe.each(STORE_KINDS)('an incident’s life on the %s store', (store: StoreKind) => {
  let service: Service;
  let admin: Client;

  /** A loan case whose apply completed with an output its condition cannot read: one open incident. */
  async function caseWithIncident(): Promise<{ loan: Case; incident: Incident; position: string }> {
    const loan = await createCase(admin, 'loan-incidents');
    const apply = await workitemOf(admin, loan.id, 'apply');
    const completed = await admin.post<{ position: string }>(`/workitems/${apply.id}/complete`, {
      output: { note: 'no amount' },
    });
    expect(completed.status).toBe(200);
    const listed = await admin.get<Page<Incident>>(
      `/incidents?caseId=${loan.id}&state=open&waitFor=${completed.body.position}`,
    );
    expect(listed.body.items).toHaveLength(1);
    return { loan, incident: listed.body.items[0]!, position: completed.body.position };
  }

  const resolve = (id: string, body: unknown) =>
    admin.post<Incident & { position: string } & ErrorBody>(`/incidents/${id}/resolve`, body);

  beforeAll(async () => {
    service = await startService(store, { env: { WFNET_API_KEYS: 'a:admin,w:worker,r:reader' } });
    admin = service.api.withKey('a');
    await defineWorkflow(admin, loanOnOutput('loan-incidents'));
  });

  afterAll(() => service.stop());

  it('raises a condition_failed incident when the condition cannot be evaluated, the task held', async () => {
    const { loan, incident, position } = await caseWithIncident();
    expect(incident).toMatchObject({
      id: `${loan.id}:incident-1`,
      caseId: loan.id,
      kind: 'condition_failed',
      state: 'open',
      resolvedAt: null,
      resolution: null,
    });
    expect(incident.message).toContain('output.amount > 10000');
    const task = await admin.get<{ state: string }>(`/tasks/${incident.taskId}?waitFor=${position}`);
    expect(task.body.state).toBe('executing');
    const read = await admin.get<Case>(`/cases/${loan.id}?waitFor=${position}`);
    expect(read.body.openIncidents).toBe(1);
  });

  it('routes by an operator’s decision: the incident resolved, the case going on from the chosen place', async () => {
    const { loan, incident } = await caseWithIncident();
    const reply = await resolve(incident.id, { action: 'route', placeIds: ['board'] });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      id: incident.id,
      state: 'resolved',
      resolution: { action: 'route', placeIds: ['board'] },
      resolvedAt: expect.any(String),
    });
    expect(reply.body.position).toMatch(POSITION);
    const read = await admin.get<Case>(`/cases/${loan.id}?waitFor=${reply.body.position}`);
    expect(read.body).toMatchObject({ openIncidents: 0, marking: { board: 1 } });
    const completed = (await historyOf(admin, loan.id)).find((e) => e.type === 'TaskCompleted');
    expect(completed?.data).toMatchObject({ route: { placeIds: ['board'], by: 'operator' } });
  });

  it('retries: the condition fails again, so the incident is resolved and a new one raised', async () => {
    const { loan, incident } = await caseWithIncident();
    const reply = await resolve(incident.id, { action: 'retry' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ state: 'resolved', resolution: { action: 'retry' } });
    const listed = await admin.get<Page<Incident>>(
      `/incidents?caseId=${loan.id}&waitFor=${reply.body.position}`,
    );
    expect(listed.body.items.map((i) => [i.id, i.state])).toEqual([
      [incident.id, 'resolved'],
      [`${loan.id}:incident-2`, 'open'],
    ]);
  });

  it('abandons the task: its token is offered again to a new task', async () => {
    const { loan, incident } = await caseWithIncident();
    const reply = await resolve(incident.id, { action: 'abandon' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ state: 'resolved', resolution: { action: 'abandon' } });
    const task = await admin.get<{ state: string }>(
      `/tasks/${incident.taskId}?waitFor=${reply.body.position}`,
    );
    expect(task.body.state).toBe('abandoned');
    const read = await admin.get<Case>(`/cases/${loan.id}?waitFor=${reply.body.position}`);
    expect(read.body).toMatchObject({ state: 'active', openIncidents: 0, marking: { start: 1 } });
  });

  it('refuses to complete a workitem that has completed already, and changes nothing', async () => {
    const { loan, incident } = await caseWithIncident();
    const before = await historyOf(admin, loan.id);
    const reply = await resolve(incident.id, { action: 'complete', output: { amount: 1 } });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
    expect(await historyOf(admin, loan.id)).toEqual(before);
  });

  it.each<[string, unknown]>([
    ['a place that is not an output of the split', { action: 'route', placeIds: ['end'] }],
    ['two places for an xor split', { action: 'route', placeIds: ['board', 'clerk'] }],
  ])('refuses a route to %s with 400, and changes nothing', async (_what, body) => {
    const { loan, incident } = await caseWithIncident();
    const before = await historyOf(admin, loan.id);
    const reply = await resolve(incident.id, body);
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
    expect(await historyOf(admin, loan.id)).toEqual(before);
  });

  it('answers 409 incident_not_open to a second resolution, and changes nothing', async () => {
    const { loan, incident } = await caseWithIncident();
    expect((await resolve(incident.id, { action: 'route', placeIds: ['clerk'] })).status).toBe(200);
    const before = await historyOf(admin, loan.id);
    const again = await resolve(incident.id, { action: 'abandon' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('incident_not_open');
    expect(await historyOf(admin, loan.id)).toEqual(before);
  });

  it('lets only an admin resolve', async () => {
    const { incident } = await caseWithIncident();
    for (const key of ['w', 'r']) {
      const reply = await service.api.withKey(key).post<ErrorBody>(`/incidents/${incident.id}/resolve`, {
        action: 'abandon',
      });
      expect(reply.status).toBe(403);
    }
    const read = await service.api.withKey('r').get<Incident>(`/incidents/${incident.id}`);
    expect(read.body.state).toBe('open');
  });
});
