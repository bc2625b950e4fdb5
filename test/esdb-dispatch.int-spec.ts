import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Executor, WorkflowDefinition } from '@wfnet/domain';
import { caseStreamId, foldCaseWithEnded, initialCaseState, normalizeWorkflow } from '@wfnet/domain';
import type { CaseEvent } from '@wfnet/domain';
import { fakeTiming } from '@wfnet/domain/testing';
import { Engine } from '../apps/api/src/engine/engine.js';
import { EsdbEventStore } from '../apps/api/src/event-store/esdb-event-store.js';
import { EsdbWorkQueue } from '../apps/api/src/event-store/esdb-work-queue.js';
import { EsdbSnapshotStore } from '../apps/api/src/event-store/snapshot-store.js';
import { autoExecutor } from '../apps/api/src/executors/built-in.js';
import { Dispatcher } from '../apps/api/src/executors/dispatcher.js';
import { ExecutorRegistry } from '../apps/api/src/executors/executor-registry.js';
import { MemoryReadStore } from '../apps/api/src/projections/memory-read-store.js';
import { call, killServices, startServiceWith } from '../apps/api/src/soak/service-process.js';
import type { Service } from '../apps/api/src/soak/service-process.js';
import { FakeEsdbClient } from './fake-esdb-client.js';

// Several api processes on one EventStoreDB, dispatching through the persistent subscription group
// `wfnet-dispatch`. The run against a server needs WFNET_ESDB_URL (e.g. esdb://localhost:2113?tls=false,
// with `docker compose --profile kurrentdb up`) and the built service (`npx tsc -b`); without the URL it
// is skipped, and the same two-process shape runs in-process over the fake client instead.

const url = process.env.WFNET_ESDB_URL;

/** Polls until `condition` holds; fails with `what` after the deadline. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `start → call → end`, the step run by `executor` with `params`. */
function callNet(id: string, executor: string, params: Record<string, string | number> = {}) {
  return {
    id,
    places: [
      { id: 'start', type: 'start' as const },
      { id: 'end', type: 'end' as const },
    ],
    transitions: [{ id: 'call', executor, executorParams: params }],
    arcs: [
      { from: 'start', to: 'call' },
      { from: 'call', to: 'end' },
    ],
  };
}

if (url === undefined || url === '') {
  console.warn('EventStoreDB dispatch across processes skipped: WFNET_ESDB_URL is not set');
} else {
  describe(`two api processes on the EventStoreDB at ${url}`, () => {
    // The store outlives the run: a workflow, cases and a webhook path of this run alone.
    const run = `esdb-dispatch-${Date.now()}`;
    /**
     * The webhook: holds every call of this run until released, and notes whose caller hung up before its
     * answer. Calls left over from earlier runs on the same server are answered and not counted.
     */
    const calls = new Map<string, number>();
    const callerGone = new Set<string>();
    const heldAnswers: (() => void)[] = [];
    let holding = true;
    const hook: Server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        if (request.url !== `/${run}`) {
          completed(response);
          return;
        }
        const { workitem } = JSON.parse(body) as { workitem: { id: string } };
        calls.set(workitem.id, (calls.get(workitem.id) ?? 0) + 1);
        response.on('close', () => {
          if (!response.writableFinished) callerGone.add(workitem.id);
        });
        const answer = () => completed(response);
        if (holding) heldAnswers.push(answer);
        else answer();
      });
    });
    const completed = (response: ServerResponse) => {
      if (response.destroyed) return;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'completed', output: 'called' }));
    };
    const dir = mkdtempSync(join(tmpdir(), 'wfnet-esdb-dispatch-'));
    let hookUrl = '';

    beforeAll(async () => {
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
      hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/${run}`;
    });
    afterAll(async () => {
      killServices();
      hook.closeAllConnections();
      await new Promise((resolve) => hook.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });

    const start = (name: string): Promise<Service> =>
      startServiceWith(
        {
          WFNET_EVENT_STORE: url,
          WFNET_READ_STORE: `sqlite:${join(dir, `${name}.db`)}`,
          WFNET_PROCESS_NAME: name,
          WFNET_CLAIM_LEASE_MS: '20000',
        },
        60_000,
      );

    it('calls each of 30 webhook workitems once, and finishes in the other process those of a process SIGKILLed mid-call', async () => {
      const [a, b] = [await start('esdb-a'), await start('esdb-b')];
      const workflowId = run;
      const workflow = await call(
        a.base,
        'POST',
        '/workflows',
        callNet(workflowId, 'webhook', { url: hookUrl, timeoutMs: 60_000 }),
      );
      expect([200, 201]).toContain(workflow.status);
      const caseIds: string[] = [];
      for (let i = 0; i < 30; i++) {
        const created = await call(i % 2 === 0 ? a.base : b.base, 'POST', '/cases', { workflowId, data: {} });
        expect(created.status).toBe(201);
        caseIds.push((created.body as { id: string }).id);
      }

      // Every workitem under way in one process or the other, none answered yet.
      await until('all 30 workitems are called', () => calls.size === 30, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect([...calls.values()].filter((n) => n !== 1)).toEqual([]);

      a.child.kill('SIGKILL');
      await a.exited;
      await until('the webhook sees the killed process hang up', () => callerGone.size > 0, 5000);
      holding = false;
      for (const answer of heldAnswers.splice(0)) answer();

      const finished = async (caseId: string) =>
        ((await call(b.base, 'GET', `/cases/${caseId}`)).body as { state: string }).state === 'finished';
      for (const caseId of caseIds) await until(`case ${caseId} finishes`, () => finished(caseId), 60_000);
      // The killed process's workitems, handed to the other when its connection dropped, ran there again.
      for (const [workitemId, n] of calls)
        expect([workitemId, n]).toEqual([workitemId, callerGone.has(workitemId) ? 2 : 1]);
      expect(callerGone.size).toBeGreaterThan(0);
      expect(callerGone.size).toBeLessThan(30);
    }, 180_000);
  });
}

describe('two dispatchers on one EventStoreDB, over the fake client and its consumer group (no server needed)', () => {
  const stops: (() => Promise<void>)[] = [];
  const held: (() => void)[] = [];
  afterEach(async () => {
    for (const open of held.splice(0)) open();
    for (const stop of stops.splice(0)) await stop();
  });

  function processOn(client: FakeEsdbClient, executor: Executor) {
    const store = new EsdbEventStore(client);
    const registry = new ExecutorRegistry({ auto: autoExecutor, work: executor });
    const engine = new Engine(store, new EsdbSnapshotStore(client), registry, {
      snapshotEvery: 500,
      timing: fakeTiming(),
      sharedStore: true,
    });
    const queue = new EsdbWorkQueue(client, {
      messageTimeoutMs: 60_000,
      retryDelayMs: 10,
      log: { warn: () => undefined, error: () => undefined },
    });
    const dispatcher = new Dispatcher({
      store,
      registry,
      checkpoints: new MemoryReadStore(),
      loadCase: (caseId) => engine.loadCase(caseId),
      send: (command) => engine.executeCase(command),
      now: () => '2026-03-04T05:06:07.000Z',
      // The fake's subscriptions to $all end once they delivered what is recorded: the feed then says so.
      log: { warn: () => undefined, error: () => undefined },
      workQueue: queue,
    });
    stops.push(() => dispatcher.stop());
    const createCase = (definition: WorkflowDefinition, caseId: string) =>
      engine.executeCase({
        type: 'CreateCase',
        data: { caseId, workflow: { definition, state: 'active' }, data: {}, at: '2026-03-04T05:06:07.000Z' },
      });
    const isFinished = async (caseId: string) => {
      const history = await store.readStream(caseStreamId(caseId));
      const state = foldCaseWithEnded(
        initialCaseState(),
        history.map(({ type, data }) => ({ type, data }) as CaseEvent),
      );
      return state.status === 'finished';
    };
    return { dispatcher, queue, createCase, isFinished };
  }

  it('runs each of 30 workitems once, and in the other process those of a process cut off mid-execution', async () => {
    const client = new FakeEsdbClient();
    const ran = new Map<string, string[]>();
    let release!: () => void;
    const hung = new Promise<void>((resolve) => (release = resolve));
    held.push(release);
    let cutOff = false;
    const runIn = (name: string): Executor => ({
      execute: async ({ workitem }) => {
        ran.set(workitem.id, [...(ran.get(workitem.id) ?? []), name]);
        if (name === 'a' && !cutOff) await hung;
        return { status: 'completed', output: name };
      },
    });
    const a = processOn(client, runIn('a'));
    const b = processOn(client, runIn('b'));
    await a.dispatcher.start();
    await b.dispatcher.start();
    const definition = normalizeWorkflow(callNet('esdb-fake', 'work'));
    const cases = Array.from({ length: 30 }, (_, i) => `c${i}`);

    for (const caseId of cases) await a.createCase(definition, caseId);
    await until('every workitem runs somewhere', () => ran.size === 30);
    const inA = [...ran].filter(([, where]) => where[0] === 'a').map(([id]) => id);
    expect(inA.length).toBeGreaterThan(0);
    expect([...ran.values()].every((where) => where.length === 1)).toBe(true);
    cutOff = true;
    await a.queue.leave();

    for (const caseId of cases) await until(`case ${caseId} finishes`, () => b.isFinished(caseId));
    for (const id of inA) expect(ran.get(id)).toEqual(['a', 'b']);
    expect([...ran.values()].filter((where) => where.length === 1)).toHaveLength(30 - inA.length);
  });
});
