import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from './http/client.js';
import { createClient } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import { approval, sequential, trafficLight } from './http/nets.js';
import { until } from './http/poll.js';
import type { Case, Page, Workitem } from './http/resources.js';
import { caseWhen, createCase, defineWorkflow, freshId, workitemOf } from './http/resources.js';

jest.setTimeout(30_000);

// P9 needs a store that keeps its events, so it runs on SQLite only: a memory store starts empty.

/** Everything a client can read of a case. */
async function snapshotOf(api: Client, caseId: string): Promise<unknown> {
  const read = async (path: string): Promise<unknown> => {
    const reply = await api.get(path);
    expect({ path, status: reply.status }).toEqual({ path, status: 200 });
    return reply.body;
  };
  return {
    case: await read(`/cases/${caseId}`),
    tokens: await read(`/cases/${caseId}/tokens`),
    tasks: await read(`/cases/${caseId}/tasks`),
    workitems: await read(`/cases/${caseId}/workitems`),
    events: await read(`/cases/${caseId}/events`),
  };
}

const services: Service[] = [];
const dirs: string[] = [];
let child: ChildProcess | undefined;

afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  for (const service of services.splice(0)) await service.stop({ keepFiles: true });
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('P9 — a restart on the same SQLite store', () => {
  it('reads every case back as before, and a waiting workitem completed afterwards carries its case to the end', async () => {
    const first = await startService('sqlite');
    services.push(first);
    dirs.push(first.dir!);
    for (const net of [approval(), trafficLight(), sequential()]) await defineWorkflow(first.api, net);
    const waiting = await createCase(first.api, 'approval', { doc: 'a' });
    await workitemOf(first.api, waiting.id, 'approve');
    await workitemOf(first.api, waiting.id, 'reject');
    const light = await createCase(first.api, 'traffic-light');
    const y2r = await workitemOf(first.api, light.id, 'y2r');
    expect((await first.api.post(`/workitems/${y2r.id}/complete`, {})).status).toBe(200);
    await workitemOf(first.api, light.id, 'will-end');
    const done = await createCase(first.api, 'sequential');
    await caseWhen(first.api, done.id, (c) => c.state === 'finished');

    const before = await Promise.all([waiting.id, light.id, done.id].map((id) => snapshotOf(first.api, id)));
    const workflowsBefore = (await first.api.get('/workflows')).body;
    await first.stop({ keepFiles: true });
    services.splice(services.indexOf(first), 1);

    const second = await startService('sqlite', { dir: first.dir! });
    services.push(second);
    const after = await Promise.all([waiting.id, light.id, done.id].map((id) => snapshotOf(second.api, id)));
    expect(after).toEqual(before);
    expect((await second.api.get('/workflows')).body).toEqual(workflowsBefore);

    const approve = await workitemOf(second.api, waiting.id, 'approve');
    const completed = await second.api.post<{ position: string }>(`/workitems/${approve.id}/complete`, {
      output: { by: 'ann' },
    });
    expect(completed.status).toBe(200);
    const finished = await second.api.get<Case>(`/cases/${waiting.id}?waitFor=${completed.body.position}`);
    expect(finished.body.state).toBe('finished');
    const willEnd = await workitemOf(second.api, light.id, 'will-end');
    expect((await second.api.post(`/workitems/${willEnd.id}/complete`, {})).status).toBe(200);
    await caseWhen(second.api, light.id, (c) => c.state === 'finished');
  });

  it('after SIGKILL, finishes the cases whose auto steps had not run and keeps the waiting ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfnet-e2e-kill-'));
    dirs.push(dir);
    const port = await freePort();
    child = startChild(dir, port);
    const api = createClient(`http://127.0.0.1:${port}`);
    await until(
      () =>
        api.get('/health').then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200,
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    for (const net of [approval(), sequential()]) await defineWorkflow(api, net);
    const waitingIds: string[] = [];
    const runningIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = freshId('kept');
      expect((await api.post('/cases', { workflowId: 'approval', id })).status).toBe(201);
      waitingIds.push(id);
    }
    await workitemOf(api, waitingIds[2]!, 'reject');
    // Cases whose auto workitems are created but likely not yet run when the process dies.
    const creations = Array.from({ length: 40 }, () => {
      const id = freshId('killed');
      runningIds.push(id);
      return api.post('/cases', { workflowId: 'sequential', id });
    });
    expect((await Promise.all(creations)).map((r) => r.status)).toEqual(runningIds.map(() => 201));
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    child = undefined;

    const restarted = await startService('sqlite', { dir });
    services.push(restarted);
    for (const id of runningIds) {
      const finished = await caseWhen(restarted.api, id, (c) => c.state === 'finished');
      expect(finished.marking).toEqual({});
      const tokens = await restarted.api.get<{ consumedByTaskId: string | null }[]>(`/cases/${id}/tokens`);
      expect(tokens.body.map((t) => t.consumedByTaskId).slice(-1)).toEqual(['termination']);
      expect(tokens.body).toHaveLength(3);
    }
    for (const id of waitingIds) {
      const approve = await workitemOf(restarted.api, id, 'approve');
      await workitemOf(restarted.api, id, 'reject');
      const workitems = await restarted.api.get<Page<Workitem>>(`/cases/${id}/workitems`);
      expect(workitems.body.items.map((w) => [w.transitionId, w.state])).toEqual([
        ['submit', 'completed'],
        ['approve', 'started'],
        ['reject', 'started'],
      ]);
      const completed = await restarted.api.post<{ position: string }>(
        `/workitems/${approve.id}/complete`,
        {},
      );
      expect(completed.status).toBe(200);
      const read = await restarted.api.get<Case>(`/cases/${id}?waitFor=${completed.body.position}`);
      expect(read.body.state).toBe('finished');
    }
  });
});

describe('stopping with a signal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('exits 0 on %s and keeps what it stored', async (signal) => {
    const dir = mkdtempSync(join(tmpdir(), 'wfnet-e2e-signal-'));
    dirs.push(dir);
    const port = await freePort();
    child = startChild(dir, port);
    const api = createClient(`http://127.0.0.1:${port}`);
    await until(
      () =>
        api.get('/health').then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200,
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    await defineWorkflow(api, approval());
    const created = await createCase(api, 'approval');
    await workitemOf(api, created.id, 'reject');

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill(signal);
    expect(await exited).toBe(0);
    child = undefined;

    const restarted = await startService('sqlite', { dir });
    services.push(restarted);
    const read = await restarted.api.get<Case>(`/cases/${created.id}`);
    expect(read.body).toMatchObject({ id: created.id, state: 'active', marking: { submitted: 1 } });
  });
});

const mainScript = join(dirname(fileURLToPath(import.meta.url)), '../apps/api/dist/main.js');

/** The compiled service in a process of its own, so it can be killed without a chance to clean up. */
function startChild(dir: string, port: number): ChildProcess {
  if (!existsSync(mainScript)) throw new Error(`${mainScript} is missing: run \`npx tsc -b\` first`);
  return spawn(process.execPath, [mainScript], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      WFNET_EVENT_STORE: `sqlite:${join(dir, 'wfnet.db')}`,
      WFNET_API_KEYS: '',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
