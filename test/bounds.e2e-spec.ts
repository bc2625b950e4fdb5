import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ErrorBody } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import { singleManual } from './http/nets.js';
import { createCase, defineWorkflow, freshId } from './http/resources.js';

jest.setTimeout(30_000);

describe('numbers past what the service can hold', () => {
  let service: Service;
  let caseId: string;

  beforeAll(async () => {
    service = await startService('sqlite');
    await defineWorkflow(service.api, singleManual());
    caseId = (await createCase(service.api, 'single-manual')).id;
  });

  afterAll(() => service.stop());

  it.each([
    ['fromRevision', `/events?fromRevision=${2n ** 63n}`],
    ['fromRevision', `/events?fromRevision=${'9'.repeat(20)}`],
    ['after', `/events?after=${2n ** 63n - 1n}`],
    ['atRevision', `?atRevision=${2n ** 63n}`],
  ])('refuses %s of 2^63 or more with 400 validation_failed', async (parameter, query) => {
    const reply = await service.api.get<ErrorBody>(`/cases/${caseId}${query}`);
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
    expect(reply.body.details?.map((d) => d.path)).toContain(parameter);
  });

  it('still answers a revision past the end of a short stream as before', async () => {
    const reply = await service.api.get<unknown[]>(`/cases/${caseId}/events?fromRevision=${2n ** 63n - 1n}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual([]);
  });

  it.each([2 ** 31, 2 ** 53, 0, -5, 1.5, '5000'])(
    'refuses a webhook timeoutMs of %p at POST /workflows with 400, storing nothing',
    async (timeoutMs) => {
      const id = freshId('hook');
      const net = {
        ...singleManual(id),
        transitions: [
          {
            id: 'review',
            executor: 'webhook',
            executorParams: { url: 'http://127.0.0.1:9/hook', timeoutMs },
          },
        ],
      };
      const reply = await service.api.post<ErrorBody>('/workflows', net);
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('validation_failed');
      expect(reply.body.details).toContainEqual({
        path: 'transitions[0].executorParams.timeoutMs',
        message: expect.stringMatching(/2147483647/) as unknown as string,
      });
      expect((await service.api.get(`/workflows/${id}`)).status).toBe(404);
    },
  );

  it('takes a webhook timeoutMs up to 2^31 - 1 ms', async () => {
    const net = {
      ...singleManual(freshId('hook')),
      transitions: [
        {
          id: 'review',
          executor: 'webhook',
          executorParams: { url: 'http://127.0.0.1:9/hook', timeoutMs: 2 ** 31 - 1 },
        },
      ],
    };
    expect((await service.api.post('/workflows', net)).status).toBe(201);
  });
});

describe('error messages about a PNML body', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory');
  });

  afterAll(() => service.stop());

  it('answers a short error for 900 KB of unclosed PNML', async () => {
    const unclosed = `<pnml><net id="n">${'<page id="p">'.repeat(900_000 / 13)}`;
    const reply = await service.api.post<ErrorBody>('/workflows', undefined, {
      rawBody: unclosed,
      headers: { 'content-type': 'application/xml' },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
    expect(reply.text.length).toBeLessThan(4_000);
  });

  it('answers a short error for a long unknown tag name that does not close', async () => {
    const reply = await service.api.post<ErrorBody>('/workflows', undefined, {
      rawBody: `<pnml><${'a'.repeat(900_000)}></pnml>`,
      headers: { 'content-type': 'application/xml' },
    });
    expect(reply.status).toBe(400);
    expect(reply.text.length).toBeLessThan(4_000);
  });
});
