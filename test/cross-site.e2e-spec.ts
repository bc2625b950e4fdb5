import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import { singleManual } from './http/nets.js';
import { defineWorkflow, freshId } from './http/resources.js';

jest.setTimeout(30_000);

interface RawReply {
  readonly status: number;
  readonly body: { readonly code?: string; readonly message?: string; readonly statusCode?: number };
}

/** A request with headers fetch will not send as given (`Host`), over plain node:http. */
function send(
  service: Service,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawReply> {
  const { port } = new URL(service.url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: '127.0.0.1', port, method, path, headers: { accept: 'application/json', ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: RawReply['body'] = {};
          try {
            parsed = JSON.parse(text) as RawReply['body'];
          } catch {
            // Not JSON: the test reads the status only.
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const caseBody = (id: string): string => JSON.stringify({ workflowId: 'single-manual', id });

describe('bodies a page of another site can send without asking', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory');
    await defineWorkflow(service.api, singleManual());
  });

  afterAll(() => service.stop());

  it.each([
    ['text/plain', 'text/plain;charset=UTF-8'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=b'],
  ])('refuses JSON sent as %s with 415 and stores nothing', async (_what, contentType) => {
    const id = freshId('cross');
    const reply = await send(service, 'POST', '/cases', { 'content-type': contentType }, caseBody(id));
    expect(reply.status).toBe(415);
    expect(reply.body.code).toBe('unsupported_media_type');
    expect(reply.body.message).toMatch(/application\/json/);
    expect((await service.api.get(`/cases/${id}/events`)).status).toBe(404);
  });

  it('refuses a body without a content type with 415', async () => {
    const reply = await send(service, 'POST', '/cases', {}, caseBody(freshId('cross')));
    expect(reply.status).toBe(415);
    expect(reply.body.code).toBe('unsupported_media_type');
  });

  it('refuses XML where only JSON is taken, and takes it where PNML is', async () => {
    const pnml = readFileSync(new URL('../examples/traffic-light.pnml', import.meta.url), 'utf8').replace(
      '<net id="traffic-light"',
      `<net id="${freshId('cross-pnml')}"`,
    );
    const onCases = await send(service, 'POST', '/cases', { 'content-type': 'application/xml' }, pnml);
    expect(onCases.status).toBe(415);
    const onWorkflows = await send(
      service,
      'POST',
      '/workflows',
      { 'content-type': 'application/xml' },
      pnml,
    );
    expect(onWorkflows.status).toBe(201);
    const asText = await send(service, 'POST', '/workflows/verify', { 'content-type': 'text/plain' }, pnml);
    expect(asText.status).toBe(415);
    expect(asText.body.message).toMatch(/application\/xml/);
  });

  it('still takes JSON, a +json type, and commands without a body', async () => {
    const id = freshId('cross');
    const created = await send(
      service,
      'POST',
      '/cases',
      { 'content-type': 'application/json' },
      caseBody(id),
    );
    expect(created.status).toBe(201);
    const other = freshId('cross');
    const merge = await send(
      service,
      'POST',
      '/cases',
      { 'content-type': 'application/vnd.x+json' },
      caseBody(other),
    );
    expect(merge.status).toBe(201);
    expect((await send(service, 'POST', `/cases/${id}/terminate`, {})).status).toBe(200);
  });
});

describe('the Origin of a request', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory', { env: { WFNET_CORS_ORIGINS: 'https://ui.example.com' } });
    await defineWorkflow(service.api, singleManual());
  });

  afterAll(() => service.stop());

  const json = { 'content-type': 'application/json' };

  it('refuses a command from a page of another origin with 403 and stores nothing', async () => {
    const id = freshId('origin');
    const reply = await send(
      service,
      'POST',
      '/cases',
      { ...json, origin: 'https://evil.example' },
      caseBody(id),
    );
    expect(reply.status).toBe(403);
    expect(reply.body.code).toBe('origin_not_allowed');
    expect((await service.api.get(`/cases/${id}/events`)).status).toBe(404);
    const read = await send(service, 'GET', '/workflows', { origin: 'null' });
    expect(read.status).toBe(403);
  });

  it('takes the service’s own origin, and those WFNET_CORS_ORIGINS lists', async () => {
    const own = await send(
      service,
      'POST',
      '/cases',
      { ...json, origin: service.url },
      caseBody(freshId('origin')),
    );
    expect(own.status).toBe(201);
    const listed = await send(
      service,
      'POST',
      '/cases',
      { ...json, origin: 'https://ui.example.com' },
      caseBody(freshId('origin')),
    );
    expect(listed.status).toBe(201);
  });
});

describe('the Host of a request without API keys', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory');
    await defineWorkflow(service.api, singleManual());
  });

  afterAll(() => service.stop());

  it('refuses a name that is not the machine’s own (DNS rebinding) with 403, and takes loopback names', async () => {
    const { port } = new URL(service.url);
    const rebound = await send(service, 'GET', '/workflows', { host: `evil.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body.code).toBe('host_not_allowed');
    const id = freshId('host');
    const command = await send(
      service,
      'POST',
      '/cases',
      {
        host: `evil.example:${port}`,
        'content-type': 'application/json',
        origin: `http://evil.example:${port}`,
      },
      caseBody(id),
    );
    expect(command.status).toBe(403);
    expect((await service.api.get(`/cases/${id}/events`)).status).toBe(404);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await send(service, 'GET', '/workflows', { host })).status).toBe(200);
    }
    expect((await send(service, 'GET', '/health', { host: `10.1.2.3:${port}` })).status).toBe(200);
  });

  it('takes the names WFNET_ALLOWED_HOSTS gives', async () => {
    const named = await startService('memory', { env: { WFNET_ALLOWED_HOSTS: 'wfnet.internal' } });
    try {
      expect((await send(named, 'GET', '/workflows', { host: 'wfnet.internal:3000' })).status).toBe(200);
      expect((await send(named, 'GET', '/workflows', { host: 'localhost' })).status).toBe(403);
    } finally {
      await named.stop();
    }
  });

  it('is not checked once API keys are configured: a rebinding page has no key', async () => {
    const keyed = await startService('memory', { env: { WFNET_API_KEYS: 'k1:admin' } });
    try {
      const reply = await send(keyed, 'GET', '/workflows', {
        host: 'wfnet.example.com',
        authorization: 'Bearer k1',
      });
      expect(reply.status).toBe(200);
    } finally {
      await keyed.stop();
    }
  });
});
