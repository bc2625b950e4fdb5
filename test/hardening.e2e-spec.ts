import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ErrorBody } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';

jest.setTimeout(20_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('security headers and request ids', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory');
  });

  afterAll(() => service.stop());

  it('sends helmet headers and no x-powered-by', async () => {
    const reply = await service.api.get('/workflows');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    expect(reply.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
    expect(reply.headers.get('x-powered-by')).toBeNull();
  });

  it("keeps the UI page's own content security policy", async () => {
    const page = await service.api.get('/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src/);
  });

  it('echoes an acceptable x-request-id and puts it in the error body', async () => {
    const reply = await service.api.get<ErrorBody & { requestId: string }>('/cases/nope', {
      headers: { 'x-request-id': 'trace-42.a:b' },
    });
    expect(reply.status).toBe(404);
    expect(reply.headers.get('x-request-id')).toBe('trace-42.a:b');
    expect(reply.body).toEqual({
      statusCode: 404,
      code: 'not_found',
      message: expect.any(String),
      requestId: 'trace-42.a:b',
    });
  });

  it('makes a fresh id when none is given or the given one is not acceptable', async () => {
    const none = await service.api.get('/workflows');
    expect(none.headers.get('x-request-id')).toMatch(UUID);
    const hostile = await service.api.get<{ requestId: string }>('/cases/nope', {
      headers: { 'x-request-id': 'a b\tc'.repeat(50) },
    });
    expect(hostile.headers.get('x-request-id')).toMatch(UUID);
    expect(hostile.body.requestId).toBe(hostile.headers.get('x-request-id'));
  });

  it('gives body-parser refusals an id too, and no internals', async () => {
    const reply = await service.api.post<ErrorBody & { requestId: string }>('/cases', undefined, {
      rawBody: '{"workflowId": ',
    });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
    expect(reply.body.requestId).toBe(reply.headers.get('x-request-id'));
    expect(reply.text).not.toMatch(/node_modules|\bat \w|stack|SyntaxError/);
  });

  it('sends no CORS headers when WFNET_CORS_ORIGINS is unset', async () => {
    const reply = await service.api.get('/workflows', { headers: { origin: 'https://evil.example' } });
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await service.api.request('OPTIONS', '/cases', undefined, {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS with WFNET_CORS_ORIGINS', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory', { env: { WFNET_CORS_ORIGINS: 'https://ui.example:8443' } });
  });

  afterAll(() => service.stop());

  it('allows a listed origin, with the headers the API needs', async () => {
    const preflight = await service.api.request('OPTIONS', '/cases', undefined, {
      headers: {
        origin: 'https://ui.example:8443',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://ui.example:8443');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const read = await service.api.get('/workflows', { headers: { origin: 'https://ui.example:8443' } });
    expect(read.headers.get('access-control-allow-origin')).toBe('https://ui.example:8443');
    expect(read.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
    // A case history's next page is named in its Link header, which a page script must be able to read.
    expect(read.headers.get('access-control-expose-headers')).toMatch(/\blink\b/);
  });

  it('refuses an origin that is not listed', async () => {
    const read = await service.api.get<{ code: string }>('/workflows', {
      headers: { origin: 'https://evil.example' },
    });
    expect(read.status).toBe(403);
    expect(read.body.code).toBe('origin_not_allowed');
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });
});
