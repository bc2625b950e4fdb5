import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { Executor, JsonValue, Workitem } from '@wfnet/domain';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../apps/api/src/config/config.js';
import { createApp } from '../apps/api/src/main.js';

// The service on the memory store against a real local webhook server; everything on 127.0.0.1.

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

interface Received {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: {
    caseId: string;
    workitem: Workitem;
    tokens: { id: string; placeId: string; payload: JsonValue }[];
  };
  readonly at: number;
}

/** A webhook server whose behaviour per path the tests set; it records every request. */
class Hooks {
  readonly received: Received[] = [];
  readonly handlers = new Map<string, Handler>();
  readonly server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      this.received.push({
        path,
        contentType: request.headers['content-type'],
        body: body ? (JSON.parse(body) as Received['body']) : (undefined as never),
        at: Date.now(),
      });
      const handler = this.handlers.get(path);
      if (handler) handler(request, body, response);
      else response.writeHead(404).end();
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(path: string, handler: Handler): string {
    this.handlers.set(path, handler);
    return `${this.url}${path}`;
  }

  calls(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const json = (response: ServerResponse, status: number, body: unknown): void => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/** Polls `probe` until `accept` holds; fails with `what` and the last value after the deadline. */
async function until<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting until ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The JSON of an answer, loosely typed: the assertions check its shape. */
interface Body {
  readonly id: string;
  readonly position: string;
  readonly taskId: string;
  readonly items: readonly { readonly id: string; readonly state: string }[];
  readonly [field: string]: unknown;
}

interface Answer<T> {
  readonly status: number;
  readonly body: T;
}

function client(base: () => string) {
  return async <T = Body>(method: string, path: string, body?: unknown): Promise<Answer<T>> => {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  };
}

async function startService(
  options: Parameters<typeof createApp>[0],
): Promise<{ app: INestApplication; base: string }> {
  const app = await createApp(options);
  app.useLogger(['error']);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${port}` };
}

/** The webhooks under test listen on loopback, which a webhook may only reach when allowed. */
const memoryConfig = () =>
  loadConfig({ WFNET_EVENT_STORE: 'memory', WFNET_WEBHOOK_ALLOW_NETWORKS: '127.0.0.1/32' });

/** `start → call → middle → after → end`: the step under test, then a manual step that holds the token it issues. */
/** Failed attempts of `call` are retried after 20 ms, 40 ms, then every 80 ms, without limit. */
const QUICK_RETRIES = {
  initialInterval: 'PT0.02S',
  backoffCoefficient: 2,
  maximumInterval: 'PT0.08S',
  maximumAttempts: 0,
};

function stepThenWait(id: string, executor: string, executorParams: Record<string, JsonValue> = {}) {
  return {
    id,
    places: [{ id: 'start', type: 'start' }, { id: 'middle' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'call', executor, executorParams, retry: QUICK_RETRIES },
      { id: 'after', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'call' },
      { from: 'call', to: 'middle' },
      { from: 'middle', to: 'after' },
      { from: 'after', to: 'end' },
    ],
  };
}

const hooks = new Hooks();
let grumpyFails = true;
const hookCalls: Workitem[] = [];
const executors: Record<string, Executor> = {
  grumpy: {
    execute: () => {
      if (grumpyFails) throw new Error('not today');
      return { status: 'completed', output: 'today then' };
    },
  },
  hooked: {
    execute: () => ({ status: 'started' }),
    abandon: (workitem) => {
      hookCalls.push(workitem);
    },
  },
};
let service: { app: INestApplication; base: string };
const api = client(() => service.base);

beforeAll(async () => {
  await hooks.start();
  service = await startService({
    config: memoryConfig(),
    executors,
    dispatcher: { backoff: { initialMs: 20, maxMs: 100 } },
  });
});

afterAll(async () => {
  await service?.app.close();
  await hooks.stop();
});

/** Defines the workflow, starts a case on it, and answers the case id and the position of its creation. */
async function startCase(
  definition: object,
  data: JsonValue = {},
): Promise<{ caseId: string; position: string }> {
  const workflow = await api('POST', '/workflows', definition);
  expect([200, 201]).toContain(workflow.status);
  const created = await api('POST', '/cases', { workflowId: (definition as { id: string }).id, data });
  expect(created.status).toBe(201);
  return { caseId: created.body.id, position: created.body.position };
}

async function workitemOf(
  caseId: string,
  transitionId: string,
  position: string,
): Promise<{ id: string; state: string }> {
  const listed = await api(
    'GET',
    `/cases/${caseId}/workitems?transitionId=${transitionId}&waitFor=${position}`,
  );
  expect(listed.status).toBe(200);
  expect(listed.body.items).toHaveLength(1);
  return listed.body.items[0]!;
}

const tokensOf = async (caseId: string) =>
  (
    await api<
      {
        placeId: string;
        state: string;
        payload: JsonValue;
      }[]
    >('GET', `/cases/${caseId}/tokens`)
  ).body;

const tokenIn = (place: string) => (tokens: { placeId: string; state: string }[]) =>
  tokens.some((t) => t.placeId === place && t.state !== 'consumed');

const getWorkitem = async (id: string) =>
  (
    await api<{
      state: string;
      output: JsonValue;
      attempts?: number;
      lastError?: string | null;
    }>('GET', `/workitems/${id}`)
  ).body;

describe('the webhook executor against a local server', () => {
  it('POSTs the workitem with its tokens’ payloads, and a completed answer’s output lands in the payload of the token it issues', async () => {
    const url = hooks.on('/completed', (_, body, response) => {
      const { tokens } = JSON.parse(body) as Received['body'];
      json(response, 200, {
        status: 'completed',
        output: { greeting: `hello ${(tokens[0]?.payload as { name: string }).name}` },
      });
    });
    const { caseId, position } = await startCase(stepThenWait('hook-completed', 'webhook', { url }), {
      name: 'Ada',
    });
    const workitem = await workitemOf(caseId, 'call', position);

    const tokens = await until('a token reaches middle', () => tokensOf(caseId), tokenIn('middle'));

    expect(tokens.find((t) => t.placeId === 'middle')?.payload).toEqual({
      [workitem.id]: { greeting: 'hello Ada' },
    });
    const [call] = hooks.calls('/completed');
    expect(call?.contentType).toMatch(/^application\/json/);
    expect(call?.body).toMatchObject({
      caseId,
      workitem: { id: workitem.id, transitionId: 'call', executor: 'webhook', state: 'created' },
      tokens: [{ placeId: 'start', payload: { name: 'Ada' } }],
    });
    expect((await getWorkitem(workitem.id)).output).toEqual({ greeting: 'hello Ada' });
  });

  it('leaves the workitem started on a started answer, until it is completed through the API', async () => {
    const url = hooks.on('/started', (_, __, response) => json(response, 200, { status: 'started' }));
    const { caseId, position } = await startCase(stepThenWait('hook-started', 'webhook', { url }));
    const { id } = await workitemOf(caseId, 'call', position);

    await until(
      'the workitem is started',
      () => getWorkitem(id),
      (w) => w.state === 'started',
    );
    expect(await tokensOf(caseId)).toEqual([expect.objectContaining({ placeId: 'start', state: 'free' })]);

    const completed = await api('POST', `/workitems/${id}/complete`, { output: 'reported later' });
    expect(completed.status).toBe(200);
    const tokens = await until('a token reaches middle', () => tokensOf(caseId), tokenIn('middle'));
    expect(tokens.find((t) => t.placeId === 'middle')?.payload).toEqual({ [id]: 'reported later' });
    expect(hooks.calls('/started')).toHaveLength(1);
  });

  it('abandons the task on an abandoned answer, and the re-offered token gets a new workitem that is called again', async () => {
    let calls = 0;
    const url = hooks.on('/abandoned', (_, __, response) =>
      json(
        response,
        200,
        ++calls === 1 ? { status: 'abandoned' } : { status: 'completed', output: 'second time' },
      ),
    );
    const { caseId } = await startCase(stepThenWait('hook-abandoned', 'webhook', { url }));

    await until('a token reaches middle', () => tokensOf(caseId), tokenIn('middle'));

    const tasks = (
      await api<
        {
          transitionId: string;
          state: string;
        }[]
      >('GET', `/cases/${caseId}/tasks`)
    ).body;
    expect(tasks.filter((t) => t.transitionId === 'call').map((t) => t.state)).toEqual([
      'abandoned',
      'completed',
    ]);
    const workitems = (await api('GET', `/cases/${caseId}/workitems?transitionId=call`)).body.items as {
      id: string;
      state: string;
    }[];
    expect(workitems.map((w) => w.state)).toEqual(['abandoned', 'completed']);
    expect(hooks.calls('/abandoned').map((c) => c.body.workitem.id)).toEqual(workitems.map((w) => w.id));
  });

  it('retries HTTP 500 with backoff, showing attempts and the last error on the workitem while it fails', async () => {
    let failing = true;
    const url = hooks.on('/flaky', (_, __, response) =>
      failing
        ? json(response, 500, { oops: true })
        : json(response, 200, { status: 'completed', output: 'recovered' }),
    );
    const { caseId, position } = await startCase(stepThenWait('hook-flaky', 'webhook', { url }));
    const { id } = await workitemOf(caseId, 'call', position);

    const failingState = await until(
      'three attempts failed',
      () => getWorkitem(id),
      (w) => (w.attempts ?? 0) >= 3,
    );
    expect(failingState).toMatchObject({
      state: 'created',
      lastError: { type: 'http_5xx', message: 'the webhook answered HTTP 500', retryable: true },
    });
    const listed = (await api('GET', `/workitems?caseId=${caseId}&transitionId=call`)).body.items;
    expect(listed[0]).toMatchObject({
      id,
      attempts: expect.any(Number),
      lastError: { type: 'http_5xx', message: 'the webhook answered HTTP 500', retryable: true },
    });
    const times = hooks.calls('/flaky').map((c) => c.at);
    // The retry policy's intervals, 20 then 40 ms, counted from each failure's report, after its call.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(20);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(40);

    failing = false;
    const done = await until(
      'the workitem completes',
      () => getWorkitem(id),
      (w) => w.state === 'completed',
    );
    expect(done.output).toBe('recovered');
    expect(tokenIn('middle')(await tokensOf(caseId))).toBe(true);
  });

  it('gives up on a call that outlasts executorParams.timeoutMs and calls again', async () => {
    let slow = true;
    const url = hooks.on('/slow', (_, __, response) => {
      if (slow)
        setTimeout(() => json(response, 200, { status: 'completed', output: 'too late' }), 1000).unref();
      else json(response, 200, { status: 'completed', output: 'in time' });
    });
    const { caseId, position } = await startCase(
      stepThenWait('hook-slow', 'webhook', { url, timeoutMs: 100 }),
    );
    const { id } = await workitemOf(caseId, 'call', position);

    const failing = await until(
      'two attempts timed out',
      () => getWorkitem(id),
      (w) => (w.attempts ?? 0) >= 2,
    );
    expect(failing.state).toBe('created');
    expect(failing.lastError).toEqual({
      type: 'timeout',
      message: 'the webhook did not answer within 100 ms',
      retryable: true,
    });

    slow = false;
    const done = await until(
      'the workitem completes',
      () => getWorkitem(id),
      (w) => w.state === 'completed',
    );
    expect(done.output).toBe('in time');
  });

  it('refuses an answer over the size limit and calls again', async () => {
    let huge = true;
    const url = hooks.on('/huge', (_, __, response) =>
      json(response, 200, { status: 'completed', output: huge ? 'x'.repeat(1024 * 1024 + 10) : 'small' }),
    );
    const { caseId, position } = await startCase(stepThenWait('hook-huge', 'webhook', { url }));
    const { id } = await workitemOf(caseId, 'call', position);

    const failing = await until(
      'two attempts were refused',
      () => getWorkitem(id),
      (w) => (w.attempts ?? 0) >= 2,
    );
    expect(failing).toMatchObject({
      state: 'created',
      lastError: { type: 'error', message: "the webhook's answer is over 1048576 bytes" },
    });

    huge = false;
    const done = await until(
      'the workitem completes',
      () => getWorkitem(id),
      (w) => w.state === 'completed',
    );
    expect(done.output).toBe('small');
  });

  it('does not follow a redirect: the target is never called and the workitem waits, saying why', async () => {
    const target = hooks.on('/target', (_, __, response) =>
      json(response, 200, { status: 'completed', output: 'followed' }),
    );
    const url = hooks.on('/redirect', (_, __, response) =>
      response.writeHead(302, { location: target }).end(),
    );
    const { caseId, position } = await startCase(stepThenWait('hook-redirect', 'webhook', { url }));
    const { id } = await workitemOf(caseId, 'call', position);

    const failing = await until(
      'two attempts were refused',
      () => getWorkitem(id),
      (w) => (w.attempts ?? 0) >= 2,
    );

    expect(failing.state).toBe('created');
    expect(failing.lastError).toEqual({
      type: 'error',
      message: 'the call to the webhook failed: unexpected redirect',
      retryable: true,
    });
    expect(hooks.calls('/target')).toHaveLength(0);
    expect(hooks.calls('/redirect').length).toBeGreaterThanOrEqual(2);
    const terminated = await api('POST', `/cases/${caseId}/terminate`);
    expect(terminated.status).toBe(200);
  });
});

describe('in-process executors of the application', () => {
  it('retries one that throws, showing attempts and its last error, until it completes', async () => {
    const { caseId, position } = await startCase(stepThenWait('grumpy-step', 'grumpy'));
    const { id } = await workitemOf(caseId, 'call', position);

    const failing = await until(
      'two attempts failed',
      () => getWorkitem(id),
      (w) => (w.attempts ?? 0) >= 2,
    );
    expect(failing).toMatchObject({ state: 'created', lastError: { type: 'error', message: 'not today' } });

    grumpyFails = false;
    const done = await until(
      'the workitem completes',
      () => getWorkitem(id),
      (w) => w.state === 'completed',
    );
    expect(done.output).toBe('today then');
  });

  it('runs the abandon hook when a case is terminated and when a task is abandoned by force', async () => {
    const terminated = await startCase(stepThenWait('hooked-step', 'hooked'));
    const first = await workitemOf(terminated.caseId, 'call', terminated.position);
    await until(
      'the workitem is started',
      () => getWorkitem(first.id),
      (w) => w.state === 'started',
    );
    expect((await api('POST', `/cases/${terminated.caseId}/terminate`)).status).toBe(200);
    await until(
      'the hook ran',
      () => Promise.resolve(hookCalls.length),
      (n) => n === 1,
    );

    const forced = await api('POST', '/cases', { workflowId: 'hooked-step' });
    const second = await workitemOf(forced.body.id, 'call', forced.body.position);
    const task = (await api<{ taskId: string }>('GET', `/workitems/${second.id}`)).body;
    await until(
      'the workitem is started',
      () => getWorkitem(second.id),
      (w) => w.state === 'started',
    );
    expect((await api('POST', `/tasks/${task.taskId}/abandon`)).status).toBe(200);
    await until(
      'the hook ran again',
      () => Promise.resolve(hookCalls.length),
      (n) => n >= 2,
    );

    expect(hookCalls.map((w) => [w.id, w.state])).toEqual([
      [first.id, 'abandoned'],
      [second.id, 'abandoned'],
    ]);
  });
});

describe('the bound on concurrent executions', () => {
  it('keeps at most `concurrency` webhook calls open at once, and gets through all of them', async () => {
    const bounded = await startService({ config: memoryConfig(), dispatcher: { concurrency: 2 } });
    const call = client(() => bounded.base);
    const held: ServerResponse[] = [];
    let open = 0;
    let most = 0;
    const url = hooks.on('/held', (_, __, response) => {
      open++;
      most = Math.max(most, open);
      held.push(response);
    });
    try {
      expect((await call('POST', '/workflows', stepThenWait('held', 'webhook', { url }))).status).toBe(201);
      const cases: string[] = [];
      for (let i = 0; i < 5; i++) cases.push((await call('POST', '/cases', { workflowId: 'held' })).body.id);

      await until(
        'two calls are open',
        () => Promise.resolve(held.length),
        (n) => n === 2,
      );
      for (let answered = 0; answered < 5; answered++) {
        await until(
          `call ${answered + 1} is open`,
          () => Promise.resolve(held.length),
          (n) => n > answered,
        );
        open--;
        json(held[answered]!, 200, { status: 'completed', output: answered });
      }

      for (const id of cases) {
        await until(
          `case ${id} moves on`,
          async () =>
            (
              await call<
                {
                  placeId: string;
                  state: string;
                }[]
              >('GET', `/cases/${id}/tokens`)
            ).body,
          tokenIn('middle'),
        );
      }
      expect(held).toHaveLength(5);
      expect(most).toBe(2);
    } finally {
      for (const response of held) if (!response.writableEnded) response.end();
      await bounded.app.close();
    }
  });
});
