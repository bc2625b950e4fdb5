import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ErrorBody, Reply } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import { approval, parallel, singleManual } from './http/nets.js';
import type { Workitem } from './http/resources.js';
import { createCase, defineWorkflow, freshId, workitemOf } from './http/resources.js';

jest.setTimeout(20_000);

/** `{"a": {"a": … 1 …}}`, `levels` objects deep. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i += 1) value = { a: value };
  return value;
}

describe.each(STORE_KINDS)('size and shape limits on the %s store', (store: StoreKind) => {
  let service: Service;

  beforeAll(async () => {
    service = await startService(store, {
      env: { WFNET_MAX_NET_NODES: '6', WFNET_MAX_NET_ARCS: '5', WFNET_MAX_DATA_BYTES: '100' },
    });
    await defineWorkflow(service.api, singleManual());
  });

  afterAll(() => service.stop());

  it('refuses a net with too many arcs, or nodes, with 413 and stores nothing', async () => {
    const tooManyArcs = await service.api.post<ErrorBody>('/workflows', approval());
    expect(tooManyArcs.status).toBe(413);
    expect(tooManyArcs.body.code).toBe('payload_too_large');
    expect(tooManyArcs.body.details).toEqual([{ path: 'arcs', message: '6 arcs, at most 5 allowed' }]);

    const tooLarge = await service.api.post<ErrorBody>('/workflows', parallel());
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.details?.map((d) => d.path)).toEqual(['places', 'arcs']);
    expect((await service.api.post<ErrorBody>('/workflows/verify', parallel())).status).toBe(413);

    expect((await service.api.get('/workflows/approval')).status).toBe(404);
    expect((await service.api.get('/workflows/parallel')).status).toBe(404);
  });

  it('refuses case data over the bound with 413 and creates no case', async () => {
    const id = freshId('big-data');
    const reply = await service.api.post<ErrorBody>('/cases', {
      workflowId: 'single-manual',
      id,
      data: { text: 'x'.repeat(100) },
    });
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ code: 'payload_too_large', details: [{ path: 'data' }] });
    expect((await service.api.get(`/cases/${id}/events`)).status).toBe(404);
  });

  it('refuses an output over the bound with 413 and leaves the workitem started', async () => {
    const created = await createCase(service.api, 'single-manual');
    const review: Workitem = await workitemOf(service.api, created.id, 'review');
    const reply = await service.api.post<ErrorBody>(`/workitems/${review.id}/complete`, {
      output: 'y'.repeat(200),
    });
    expect(reply.status).toBe(413);
    expect(reply.body.details).toEqual([{ path: 'output', message: expect.stringMatching(/at most 100/) }]);
    const after = await service.api.get<Workitem>(`/workitems/${review.id}?waitFor=${created.position}`);
    expect(after.body.state).toBe('started');
    expect((await service.api.post(`/workitems/${review.id}/complete`, { output: 'ok' })).status).toBe(200);
  });

  it('refuses bodies nested deeper than 64 levels with 400, and takes shallower ones', async () => {
    const id = freshId('deep');
    const deep = await service.api.post<ErrorBody>('/cases', {
      workflowId: 'single-manual',
      id,
      data: nested(500),
    });
    expect(deep.status).toBe(400);
    expect(deep.body.code).toBe('validation_failed');
    expect(deep.body.message).toMatch(/deeper than 64/);
    expect((await service.api.get(`/cases/${id}/events`)).status).toBe(404);
    const fine = await service.api.post('/cases', { workflowId: 'single-manual', data: nested(10) });
    expect(fine.status).toBe(201);
  });

  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses the key %s in case data and in outputs, and stores nothing',
    async (key) => {
      const id = freshId('polluting');
      const data = await service.api.post<ErrorBody>('/cases', undefined, {
        rawBody: `{"workflowId": "single-manual", "id": "${id}", "data": {"x": {"${key}": {"polluted": true}}}}`,
      });
      expect(data.status).toBe(400);
      expect(data.body).toMatchObject({ code: 'validation_failed', details: [{ path: `data.x.${key}` }] });
      expect((await service.api.get(`/cases/${id}/events`)).status).toBe(404);

      const created = await createCase(service.api, 'single-manual');
      const review = await workitemOf(service.api, created.id, 'review');
      const output = await service.api.post<ErrorBody>(`/workitems/${review.id}/complete`, undefined, {
        rawBody: `{"output": {"${key}": {"polluted": true}}}`,
      });
      expect(output.status).toBe(400);
      const events = await service.api.get<{ type: string }[]>(`/cases/${created.id}/events`);
      expect(events.body.map((e) => e.type)).not.toContain('WorkitemCompleted');
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    },
  );
});

describe('the bytes of a list page', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory', { env: { WFNET_MAX_PAGE_BYTES: '250000' } });
    await defineWorkflow(service.api, singleManual());
  });

  afterAll(() => service.stop());

  it('stops a page of large outputs early with its next cursor, and the next pages hold the rest', async () => {
    const output = { text: 'x'.repeat(100_000) };
    const completed: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const created = await createCase(service.api, 'single-manual');
      const workitem = await workitemOf(service.api, created.id, 'review');
      expect((await service.api.post(`/workitems/${workitem.id}/complete`, { output })).status).toBe(200);
      completed.push(workitem.id);
    }
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const query: string = after === null ? '' : `&after=${after}`;
      const page = await service.api.get<{ items: Workitem[]; next: string | null }>(
        `/workitems?state=completed&limit=500${query}`,
      );
      expect(page.status).toBe(200);
      expect(page.text.length).toBeLessThan(300_000);
      pages.push(page.body.items.map((w) => w.id));
      after = page.body.next;
    } while (after !== null);
    expect(pages.flat()).toEqual(completed);
    expect(pages.map((ids) => ids.length)).toEqual([2, 2, 1]);
  });

  it("stops a case's token table early in large payloads, naming the next page in its Link header", async () => {
    const data = { text: 'x'.repeat(150_000) };
    const created = await createCase(service.api, 'single-manual', data);
    const workitem = await workitemOf(service.api, created.id, 'review');
    expect((await service.api.post(`/workitems/${workitem.id}/complete`, { output: data })).status).toBe(200);
    const ids: string[] = [];
    const pages: Reply<{ id: string }[]>[] = [];
    let next: string | undefined = `/cases/${created.id}/tokens`;
    while (next !== undefined) {
      const page: Reply<{ id: string }[]> = await service.api.get<{ id: string }[]>(next);
      expect(page.status).toBe(200);
      expect(page.text.length).toBeLessThan(300_000);
      pages.push(page);
      ids.push(...page.body.map((t) => t.id));
      next = /<([^>]*)>;\s*rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
    }
    // The genesis token carries the data, the token the review issued carries its output: 150 kB each.
    expect(pages).toHaveLength(2);
    expect(ids).toEqual([`${created.id}:token-1`, `${created.id}:token-2`]);
    const foreign = await service.api.get<ErrorBody>(`/cases/${created.id}/tokens?after=bm9wZQ`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.code).toBe('validation_failed');
  });

  it("stops a case's history early in large events, naming the next page in its Link header", async () => {
    const data = { text: 'x'.repeat(100_000) };
    const created = await createCase(service.api, 'single-manual', data);
    const workitem = await workitemOf(service.api, created.id, 'review');
    expect((await service.api.post(`/workitems/${workitem.id}/complete`, { output: data })).status).toBe(200);
    const all = await service.api.get<{ revision: string }[]>(`/cases/${created.id}/events?limit=1000`);
    const revisions: string[] = [];
    let next: string | undefined = `/cases/${created.id}/events?limit=1000`;
    while (next !== undefined) {
      const page: Reply<{ revision: string }[]> = await service.api.get<{ revision: string }[]>(next);
      expect(page.status).toBe(200);
      expect(page.text.length).toBeLessThan(300_000);
      revisions.push(...page.body.map((e) => e.revision));
      next = /<([^>]*)>;\s*rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
    }
    // Five events carry 100 kB each (the data, its token, the output, the completion, the output's token).
    expect(all.body.length).toBeLessThan(revisions.length);
    expect(revisions).toEqual(revisions.map((_, index) => String(index)));
  });
});
