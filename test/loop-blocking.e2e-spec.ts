import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ErrorBody, Reply } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import { singleManual } from './http/nets.js';
import { defineWorkflow, freshId, workitemOf } from './http/resources.js';

jest.setTimeout(120_000);

/** 90,000 keys, about 980 KB as JSON: within the 1 MiB body limit. */
const KEYS = 90_000;

function wideObject(): Record<string, number> {
  const wide: Record<string, number> = {};
  for (let i = 0; i < KEYS; i += 1) wide[`k${i}`] = 1;
  return wide;
}

/**
 * How long the loop may stand still for one such request: a few times what JSON.parse of a body of 90,000
 * keys takes in this process right now, which every such request costs at least once. Measured rather than
 * fixed, since the machine may be shared and busy: the requests take 2-5 parses since the fix, and took
 * 30-100 while class-transformer walked the JSON (5.7 s on a quiet machine).
 */
function stallBudgetMs(): number {
  const text = JSON.stringify({ data: wideObject() });
  const times = [0, 1, 2].map(() => {
    const started = performance.now();
    JSON.parse(text);
    return performance.now() - started;
  });
  const median = times.sort((a, b) => a - b)[1]!;
  return Math.max(500, 12 * median);
}

/**
 * The longest the event loop stood still while `send` ran, in milliseconds, and the budget for it. The
 * service runs in this process, so a request that blocks its loop blocks this measurement too.
 */
async function longestStall<T>(
  send: () => Promise<Reply<T>>,
): Promise<{ reply: Reply<T>; maxMs: number; budgetMs: number }> {
  const budgetMs = stallBudgetMs();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const reply = await send();
  delay.disable();
  return { reply, maxMs: delay.max / 1e6, budgetMs };
}

/** The traffic light of `examples/` as PNML, under another id, with `metadata` in its tool-specific part. */
function trafficLightPnml(id: string, metadata: object): string {
  return readFileSync(new URL('../examples/traffic-light.pnml', import.meta.url), 'utf8')
    .replace('<net id="traffic-light"', `<net id="${id}"`)
    .replace(
      '<page id="page">',
      `<toolspecific tool="wfnet" version="1"><metadata>${JSON.stringify(metadata)}</metadata></toolspecific><page id="page">`,
    );
}

/**
 * Each request below goes through body parsing, the shape check and DTO validation, and is then refused or
 * answered without writing to the store, so that the figure is the HTTP edge's own: what the store does
 * with a large event is measured apart.
 */
describe('a request of free-form JSON with many keys, within the limits', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('sqlite');
    await defineWorkflow(service.api, singleManual());
  });

  afterAll(() => service.stop());

  it('reads case data of many keys without stalling the loop', async () => {
    const { reply, maxMs, budgetMs } = await longestStall(() =>
      service.api.post<ErrorBody>('/cases', { workflowId: 'no-such-workflow', data: wideObject() }),
    );
    expect(reply.status).toBe(404);
    expect(maxMs).toBeLessThan(budgetMs);
  });

  it('reads a workitem output of many keys without stalling the loop', async () => {
    const { reply, maxMs, budgetMs } = await longestStall(() =>
      service.api.post('/workitems/no-such-workitem/complete', { output: wideObject() }),
    );
    expect(reply.status).toBe(404);
    expect(maxMs).toBeLessThan(budgetMs);
  });

  it('reads workflow metadata, or executor parameters, of many keys without stalling the loop', async () => {
    const withMetadata = { ...singleManual(), metadata: wideObject() };
    const metadata = await longestStall(() => service.api.post('/workflows/verify', withMetadata));
    expect(metadata.reply.status).toBe(200);
    expect(metadata.maxMs).toBeLessThan(metadata.budgetMs);

    const withParams = {
      ...singleManual(),
      transitions: [{ id: 'review', executor: 'manual', executorParams: wideObject() }],
    };
    const params = await longestStall(() => service.api.post('/workflows/verify', withParams));
    expect(params.reply.status).toBe(200);
    expect(params.maxMs).toBeLessThan(params.budgetMs);
  });

  it('reads PNML with tool-specific metadata of many keys without stalling the loop', async () => {
    const { reply, maxMs, budgetMs } = await longestStall(() =>
      service.api.post('/workflows/verify', undefined, {
        rawBody: trafficLightPnml('wide-pnml', wideObject()),
        headers: { 'content-type': 'application/xml' },
      }),
    );
    expect(reply.status).toBe(200);
    expect(maxMs).toBeLessThan(budgetMs);
  });

  it('ignores many unknown keys beside the known ones without stalling the loop', async () => {
    const { reply, maxMs, budgetMs } = await longestStall(() =>
      service.api.post('/cases', { ...wideObject(), workflowId: 'no-such-workflow' }),
    );
    expect(reply.status).toBe(404);
    expect(maxMs).toBeLessThan(budgetMs);

    const nested = await longestStall(() =>
      service.api.post('/workflows/verify', {
        ...singleManual(),
        places: [
          { ...wideObject(), id: 'start', type: 'start' },
          { id: 'end', type: 'end' },
        ],
      }),
    );
    expect(nested.reply.status).toBe(200);
    expect(nested.maxMs).toBeLessThan(nested.budgetMs);
  });

  it('refuses an object of many keys where a string belongs without stalling the loop', async () => {
    const { reply, maxMs, budgetMs } = await longestStall(() =>
      service.api.post<ErrorBody>('/cases', { workflowId: wideObject() }),
    );
    expect(reply.status).toBe(400);
    expect(reply.body.details).toContainEqual({ path: 'workflowId', message: 'workflowId must be a string' });
    expect(maxMs).toBeLessThan(budgetMs);
  });
});

describe('free-form JSON of many keys, stored', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('sqlite');
    await defineWorkflow(service.api, singleManual());
  });

  afterAll(() => service.stop());

  it('keeps case data, a workitem output and workflow metadata as they were sent', async () => {
    const id = freshId('wide');
    expect(
      (await service.api.post('/cases', { workflowId: 'single-manual', id, data: wideObject() })).status,
    ).toBe(201);
    const workitem = await workitemOf(service.api, id, 'review');
    const tokens = await service.api.get<{ payload: unknown }[]>(`/cases/${id}/tokens`);
    expect(tokens.body[0]?.payload).toEqual(wideObject());

    const completed = await service.api.post<{ output: unknown }>(`/workitems/${workitem.id}/complete`, {
      output: wideObject(),
    });
    expect(completed.status).toBe(200);
    expect(completed.body.output).toEqual(wideObject());

    const workflowId = freshId('wide-pnml');
    const defined = await service.api.post<{ metadata: unknown }>('/workflows', undefined, {
      rawBody: trafficLightPnml(workflowId, wideObject()),
      headers: { 'content-type': 'application/xml' },
    });
    expect(defined.status).toBe(201);
    expect(defined.body.metadata).toEqual(wideObject());
  });
});
