import { afterAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Executor } from '@wfnet/domain';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WfnetModule } from '../apps/api/src/app.module.js';
import { loadConfig } from '../apps/api/src/config/config.js';

// The embedding example, built by `tsc -b` like the service, run as an application would run it.

const example = join(dirname(fileURLToPath(import.meta.url)), '../apps/api/dist/examples/embedding.js');

/** A one-step order net whose step is run by `executor`, with a manual step after it to hold the result. */
const orderNet = (id: string, executor: string) => ({
  id,
  places: [{ id: 'start', type: 'start' }, { id: 'priced' }, { id: 'end', type: 'end' }],
  transitions: [
    { id: 'price', executor, executorParams: { unitPrice: 3 } },
    { id: 'ship', executor: 'manual' },
  ],
  arcs: [
    { from: 'start', to: 'price' },
    { from: 'price', to: 'priced' },
    { from: 'priced', to: 'ship' },
    { from: 'ship', to: 'end' },
  ],
});

async function post(
  base: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: { id?: string } }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { id?: string } };
}

/** Polls the case's tokens until one sits in `priced`, and answers its payload. */
async function pricedPayload(base: string, caseId: string): Promise<unknown> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const tokens = (await (await fetch(`${base}/cases/${caseId}/tokens`)).json()) as {
      placeId: string;
      payload: unknown;
    }[];
    const priced = Array.isArray(tokens) ? tokens.find((t) => t.placeId === 'priced') : undefined;
    if (priced) return priced.payload;
    if (Date.now() > deadline)
      throw new Error(`case ${caseId} never reached priced: ${JSON.stringify(tokens)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('the embedding example (apps/api/src/examples/embedding.ts)', () => {
  it('serves the engine with its own `price` executor, and stops on SIGTERM with exit code 0', async () => {
    if (!existsSync(example)) throw new Error(`${example} is missing: run \`npx tsc -b\` first`);
    const port = await freePort();
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('WFNET_')),
    );
    const child = spawn(process.execPath, [example], {
      env: { ...env, PORT: String(port), HOST: '127.0.0.1', WFNET_EVENT_STORE: 'memory' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const base = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 20_000;
      while (!output.includes('with the price executor')) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`the example did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }

      expect((await post(base, '/workflows', orderNet('order', 'price'))).status).toBe(201);
      const created = await post(base, '/cases', { workflowId: 'order', data: { quantity: 7 } });
      expect(created.status).toBe(201);

      const payload = (await pricedPayload(base, created.body.id!)) as Record<string, unknown>;
      expect(Object.values(payload)).toEqual([{ total: 21 }]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toEqual({ code: 0, signal: null });
  }, 30_000);
});

describe('WfnetModule.forRoot in an application’s own module', () => {
  const apps: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('runs the executors it is given by name', async () => {
    const double: Executor = {
      execute: ({ tokens }) => ({
        status: 'completed',
        output: { total: 2 * ((tokens[0]?.payload as { quantity: number }).quantity ?? 0) },
      }),
    };
    @Module({
      imports: [
        WfnetModule.forRoot({ config: loadConfig({ WFNET_EVENT_STORE: 'memory' }), executors: { double } }),
      ],
    })
    class ShopModule {}
    const app = await NestFactory.create(ShopModule, { logger: ['error', 'warn'] });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer() as Server;
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    expect((await post(base, '/workflows', orderNet('order', 'double'))).status).toBe(201);
    const created = await post(base, '/cases', { workflowId: 'order', data: { quantity: 5 } });
    expect(created.status).toBe(201);

    const payload = (await pricedPayload(base, created.body.id!)) as Record<string, unknown>;
    expect(Object.values(payload)).toEqual([{ total: 10 }]);
  });
});
