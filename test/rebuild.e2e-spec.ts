import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import { approval, sequential } from './http/nets.js';
import type { Page, Workitem } from './http/resources.js';
import { caseWhen, createCase, defineWorkflow, tokensOf } from './http/resources.js';

describe.each(STORE_KINDS)('POST /admin/rebuild on the %s store', (store: StoreKind) => {
  let service: Service;

  beforeAll(async () => {
    service = await startService(store, { env: { WFNET_API_KEYS: 'a:admin,w:worker' } });
  });
  afterAll(() => service.stop());

  it('replays every read model from position 0 and answers them as they were', async () => {
    const admin = service.api.withKey('a');
    await defineWorkflow(admin, sequential());
    await defineWorkflow(admin, approval());
    const finished = await createCase(admin, 'sequential', { n: 1 });
    const waiting = await createCase(admin, 'approval');
    await caseWhen(admin, finished.id, (c) => c.state === 'finished');
    await caseWhen(admin, waiting.id, (c) => c.marking['submitted'] === 1);
    const before = {
      cases: (await admin.get('/cases')).body,
      workitems: (await admin.get<Page<Workitem>>('/workitems')).body,
      tokens: await tokensOf(admin, finished.id),
    };

    const rebuilt = await admin.post<{ events: number; position: string }>('/admin/rebuild');

    expect(rebuilt.status).toBe(200);
    expect(rebuilt.body.events).toBeGreaterThan(10);
    expect(BigInt(rebuilt.body.position)).toBeGreaterThanOrEqual(BigInt(waiting.position));
    expect((await admin.get('/cases')).body).toEqual(before.cases);
    expect((await admin.get('/workitems')).body).toEqual(before.workitems);
    expect(await tokensOf(admin, finished.id)).toEqual(before.tokens);
  });

  it('is for admins only', async () => {
    const reply = await service.api.withKey('w').post('/admin/rebuild');
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ code: 'forbidden' });
  });
});
