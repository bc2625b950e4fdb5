import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExecutionRequest } from '@wfnet/domain';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhookExecutor } from '../apps/api/src/executors/built-in.js';
import { call, killServices, startService } from '../apps/api/src/soak/service-process.js';
import type { Service } from '../apps/api/src/soak/service-process.js';

// Webhooks over https against a local server whose certificate (for localhost and 127.0.0.1) is signed
// by a test CA in `fixtures/webhook-tls`; nothing here trusts that CA unless a test says so.

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/webhook-tls/${name}`, import.meta.url), 'utf8');

/** Requests that reached the hook's HTTP handler, i.e. got through TLS. */
let reached = 0;
let server: Server;
let port: number;
const dir = mkdtempSync(join(tmpdir(), 'wfnet-https-webhook-'));

beforeAll(async () => {
  server = createServer({ key: fixture('hook.key'), cert: fixture('hook.pem') }, (incoming, response) => {
    reached++;
    incoming.resume();
    incoming.on('end', () => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ status: 'completed', output: { paidOver: 'https' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  killServices();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const request = (url: string): ExecutionRequest => ({
  caseId: 'c1',
  workitem: {
    id: 'c1:workitem-1',
    taskId: 'c1:task-1',
    transitionId: 'pay',
    executor: 'webhook',
    state: 'created',
    output: null,
  },
  tokens: [],
  params: { url, timeoutMs: 5_000 },
  attempt: 1,
});

const options = { defaultTimeoutMs: 5_000, maxResponseBytes: 1024 };

describe('an https webhook in this process, which does not trust the test CA', () => {
  it('refuses the certificate: the attempt fails before any request reaches the hook', async () => {
    const executor = webhookExecutor({ ...options, allowNetworks: ['127.0.0.1/32'] });
    const before = reached;
    await expect(Promise.resolve(executor.execute(request(`https://localhost:${port}/pay`)))).rejects.toThrow(
      /certificate/,
    );
    expect(reached).toBe(before);
  });

  it('refuses a loopback address before connecting, as over http', async () => {
    const executor = webhookExecutor(options);
    const connections: number[] = [];
    const onConnection = (): number => connections.push(1);
    server.on('connection', onConnection);
    try {
      await expect(
        Promise.resolve(executor.execute(request(`https://127.0.0.1:${port}/pay`))),
      ).rejects.toThrow(/loopback/);
      await expect(
        Promise.resolve(executor.execute(request(`https://localhost:${port}/pay`))),
      ).rejects.toThrow(/loopback/);
    } finally {
      server.off('connection', onConnection);
    }
    expect(connections).toEqual([]);
  });
});

describe('the built service calling an https webhook whose CA it is given (NODE_EXTRA_CA_CERTS)', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService(join(dir, 'https.db'), 30_000, {
      NODE_EXTRA_CA_CERTS: new URL('./fixtures/webhook-tls/ca.pem', import.meta.url).pathname,
    });
  }, 40_000);

  it('completes the step with the hook’s answer, by name and by address', async () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const before = reached;
      const id = `https-pay-${host.replace(/\./g, '-')}`;
      const defined = await call(service.base, 'POST', '/workflows', {
        id,
        places: [
          { id: 'start', type: 'start' },
          { id: 'end', type: 'end' },
        ],
        transitions: [
          { id: 'pay', executor: 'webhook', executorParams: { url: `https://${host}:${port}/pay` } },
        ],
        arcs: [
          { from: 'start', to: 'pay' },
          { from: 'pay', to: 'end' },
        ],
      });
      expect(defined.status).toBe(201);
      const created = await call(service.base, 'POST', '/cases', { workflowId: id, data: {} });
      expect(created.status).toBe(201);
      const caseId = (created.body as { id: string }).id;
      let state = '';
      for (let tries = 0; tries < 200 && state !== 'finished'; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = ((await call(service.base, 'GET', `/cases/${caseId}`)).body as { state: string }).state;
      }
      expect(state).toBe('finished');
      expect(reached).toBe(before + 1);
      const workitems = await call(service.base, 'GET', `/workitems?caseId=${caseId}`);
      expect((workitems.body as { items: { output: unknown }[] }).items[0]?.output).toEqual({
        paidOver: 'https',
      });
    }
  }, 60_000);
});
