import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExecutionRequest } from '@wfnet/domain';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookExecutor } from './built-in.js';

const request = (url: string): ExecutionRequest => ({
  caseId: 'c1',
  workitem: {
    id: 'c1:workitem-1',
    taskId: 'c1:task-1',
    transitionId: 'call',
    executor: 'webhook',
    state: 'created',
    output: null,
  },
  tokens: [],
  params: { url, timeoutMs: 2_000 },
  attempt: 1,
});

/** A webhook on loopback that answers `completed` and counts the calls that reached it. */
let server: Server;
let port: number;
let reached = 0;

beforeAll(async () => {
  server = createServer((incoming, response) => {
    reached++;
    incoming.resume();
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ status: 'completed', output: 'reached' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const options = { defaultTimeoutMs: 2_000, maxResponseBytes: 1024 };

describe('a webhook whose address is loopback', () => {
  it.each([
    ['a dotted address', 'http://127.0.0.1:PORT/hook'],
    ['one decimal number', 'http://2130706433:PORT/hook'],
    ['hexadecimal parts', 'http://0x7f.1:PORT/hook'],
    ['a short form', 'http://127.1:PORT/hook'],
    ['an IPv4-mapped IPv6 address', 'http://[::ffff:127.0.0.1]:PORT/hook'],
    ['IPv6 loopback', 'http://[::1]:PORT/hook'],
    ['a name that resolves to it', 'http://localhost:PORT/hook'],
  ])('is refused when written as %s, and nothing reaches it', async (_form, template) => {
    const before = reached;
    const executor = webhookExecutor(options);
    const call = executor.execute(request(template.replace('PORT', String(port))));
    await expect(call).rejects.toThrow(/is loopback; WFNET_WEBHOOK_ALLOW_NETWORKS must name its network/);
    expect(reached).toBe(before);
  });

  it('is refused even when the host allow-list names the host: the address decides', async () => {
    const executor = webhookExecutor({ ...options, allowHosts: ['localhost'] });
    await expect(executor.execute(request(`http://localhost:${port}/hook`))).rejects.toThrow(/is loopback/);
  });

  it('is called when WFNET_WEBHOOK_ALLOW_NETWORKS allows its network, in any writing', async () => {
    const executor = webhookExecutor({ ...options, allowNetworks: ['127.0.0.0/8', '::1/128'] });
    for (const url of [
      `http://2130706433:${port}/hook`,
      `http://[::ffff:127.0.0.1]:${port}/hook`,
      `http://localhost:${port}/hook`,
      `http://[::1]:${port}/hook`,
    ]) {
      expect(await executor.execute(request(url))).toEqual({ status: 'completed', output: 'reached' });
    }
  });

  it('allowing one network opens no other', async () => {
    const executor = webhookExecutor({ ...options, allowNetworks: ['10.0.0.0/8'] });
    await expect(executor.execute(request(`http://127.0.0.1:${port}/hook`))).rejects.toThrow(/is loopback/);
  });
});
