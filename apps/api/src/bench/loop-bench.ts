/**
 * `npm run bench:loop [-- --runs 5]`: the longest the service's event loop stands still for each of the
 * costliest requests within its limits (bodies at `WFNET_MAX_BODY_LAYOUTS` in the three shapes that cost
 * most, a net at the node and arc bounds as JSON and as PNML) and for bodies past the layout bound, with
 * `perf_hooks.monitorEventLoopDelay` at 1 ms. The service (SQLite FULL) and this client share the process
 * and its loop, as in the tests; the bodies are encoded before each measurement starts, and answers are
 * read as text, so the client's own share is small. Medians and maxima over the runs.
 *
 * Then `?candidate=me` over 100,000 open workitems: a second service, on a store seeded beforehand with
 * 100,000 cases of one assigned step each (the case decider's events, cloned per case), is asked for the
 * list of a worker in four groups that 200 of the workitems name. `-- --only <text>` runs only the
 * requests whose name holds the text.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { v7 } from 'uuid';
import type { CaseEvent, WorkflowDefinition } from '@wfnet/domain';
import { caseStreamId, decideCase, initialCaseState, normalizeWorkflow } from '@wfnet/domain';
import { loadConfig } from '../config/config.js';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';
import { createApp } from '../main.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg === -1 ? 5 : Number(process.argv[runsArg + 1]);
const onlyArg = process.argv.indexOf('--only');
const ONLY = onlyArg === -1 ? '' : (process.argv[onlyArg + 1] ?? '');
const AT_LIMIT = 9_900;

const wide = (keys: number): object =>
  Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, i]));
const distinct = (keys: number): object[] => Array.from({ length: keys }, (_, i) => ({ [`k${i}`]: i }));
function pairs(layouts: number): object[] {
  const list: object[] = [];
  for (let i = 0; list.length + 100 < layouts; i += 1)
    for (let j = 0; j < 100 && list.length + 100 < layouts; j += 1)
      if (i !== j) list.push({ [`n${i}`]: 1, [`n${j}`]: 2 });
  return list;
}
const SHAPES = { wide, distinct, pairs } as const;

/** 1,000 places and 1,000 transitions, each transition with up to 5 inputs and 5 outputs: 9,962 arcs. */
function largestNet(id: string): object {
  const size = 1_000;
  const places = Array.from({ length: size }, (_, i) => ({
    id: `p${i}`,
    ...(i === 0 ? { type: 'start' } : i === size - 1 ? { type: 'end' } : {}),
  }));
  const transitions = Array.from({ length: size }, (_, i) => ({
    id: `t${i}`,
    executor: 'manual',
    joinType: 'and',
    splitType: 'and',
  }));
  const arcs: { from: string; to: string }[] = [];
  for (let i = 0; i < size; i += 1) {
    const inputs = new Set([Math.min(i, size - 2)]);
    for (let k = 1; k < 5 && i + k < size - 1; k += 1) inputs.add(Math.max(0, i - k));
    for (const p of inputs) arcs.push({ from: `p${p}`, to: `t${i}` });
    const outputs = new Set([Math.min(i + 1, size - 1)]);
    for (let k = 2; k < 6 && i + k < size; k += 1) outputs.add(i + k);
    for (const p of outputs) arcs.push({ from: `t${i}`, to: `p${p}` });
  }
  return { id, name: id, places, transitions, arcs: arcs.slice(0, 10_000), metadata: {}, allowUnsound: true };
}

const dir = mkdtempSync(join(tmpdir(), 'wfnet-loop-bench-'));
const app = await createApp({ config: loadConfig({ WFNET_EVENT_STORE: `sqlite:${join(dir, 'wfnet.db')}` }) });
app.useLogger(['error']);
await app.listen(0, '127.0.0.1');
const address = app.getHttpServer().address() as { port: number };
const url = `http://127.0.0.1:${address.port}`;

async function send(
  method: string,
  path: string,
  body?: string,
  accept = 'application/json',
  { base = url, key }: { base?: string; key?: string } = {},
) {
  const response = await fetch(base + path, {
    method,
    headers: {
      accept,
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(key !== undefined && { authorization: `Bearer ${key}` }),
    },
    ...(body !== undefined && { body }),
  });
  const text = await response.text();
  if (response.status >= 500) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
  return { status: response.status, text };
}

const single = {
  id: 'single',
  name: 'single',
  places: [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end' },
  ],
  transitions: [{ id: 'review', executor: 'manual' }],
  arcs: [
    { from: 'start', to: 'review' },
    { from: 'review', to: 'end' },
  ],
  metadata: {},
};
await send('POST', '/workflows', JSON.stringify(single));
await send('POST', '/workflows', JSON.stringify(largestNet('largest')));

/** Each request: what it does, run once per run with fresh ids (`run`), its bodies encoded beforehand. */
type Act = () => Promise<unknown>;
const requests: [string, (run: number) => Act | Promise<Act>][] = [];
for (const [shape, make] of Object.entries(SHAPES)) {
  requests.push([
    `POST /cases, data ${shape} at the bound, then GET its tokens`,
    (run) => {
      const id = `data-${shape}-${run}`;
      const body = JSON.stringify({ workflowId: 'single', id, data: make(AT_LIMIT) });
      return async () => {
        const created = JSON.parse((await send('POST', '/cases', body)).text) as { position: string };
        await send('GET', `/cases/${id}/tokens?waitFor=${created.position}`);
      };
    },
  ]);
  requests.push([
    `POST complete, output ${shape} at the bound, then GET it and the case's events`,
    async (run) => {
      const id = `output-${shape}-${run}`;
      const created = JSON.parse(
        (await send('POST', '/cases', JSON.stringify({ workflowId: 'single', id }))).text,
      ) as { position: string };
      const page = JSON.parse(
        (await send('GET', `/cases/${id}/workitems?waitFor=${created.position}`)).text,
      ) as { items: { id: string }[] } | { id: string }[];
      const workitemId = (Array.isArray(page) ? page : page.items)[0]!.id;
      const body = JSON.stringify({ output: make(AT_LIMIT) });
      return async () => {
        const done = JSON.parse((await send('POST', `/workitems/${workitemId}/complete`, body)).text) as {
          position: string;
        };
        await send('GET', `/workitems/${workitemId}?waitFor=${done.position}`);
        await send('GET', `/cases/${id}/events`);
      };
    },
  ]);
  requests.push([
    `POST /cases, data ${shape} past the bound (413)`,
    (run) => {
      const body = JSON.stringify({ workflowId: 'single', id: `past-${shape}-${run}`, data: make(50_000) });
      return () => send('POST', '/cases', body);
    },
  ]);
}
requests.push([
  'POST /workflows, a net at the bounds (2,000 nodes, 9,962 arcs)',
  (run) => {
    const body = JSON.stringify(largestNet(`largest-${run}`));
    return () => send('POST', '/workflows', body);
  },
]);
requests.push([
  'GET /workflows/:id as PNML, a net at the bounds',
  () => () => send('GET', '/workflows/largest', undefined, 'application/xml'),
]);

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(list: readonly [string, (run: number) => Act | Promise<Act>][]): Promise<void> {
  for (const [name, prepare] of list) {
    if (!name.includes(ONLY)) continue;
    const stalls: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const act = await prepare(run);
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      await act();
      delay.disable();
      stalls.push(delay.max / 1e6);
    }
    console.log(`| ${name} | ${median(stalls).toFixed(0)} ms | ${Math.max(...stalls).toFixed(0)} ms |`);
  }
}

console.log(`| request | median of ${RUNS} | max |`);
console.log('|---|---:|---:|');
await measure(requests);
await app.close();

const OPEN_WORKITEMS = 100_000;
/** Each team is the candidate group of this many of the workitems, one in every `TEAMS`. */
const TEAMS = 2_000;
const CALLER_TEAMS = ['team-0', 'team-1', 'team-2', 'team-3'];

/** The events of a case whose one step, for `team`, waits for a person: cloned per case by its id. */
function openCaseTemplate(team: string): string {
  const definition: WorkflowDefinition = normalizeWorkflow({
    id: 'review',
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 'review', executor: 'manual', assignment: { candidateGroups: [team] } }],
    arcs: [
      { from: 'start', to: 'review' },
      { from: 'review', to: 'end' },
    ],
  });
  const events = decideCase(
    {
      type: 'CreateCase',
      data: {
        caseId: 'template-case',
        workflow: { definition, state: 'active' },
        data: {},
        at: '2026-01-01T00:00:00.000Z',
      },
    },
    initialCaseState(),
  );
  return JSON.stringify(events);
}

/** A store of `OPEN_WORKITEMS` cases, each with one open workitem for one of `TEAMS` teams; its head. */
async function seedOpenWorkitems(file: string): Promise<bigint> {
  const store = SqliteEventStore.open(file, { synchronous: 'normal' });
  const templates = Array.from({ length: TEAMS }, (_, team) => openCaseTemplate(`team-${team}`));
  let head = 0n;
  let pending: Promise<void>[] = [];
  for (let n = 0; n < OPEN_WORKITEMS; n += 1) {
    const caseId = `open-${n}`;
    const events = JSON.parse(
      (templates[n % TEAMS] as string).replaceAll('template-case', caseId),
    ) as CaseEvent[];
    pending.push(
      store
        .append(
          caseStreamId(caseId),
          events.map((e) => ({ id: v7(), type: e.type, data: e.data })),
          'no_stream',
        )
        .then(({ position }) => {
          if (position > head) head = position;
        }),
    );
    if (pending.length === 256) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  await store.close();
  return head;
}

/**
 * Resolves once the loop has stood still less than 20 ms over a whole second: the service's other
 * followers (dispatcher, timers) catch up with a seeded store after the read models do, on this loop.
 */
async function untilQuiet(): Promise<void> {
  for (let second = 0; second < 600; second += 1) {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    delay.disable();
    if (delay.max / 1e6 < 20) return;
  }
  throw new Error('the event loop did not quiet down within 10 minutes');
}

/** The second service and the worker's key, once it listens. */
let candidateCaller: { base: string; key: string } = { base: url, key: '' };
const candidates: [string, (run: number) => Act][] = [
  [
    `GET /workitems?candidate=me&limit=500, ${OPEN_WORKITEMS.toLocaleString('en')} open workitems, a worker in 4 groups that ${(
      (OPEN_WORKITEMS / TEAMS) *
      CALLER_TEAMS.length
    ).toLocaleString('en')} of them name`,
    () => () => send('GET', '/workitems?candidate=me&limit=500', undefined, undefined, candidateCaller),
  ],
  [
    `GET /workitems?candidate=me (first page of 100), the same worker`,
    () => () => send('GET', '/workitems?candidate=me', undefined, undefined, candidateCaller),
  ],
];
if (candidates.some(([name]) => name.includes(ONLY))) {
  const file = join(dir, 'open-workitems.db');
  const head = await seedOpenWorkitems(file);
  const candidatesApp = await createApp({
    config: loadConfig({
      WFNET_EVENT_STORE: `sqlite:${file}`,
      WFNET_API_KEYS: `worker-key:worker:ann:${CALLER_TEAMS.join('|')}`,
    }),
  });
  candidatesApp.useLogger(['error']);
  await candidatesApp.listen(0, '127.0.0.1');
  const { port } = candidatesApp.getHttpServer().address() as { port: number };
  candidateCaller = { base: `http://127.0.0.1:${port}`, key: 'worker-key' };
  const caughtUp = await send(
    'GET',
    `/workitems?candidate=me&limit=500&waitFor=${head}`,
    undefined,
    undefined,
    candidateCaller,
  );
  const listed = (JSON.parse(caughtUp.text) as { items: unknown[] }).items.length;
  if (listed !== (OPEN_WORKITEMS / TEAMS) * CALLER_TEAMS.length) {
    throw new Error(`the worker's list holds ${listed} workitems: the store was not seeded as meant`);
  }
  await untilQuiet();
  await measure(candidates);
  await candidatesApp.close();
}
rmSync(dir, { recursive: true, force: true });
