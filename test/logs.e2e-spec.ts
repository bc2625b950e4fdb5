import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { EventStore } from '@wfnet/domain';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_LEVELS, loadConfig } from '../apps/api/src/config/config.js';
import { EVENT_STORE } from '../apps/api/src/tokens.js';
import { createApp } from '../apps/api/src/main.js';
import type { Client, ErrorBody } from './http/client.js';
import { createClient } from './http/client.js';
import { sequential } from './http/nets.js';

jest.setTimeout(20_000);

// The whole app in process, its JSON log lines captured through `createApp`'s `logDestination`.

const ADMIN_KEY = 'admin-key-3f9c2a7e51';
const WRONG_KEY = 'wrong-key-b81d44c07e';

interface LogLine {
  readonly level: string;
  readonly time: string;
  readonly msg: string;
  readonly context?: string;
  readonly requestId?: string;
  readonly method?: string;
  readonly url?: string;
  readonly status?: number;
  readonly responseTime?: number;
  readonly code?: string;
  readonly err?: { readonly type: string; readonly message: string; readonly code?: string };
}

interface Running {
  readonly anonymous: Client;
  readonly admin: Client;
  readonly wrong: Client;
  readonly app: Awaited<ReturnType<typeof createApp>>;
  /** Everything written so far, as written. */
  output(): string;
  lines(): LogLine[];
}

const running: Running[] = [];
afterEach(async () => {
  for (const service of running.splice(0)) await service.app.close();
});

async function start(env: Readonly<Record<string, string>> = {}): Promise<Running> {
  let output = '';
  const config = loadConfig({ WFNET_EVENT_STORE: 'memory', WFNET_API_KEYS: `${ADMIN_KEY}:admin`, ...env });
  const app = await createApp({ config, logDestination: { write: (line: string) => (output += line) } });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') throw new Error('the app is not on a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  const service: Running = {
    anonymous: createClient(url),
    admin: createClient(url, ADMIN_KEY),
    wrong: createClient(url, WRONG_KEY),
    app,
    output: () => output,
    lines: () =>
      output
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as LogLine),
  };
  running.push(service);
  return service;
}

/** The request line of the request `requestId`, once the response has been sent (it is written at 'finish'). */
async function requestLine(service: Running, requestId: string): Promise<LogLine> {
  for (const deadline = Date.now() + 2000; Date.now() < deadline;) {
    const found = service.lines().find((line) => line.requestId === requestId && line.status !== undefined);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no request line for ${requestId} in:\n${service.output()}`);
}

/** Lets the request lines of answers already received be written. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('the JSON log lines at the default level (info)', () => {
  it('are each one JSON object with level, time and msg, from Nest’s start-up on', async () => {
    const service = await start();
    await service.admin.get('/workflows');
    await settle();

    const raw = service.output().split('\n').filter(Boolean);
    expect(raw.length).toBeGreaterThan(5);
    for (const text of raw) {
      const line = JSON.parse(text) as LogLine;
      expect(LOG_LEVELS).toContain(line.level);
      expect(new Date(line.time).toISOString()).toBe(line.time);
      expect(typeof line.msg).toBe('string');
    }
    expect(service.lines()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ context: 'NestFactory', msg: 'Starting Nest application...' }),
        expect.objectContaining({ context: 'RouterExplorer', msg: 'Mapped {/cases, POST} route' }),
        expect.objectContaining({ context: 'NestApplication', level: 'info' }),
      ]),
    );
  });

  it('write one line per request with method, path, status, time and the id the answer carries', async () => {
    const service = await start();

    const ok = await service.admin.get('/workflows?limit=5');
    const given = await service.admin.get<ErrorBody & { requestId: string }>('/cases/nope', {
      headers: { 'x-request-id': 'trace-logs-1' },
    });
    const badJson = await service.admin.post<{ requestId: string }>('/cases', undefined, {
      rawBody: '{"workflowId": ',
    });

    expect(ok.status).toBe(200);
    expect(await requestLine(service, ok.headers.get('x-request-id')!)).toEqual(
      expect.objectContaining({
        level: 'info',
        context: 'http',
        method: 'GET',
        url: '/workflows',
        status: 200,
        responseTime: expect.any(Number),
        msg: 'GET /workflows 200',
      }),
    );
    expect(given.status).toBe(404);
    expect(given.body.requestId).toBe('trace-logs-1');
    expect(await requestLine(service, 'trace-logs-1')).toMatchObject({
      method: 'GET',
      url: '/cases/nope',
      status: 404,
    });
    // Refused by the body parser, before any controller: still a line, with the id of the error body.
    expect(badJson.status).toBe(400);
    expect(await requestLine(service, badJson.body.requestId)).toMatchObject({
      method: 'POST',
      url: '/cases',
      status: 400,
    });
    const requestLines = service.lines().filter((line) => line.status !== undefined);
    expect(requestLines).toHaveLength(3);
  });

  it('never write an API key, right or wrong, nor an authorization header', async () => {
    const service = await start();

    expect((await service.admin.post('/workflows', sequential())).status).toBe(201);
    const refused = await service.wrong.get<ErrorBody & { requestId: string }>('/workflows');
    const refusedBare = await service.anonymous.get('/workflows', {
      headers: { authorization: WRONG_KEY, cookie: `session=${WRONG_KEY}` },
    });
    expect(refused.status).toBe(401);
    expect(refusedBare.status).toBe(401);
    expect(await requestLine(service, refused.body.requestId)).toMatchObject({ status: 401 });
    await requestLine(service, refusedBare.headers.get('x-request-id')!);

    const output = service.output();
    expect(output).not.toContain(ADMIN_KEY);
    expect(output).not.toContain(WRONG_KEY);
    expect(output).not.toMatch(/authorization|bearer|cookie/i);
  });

  it('write the error filter’s line and the request line of a 5xx with the id of the error body', async () => {
    const service = await start();
    await service.app.get<EventStore>(EVENT_STORE).close();

    const failed = await service.admin.post<ErrorBody & { requestId: string }>('/workflows', sequential());

    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe('store_unavailable');
    const id = failed.body.requestId;
    expect(failed.headers.get('x-request-id')).toBe(id);
    expect(await requestLine(service, id)).toMatchObject({
      level: 'warn',
      context: 'http',
      method: 'POST',
      url: '/workflows',
      status: 503,
    });
    expect(service.lines()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        context: 'http',
        requestId: id,
        code: 'store_unavailable',
        msg: 'the event store is unavailable: the memory event store is closed',
      }),
    );
  });

  it('say why a SQLite store whose file was deleted refuses writes, at error level, and why the read models stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfnet-logs-'));
    try {
      const service = await start({ WFNET_EVENT_STORE: `sqlite:${join(dir, 'wfnet.db')}` });
      expect((await service.admin.post('/workflows', sequential())).status).toBe(201);

      rmSync(join(dir, 'wfnet.db'));
      const failed = await service.admin.post<ErrorBody & { requestId: string }>('/cases', {
        workflowId: 'sequential',
      });
      const health = await service.anonymous.get<ErrorBody & { store: string }>('/health');

      expect(failed.status).toBe(503);
      expect(failed.body).toMatchObject({
        code: 'store_unavailable',
        message: 'the event store is unavailable',
      });
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({
        code: 'store_unavailable',
        store: 'sqlite:wfnet.db (synchronous=full)',
      });
      const refusal = service.lines().find((line) => line.requestId === failed.body.requestId && line.code);
      expect(refusal).toMatchObject({ level: 'error', context: 'http', code: 'store_unavailable' });
      expect(refusal?.msg).toMatch(
        /^the event store is unavailable: .*wfnet\.db was deleted or replaced while open/,
      );
      expect(service.output()).not.toContain(dir);
      for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
        if (service.lines().some((line) => line.msg.startsWith('read models: following the store failed')))
          break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(service.lines()).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          context: 'engine',
          msg: expect.stringMatching(/^read models: following the store failed .*was deleted or replaced/),
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leave probes (/health, /metrics) out: they are debug', async () => {
    const service = await start();
    const health = await service.anonymous.get('/health');
    const metrics = await service.admin.get('/metrics');
    const other = await service.admin.get('/workflows');
    await requestLine(service, other.headers.get('x-request-id')!);

    expect(health.status).toBe(200);
    expect(metrics.status).toBe(200);
    const urls = service.lines().flatMap((line) => (line.status === undefined ? [] : [line.url]));
    expect(urls).toEqual(['/workflows']);
  });
});

describe('WFNET_LOG_LEVEL', () => {
  it('silent: writes nothing at all', async () => {
    const service = await start({ WFNET_LOG_LEVEL: 'silent' });
    await service.admin.get('/workflows');
    await service.wrong.get('/workflows');
    await service.admin.get('/cases/nope');
    await settle();

    expect(service.output()).toBe('');
  });

  it('warn: no start-up or request lines, but a 5xx and the filter’s warning', async () => {
    const service = await start({ WFNET_LOG_LEVEL: 'warn' });
    await service.admin.get('/workflows');
    await service.wrong.get('/workflows');
    await service.app.get<EventStore>(EVENT_STORE).close();
    const failed = await service.admin.post<{ requestId: string }>('/workflows', sequential());
    await requestLine(service, failed.body.requestId);

    expect(service.lines().every((line) => line.level === 'warn' || line.level === 'error')).toBe(true);
    expect(service.lines().filter((line) => line.status !== undefined)).toEqual([
      expect.objectContaining({ status: 503, requestId: failed.body.requestId }),
    ]);
  });

  it('debug: probes are written too, at debug', async () => {
    const service = await start({ WFNET_LOG_LEVEL: 'debug' });
    const health = await service.anonymous.get('/health');
    expect(await requestLine(service, health.headers.get('x-request-id')!)).toMatchObject({
      level: 'debug',
      url: '/health',
      status: 200,
    });
  });

  it('gives way to app.useLogger([...]) as the tests use it', async () => {
    const service = await start();
    service.app.useLogger(['error']);
    await service.admin.get('/workflows');
    await service.admin.get('/cases/nope');
    await settle();

    expect(service.lines().filter((line) => line.status !== undefined)).toEqual([]);
  });
});
