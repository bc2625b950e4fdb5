import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ErrorBody } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import { sequential, singleManual } from './http/nets.js';
import type { Case, Page } from './http/resources.js';
import { defineWorkflow, freshId } from './http/resources.js';

jest.setTimeout(30_000);

type CountedPage = Page<Case> & { total?: number };

describe.each(STORE_KINDS)('the cases list on the %s store', (store: StoreKind) => {
  let service: Service;
  /** The cases started here, oldest first: three of `single-manual`, two of `sequential`. */
  const started: { id: string; workflowId: string }[] = [];
  let position = '0';

  beforeAll(async () => {
    service = await startService(store);
    await defineWorkflow(service.api, singleManual());
    await defineWorkflow(service.api, sequential());
    for (const workflowId of [
      'single-manual',
      'sequential',
      'single-manual',
      'single-manual',
      'sequential',
    ]) {
      const id = freshId('listed');
      const reply = await service.api.post<Case>('/cases', { workflowId, id });
      expect(reply.status).toBe(201);
      started.push({ id, workflowId });
      position = reply.body.position;
    }
  });

  afterAll(() => service.stop());

  const list = async (query: string): Promise<CountedPage> => {
    const reply = await service.api.get<CountedPage>(`/cases?waitFor=${position}&${query}`);
    expect(reply.status).toBe(200);
    return reply.body;
  };

  it('answers the cases newest first with order=desc, page after page', async () => {
    const first = await list('order=desc&limit=2');
    const second = await list(`order=desc&limit=2&after=${first.next}`);
    const last = await list(`order=desc&limit=2&after=${second.next}`);
    expect([...first.items, ...second.items, ...last.items].map((c) => c.id)).toEqual(
      started.map((c) => c.id).reverse(),
    );
    expect(last.next).toBeNull();
  });

  it('keeps creation order when no order is given, as the contract says, and with order=asc', async () => {
    expect((await list('')).items.map((c) => c.id)).toEqual(started.map((c) => c.id));
    expect((await list('order=asc')).items.map((c) => c.id)).toEqual(started.map((c) => c.id));
  });

  it('answers the newest case of a workflow first, filtered', async () => {
    const page = await list('order=desc&workflowId=sequential&limit=1');
    expect(page.items.map((c) => c.id)).toEqual([started[4]?.id]);
  });

  it('counts the cases a filter matches with total=true, whatever the page size', async () => {
    expect(await list('total=true&limit=1')).toMatchObject({ total: 5 });
    expect(await list('total=true&workflowId=single-manual&limit=1')).toMatchObject({ total: 3 });
    expect(await list('total=true&workflowId=single-manual&state=active&order=desc')).toMatchObject({
      total: 3,
    });
    expect(await list('total=true&state=terminated')).toEqual({ items: [], next: null, total: 0 });
    expect(await list('limit=1')).not.toHaveProperty('total');
  });

  it.each([
    ['order=newest', 'order'],
    ['total=yes', 'total'],
  ])('refuses %s with validation_failed, naming the parameter', async (query, parameter) => {
    const reply = await service.api.get<ErrorBody>(`/cases?${query}`);
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
    expect(JSON.stringify(reply.body.details)).toContain(parameter);
  });

  it('refuses a cursor of creation order in the newest-first list', async () => {
    const { next } = await list('limit=1');
    const reply = await service.api.get<ErrorBody>(`/cases?order=desc&after=${next}`);
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
  });

  it('documents order and total in OpenAPI', async () => {
    const reply = await service.api.get<{
      paths: Record<string, { get?: { parameters?: { name: string; schema?: { enum?: string[] } }[] } }>;
    }>('/docs-json');
    const parameters = reply.body.paths['/cases']?.get?.parameters ?? [];
    expect(parameters.find((p) => p.name === 'order')?.schema?.enum).toEqual(['asc', 'desc']);
    expect(parameters.find((p) => p.name === 'total')?.schema?.enum).toEqual(['true', 'false']);
  });
});
