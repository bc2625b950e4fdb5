/**
 * `npm run bench:loop [-- --runs 5]`: the longest the service's event loop stands still for each of the
 * costliest requests within its limits (bodies at `WFNET_MAX_BODY_LAYOUTS` in the three shapes that cost
 * most, a net at the node and arc bounds as JSON and as PNML) and for bodies past the layout bound, with
 * `perf_hooks.monitorEventLoopDelay` at 1 ms. The service (SQLite FULL) and this client share the process
 * and its loop, as in the tests; the bodies are encoded before each measurement starts, and answers are
 * read as text, so the client's own share is small. Medians and maxima over the runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../config/config.js';
import { createApp } from '../main.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg === -1 ? 5 : Number(process.argv[runsArg + 1]);
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

async function send(method: string, path: string, body?: string, accept = 'application/json') {
  const response = await fetch(url + path, {
    method,
    headers: { accept, ...(body !== undefined && { 'content-type': 'application/json' }) },
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
console.log(`| request | median of ${RUNS} | max |`);
console.log('|---|---:|---:|');
for (const [name, prepare] of requests) {
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
await app.close();
rmSync(dir, { recursive: true, force: true });
