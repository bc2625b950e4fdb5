import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Client, ErrorBody } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import type { NetBody } from './http/nets.js';
import { singleManual } from './http/nets.js';
import type { Workitem } from './http/resources.js';
import { createCase, defineWorkflow, historyOf, workitemOf } from './http/resources.js';

jest.setTimeout(30_000);

/** `start → review → end`, `review` completed through a form. */
function formNet(id: string, outputSchema: Record<string, unknown>): NetBody {
  const net = singleManual(id);
  net.transitions = [{ id: 'review', executor: 'manual', outputSchema }];
  return net;
}

const EXPENSE_FORM = {
  type: 'object',
  required: ['approved', 'amount'],
  properties: {
    approved: { type: 'boolean' },
    amount: { type: 'number', minimum: 0 },
    paidOn: { type: 'string', format: 'date' },
    lines: {
      type: 'array',
      items: { type: 'object', required: ['qty'], properties: { qty: { type: 'integer', minimum: 1 } } },
    },
  },
};

describe('forms', () => {
  let service: Service;
  let api: Client;

  beforeAll(async () => {
    service = await startService('memory');
    api = service.api;
    await defineWorkflow(api, formNet('expense', EXPENSE_FORM));
  });

  afterAll(() => service.stop());

  async function openReview(): Promise<Workitem> {
    const created = await createCase(api, 'expense');
    return workitemOf(api, created.id, 'review');
  }

  it('completes a workitem whose output satisfies the schema', async () => {
    const review = await openReview();
    const output = { approved: true, amount: 120.5, paidOn: '2026-03-01', lines: [{ qty: 2 }] };
    const reply = await api.post<Workitem>(`/workitems/${review.id}/complete`, { output });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ state: 'completed', output });
  });

  it('refuses an output that does not, with each violation at its path, and changes nothing', async () => {
    const review = await openReview();
    const before = await historyOf(api, review.caseId);
    const reply = await api.post<ErrorBody>(`/workitems/${review.id}/complete`, {
      output: { amount: -3, paidOn: '31/02/2026', lines: [{ qty: 1 }, { qty: 'two' }] },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
    expect(reply.body.message).toMatch(`the output of workitem ${review.id} does not satisfy`);
    expect([...(reply.body.details ?? [])].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: '/output/amount', message: 'must be >= 0' },
      { path: '/output/approved', message: 'is required' },
      { path: '/output/lines/1/qty', message: 'must be integer' },
      { path: '/output/paidOn', message: 'must match format "date"' },
    ]);
    expect(await historyOf(api, review.caseId)).toEqual(before);
  });

  it('refuses a missing output as the schema refuses null', async () => {
    const review = await openReview();
    const reply = await api.post<ErrorBody>(`/workitems/${review.id}/complete`, {});
    expect(reply.status).toBe(400);
    expect(reply.body.details).toEqual([{ path: '/output', message: 'must be object' }]);
  });

  it('answers a workitem that has ended with 409, whatever its output', async () => {
    const review = await openReview();
    const output = { approved: false, amount: 0 };
    expect((await api.post(`/workitems/${review.id}/complete`, { output })).status).toBe(200);
    const again = await api.post<ErrorBody>(`/workitems/${review.id}/complete`, { output: 'no form' });
    expect([again.status, again.body.code]).toEqual([409, 'workitem_not_available']);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a type that does not exist', { type: 'money' }, /schema is invalid/],
    ['a misspelt keyword', { type: 'object', propertes: {} }, /unknown keyword: "propertes"/],
    ['a $ref to elsewhere', { $ref: 'https://forms.example/expense.json' }, /can't resolve reference/],
  ])(
    'refuses a definition whose schema has %s (invalid_net, output_schema_invalid)',
    async (_what, schema, why) => {
      const reply = await api.post<ErrorBody>('/workflows', formNet('bad-form', schema));
      expect([reply.status, reply.body.code]).toEqual([400, 'invalid_net']);
      expect(reply.body.details).toEqual([
        expect.objectContaining({ path: 'transitions[0].outputSchema', rule: 'output_schema_invalid' }),
      ]);
      expect(reply.body.details?.[0]?.message).toMatch(why);
      expect((await api.get('/workflows/bad-form')).status).toBe(404);
    },
  );

  it('refuses a schema over 16 KiB before compiling it', async () => {
    const schema = { type: 'string', description: 'x'.repeat(16 * 1024) };
    const reply = await api.post<ErrorBody>('/workflows', formNet('huge-form', schema));
    expect([reply.status, reply.body.code]).toEqual([400, 'invalid_net']);
    expect(reply.body.details?.[0]?.message).toMatch(/bytes of JSON; at most 16384/);
  });

  it('answers the schema with the workflow, as it was defined', async () => {
    const reply = await api.get<{ transitions: { outputSchema?: unknown }[] }>('/workflows/expense');
    expect(reply.body.transitions[0]?.outputSchema).toEqual(EXPENSE_FORM);
  });
});
