import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ErrorBody } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';

jest.setTimeout(20_000);

describe('WFNET_RATE_LIMIT', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory', {
      env: { WFNET_RATE_LIMIT: '3/60', WFNET_API_KEYS: 'one:reader,two:reader' },
    });
  });

  afterAll(() => service.stop());

  it('answers 429 rate_limited past the limit of a key, with Retry-After, and leaves other keys alone', async () => {
    const one = service.api.withKey('one');
    for (let i = 0; i < 3; i += 1) expect((await one.get('/workflows')).status).toBe(200);
    const refused = await one.get<ErrorBody & { requestId: string }>('/workflows');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
    expect(refused.body.requestId).toBe(refused.headers.get('x-request-id'));
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await service.api.withKey('two').get('/workflows')).status).toBe(200);
  });

  it('counts requests without a valid key by address, whatever key they invent', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 4; i += 1)
      answers.push((await service.api.withKey(`made-up-${i}`).get('/workflows')).status);
    expect(answers).toEqual([401, 401, 401, 429]);
  });

  it('never limits /health or /metrics', async () => {
    for (let i = 0; i < 5; i += 1) {
      expect((await service.api.get('/health')).status).toBe(200);
      expect((await service.api.withKey('one').get('/metrics')).status).toBe(200);
    }
  });
});

describe('without WFNET_RATE_LIMIT', () => {
  it('never answers 429', async () => {
    const service = await startService('memory');
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, () => service.api.get('/workflows')));
      expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 50 }, () => 200));
    } finally {
      await service.stop();
    }
  });
});
