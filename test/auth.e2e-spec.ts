import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Client, Reply } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import { approval, singleManual } from './http/nets.js';
import type { Case, Workflow, Workitem } from './http/resources.js';
import { freshId, workitemOf } from './http/resources.js';

jest.setTimeout(20_000);

function expectRefused(reply: Reply<unknown>, statusCode: 401 | 403): void {
  const code = statusCode === 401 ? 'unauthorized' : 'forbidden';
  expect({ status: reply.status, body: reply.body }).toEqual({
    status: statusCode,
    body: expect.objectContaining({ statusCode, code, message: expect.any(String) }) as unknown,
  });
}

describe.each(STORE_KINDS)('API keys on the %s store', (store: StoreKind) => {
  let service: Service;
  let admin: Client;
  let worker: Client;
  let reader: Client;

  beforeAll(async () => {
    service = await startService(store, {
      env: { WFNET_API_KEYS: 'a:admin,w:worker,r:reader,u:worker:ursula,g:reader:gita:finance|managers' },
    });
    admin = service.api.withKey('a');
    worker = service.api.withKey('w');
    reader = service.api.withKey('r');
    expect((await admin.post('/workflows', approval())).status).toBe(201);
  });

  afterAll(() => service.stop());

  it('answers 401 without a key', async () => {
    expectRefused(await service.api.get('/workflows'), 401);
    expectRefused(await service.api.get('/cases/anything'), 401);
    expectRefused(await service.api.post('/cases', { workflowId: 'approval' }), 401);
  });

  it('answers 401 with a key it does not know or a scheme other than Bearer', async () => {
    expectRefused(await service.api.withKey('nope').get('/workflows'), 401);
    expectRefused(await service.api.withKey('').get('/workflows'), 401);
    expectRefused(await service.api.get('/workflows', { headers: { authorization: 'Basic YTph' } }), 401);
    expectRefused(
      await service.api.withKey('a:admin').post('/workflows', singleManual('by-a-stranger')),
      401,
    );
  });

  it('answers GET /whoami with the user, role and groups of each kind of key entry', async () => {
    const whoami = async (key: string) => {
      const reply = await service.api.withKey(key).get('/whoami');
      return { status: reply.status, body: reply.body };
    };
    expect(await whoami('a')).toEqual({ status: 200, body: { user: 'admin', role: 'admin', groups: [] } });
    expect(await whoami('w')).toEqual({ status: 200, body: { user: 'worker', role: 'worker', groups: [] } });
    expect(await whoami('r')).toEqual({ status: 200, body: { user: 'reader', role: 'reader', groups: [] } });
    expect(await whoami('u')).toEqual({ status: 200, body: { user: 'ursula', role: 'worker', groups: [] } });
    expect(await whoami('g')).toEqual({
      status: 200,
      body: { user: 'gita', role: 'reader', groups: ['finance', 'managers'] },
    });
    expectRefused(await service.api.get('/whoami'), 401);
    expectRefused(await service.api.withKey('u:worker:ursula').get('/whoami'), 401);
  });

  it('gives a key with a user the rights of its role', async () => {
    const ursula = service.api.withKey('u');
    const gita = service.api.withKey('g');
    expect(
      (await ursula.post<Case>('/cases', { workflowId: 'approval', id: freshId('by-ursula') })).status,
    ).toBe(201);
    expectRefused(await ursula.post('/workflows', singleManual('by-ursula')), 403);
    expect((await gita.get('/workflows')).status).toBe(200);
    expectRefused(await gita.post('/cases', { workflowId: 'approval' }), 403);
  });

  it('serves GET /health without a key, or with a wrong one', async () => {
    const health = await service.api.get<{ status: string }>('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect((await service.api.withKey('wrong').get('/health')).status).toBe(200);
  });

  it('lets a reader read but not write', async () => {
    const listed = await reader.get<{ items: Workflow[] }>('/workflows');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((w) => w.id)).toContain('approval');
    expectRefused(await reader.post('/cases', { workflowId: 'approval' }), 403);
    expectRefused(await reader.post('/workflows', singleManual('by-a-reader')), 403);
  });

  it('lets a worker create cases, preexecute, complete and abandon workitems, but not define workflows or terminate', async () => {
    expectRefused(await worker.post('/workflows', singleManual('by-a-worker')), 403);
    const created = await worker.post<Case>('/cases', { workflowId: 'approval', id: freshId('by-worker') });
    expect(created.status).toBe(201);
    const approve = await workitemOf(worker, created.body.id, 'approve');
    const reject = await workitemOf(worker, created.body.id, 'reject');
    expect((await worker.post(`/workitems/${approve.id}/preexecute`)).status).toBe(200);
    expect((await worker.post(`/tasks/${approve.taskId}/preexecute`)).status).toBe(200);
    expectRefused(await worker.post(`/tasks/${reject.taskId}/abandon`), 403);
    expectRefused(await worker.post(`/cases/${created.body.id}/terminate`), 403);
    expectRefused(await worker.post('/workflows/approval/discard'), 403);

    const completed = await worker.post<Workitem>(`/workitems/${approve.id}/complete`, { output: 'ok' });
    expect(completed.status).toBe(200);
    expect(completed.body.state).toBe('completed');
    expectRefused(await reader.post(`/workitems/${reject.id}/abandon`), 403);
    const other = await worker.post<Case>('/cases', { workflowId: 'approval', id: freshId('by-worker') });
    const waiting = await workitemOf(worker, other.body.id, 'reject');
    const abandoned = await worker.post<Workitem>(`/workitems/${waiting.id}/abandon`);
    expect(abandoned.status).toBe(200);
    expect(abandoned.body.state).toBe('abandoned');
  });

  it('lets an admin do everything', async () => {
    const defined = await admin.post<Workflow>('/workflows', singleManual('by-the-admin'));
    expect(defined.status).toBe(201);
    const created = await admin.post<Case>('/cases', { workflowId: 'by-the-admin', id: freshId('by-admin') });
    expect(created.status).toBe(201);
    await workitemOf(admin, created.body.id, 'review');
    expect((await admin.post(`/cases/${created.body.id}/terminate`)).status).toBe(200);
    expect((await admin.post('/workflows/by-the-admin/discard')).status).toBe(200);
  });
});

describe('without API keys', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory');
  });

  afterAll(() => service.stop());

  it('takes every caller for the anonymous admin, whatever it presents', async () => {
    for (const client of [service.api, service.api.withKey('anything')]) {
      const reply = await client.get('/whoami');
      expect({ status: reply.status, body: reply.body }).toEqual({
        status: 200,
        body: { user: 'anonymous', role: 'admin', groups: [] },
      });
    }
  });

  it('documents GET /whoami in the OpenAPI document, with the shape of its answer', async () => {
    type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
    const reply = await service.api.get<{ paths: Record<string, Record<string, Operation>> }>('/docs-json');
    const whoami = reply.body.paths['/whoami']?.['get'];
    expect(whoami?.responses['200']?.content?.['application/json']?.schema).toMatchObject({
      required: ['user', 'role', 'groups'],
      properties: { role: { enum: ['admin', 'worker', 'reader'] }, groups: { type: 'array' } },
    });
    expect(Object.keys(whoami?.responses ?? {})).toContain('401');
  });
});
