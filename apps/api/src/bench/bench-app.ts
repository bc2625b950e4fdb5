/**
 * What the engine's scenarios share: an app opened in-process on a fresh store, its workflows and cases
 * sent through the command bus, a follower of the store that notes when cases finish, and the burst or
 * serial load of cases that seq3-burst and seq3-serial measure.
 */
import 'reflect-metadata';
import { CommandBus } from '@nestjs/cqrs';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type {
  EventStore,
  JsonValue,
  WorkflowDefinition,
  WorkflowInput,
  WorkflowSnapshot,
} from '@wfnet/domain';
import { CASE_STREAM_PREFIX, normalizeWorkflow } from '@wfnet/domain';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { ClockMode } from '../clock/clock.js';
import { Clock } from '../clock/clock.js';
import { loadConfig } from '../config/config.js';
import { Engine } from '../engine/engine.js';
import { CaseCommandMessage } from '../cases/case.messages.js';
import { WorkflowCommandMessage } from '../workflows/workflow.messages.js';
import { EVENT_STORE } from '../tokens.js';
import type { CaseOutcome } from '../engine/outcomes.js';
import { createApp } from '../main.js';
import { ReadModelRunner } from '../projections/read-model-runner.js';
import { readModelsFileBeside } from '../stores/store-kinds.js';
import type { HttpClientsInput, HttpClientsOutput } from './http-clients.js';

export type StoreKind = 'memory' | 'sqlite';

/** Progress goes to stderr: stdout carries only the table or the JSON lines. */
export const log = (line: string): void => void process.stderr.write(`${line}\n`);
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const now = (): string => new Date().toISOString();

/** The benchmark's temporary folder; the caller removes it with `removeBenchDir` at the end. */
export const benchDir = mkdtempSync(join(tmpdir(), 'wfnet-engine-bench-'));
let fileNo = 0;
export const benchFile = (name: string): string => join(benchDir, `${name}-${++fileNo}.db`);
export const removeBenchDir = (): void => rmSync(benchDir, { recursive: true, force: true });

/** A closed store's file to `to`, and the read models' file beside it. */
export function copyStoreFiles(from: string, to: string): void {
  copyFileSync(from, to);
  copyFileSync(readModelsFileBeside(from), readModelsFileBeside(to));
}

/** Removes a SQLite store and the files SQLite and the service keep beside it, the read models' among them. */
export function removeStoreFiles(file: string): void {
  for (const base of [file, readModelsFileBeside(file)])
    for (const suffix of ['', '-wal', '-shm', '.lock', '.read-models.lock'])
      rmSync(`${base}${suffix}`, { force: true });
}

export function auto(id: string, extra: Partial<WorkflowInput['transitions'][number]> = {}) {
  return { id, executor: 'auto', ...extra };
}

export const seq3Net = normalizeWorkflow({
  id: 'seq3',
  name: 'Three automatic steps',
  places: [{ id: 'start', type: 'start' }, { id: 'p1' }, { id: 'p2' }, { id: 'end', type: 'end' }],
  transitions: [auto('t1'), auto('t2'), auto('t3')],
  arcs: [
    { from: 'start', to: 't1' },
    { from: 't1', to: 'p1' },
    { from: 'p1', to: 't2' },
    { from: 't2', to: 'p2' },
    { from: 'p2', to: 't3' },
    { from: 't3', to: 'end' },
  ],
});

export interface Opened {
  readonly app: NestExpressApplication;
  readonly bus: CommandBus;
  readonly engine: Engine;
  readonly store: EventStore;
  readonly runner: ReadModelRunner;
  readonly clock: Clock;
  readonly file: string | undefined;
}

export interface OpenOptions {
  /** An existing SQLite store to open; a new one in the benchmark's folder when absent. */
  readonly file?: string;
  readonly sync?: 'full' | 'normal';
  readonly clock?: ClockMode;
}

export async function openApp(store: StoreKind, options: OpenOptions = {}): Promise<Opened> {
  const file = store === 'sqlite' ? (options.file ?? benchFile('engine')) : undefined;
  const config = loadConfig({
    WFNET_EVENT_STORE: file ? `sqlite:${file}` : 'memory',
    WFNET_SQLITE_SYNC: options.sync ?? 'full',
    WFNET_CLOCK: options.clock ?? 'system',
  });
  const app = await createApp({ config });
  app.useLogger(['error', 'warn']);
  await app.init();
  return {
    app,
    bus: app.get(CommandBus),
    engine: app.get(Engine),
    store: app.get<symbol, EventStore>(EVENT_STORE),
    runner: app.get(ReadModelRunner),
    clock: app.get(Clock),
    file,
  };
}

export async function closeApp(opened: Opened, keepFile = false): Promise<void> {
  await opened.app.close();
  if (opened.file && !keepFile) removeStoreFiles(opened.file);
}

export async function createWorkflow(
  opened: Opened,
  definition: WorkflowDefinition,
): Promise<WorkflowSnapshot> {
  const outcome = await opened.bus.execute(
    new WorkflowCommandMessage({ type: 'CreateWorkflow', data: { definition, at: opened.clock.iso() } }),
  );
  return { definition: outcome.state.definition, state: outcome.state.status };
}

export const createCase = (
  opened: Opened,
  workflow: WorkflowSnapshot,
  caseId: string,
  data: JsonValue = {},
): Promise<CaseOutcome> =>
  opened.bus.execute(
    new CaseCommandMessage({ type: 'CreateCase', data: { caseId, workflow, data, at: opened.clock.iso() } }),
  );

export const manual2Net = normalizeWorkflow({
  id: 'manual2',
  name: 'Two manual steps',
  places: [{ id: 'start', type: 'start' }, { id: 'middle' }, { id: 'end', type: 'end' }],
  transitions: [
    { id: 'm1', executor: 'manual' },
    { id: 'm2', executor: 'manual' },
  ],
  arcs: [
    { from: 'start', to: 'm1' },
    { from: 'm1', to: 'middle' },
    { from: 'middle', to: 'm2' },
    { from: 'm2', to: 'end' },
  ],
});

/**
 * Runs the HTTP clients (see http-clients.ts) in a worker thread until they are done; `created` holds
 * when each case was sent, on this thread's clock.
 */
export async function runHttpClients(input: HttpClientsInput): Promise<{
  readonly requests: readonly number[];
  readonly failures: readonly string[];
  readonly created: Map<string, number>;
}> {
  const clients = new Worker(new URL('./http-clients.js', import.meta.url), { workerData: input });
  const output = await new Promise<HttpClientsOutput>((resolve, reject) => {
    clients.once('message', resolve);
    clients.once('error', reject);
  });
  await clients.terminate();
  // The worker's clock counts from its own origin: both are brought to this thread's.
  const created = new Map(output.created.map(([caseId, at]) => [caseId, at - performance.timeOrigin]));
  return { requests: output.requests, failures: output.failures, created };
}

/** Follows the store as any client of it would, noting when each case finishes and counting events. */
export class Finishes {
  readonly finishedAt = new Map<string, number>();
  events = 0;
  readonly #waiting = new Map<string, () => void>();
  readonly #subscription;
  readonly #loop: Promise<void>;

  constructor(store: EventStore, after: bigint) {
    // Only the finishes' data: the benchmark adds no decoding the service would not do.
    this.#subscription = store.subscribe({
      after,
      streamPrefixes: [CASE_STREAM_PREFIX],
      dataOf: ['CaseFinished'],
    });
    this.#loop = this.#follow();
  }

  async #follow(): Promise<void> {
    for await (const event of this.#subscription) {
      this.events++;
      if (event.type !== 'CaseFinished') continue;
      const caseId = (event.data as { caseId: string }).caseId;
      this.finishedAt.set(caseId, performance.now());
      this.#waiting.get(caseId)?.();
      this.#waiting.delete(caseId);
    }
  }

  whenFinished(caseId: string): Promise<void> {
    if (this.finishedAt.has(caseId)) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.set(caseId, resolve));
  }

  async close(): Promise<void> {
    await this.#subscription.close();
    await this.#loop;
  }
}

/**
 * The load of seq3-burst and seq3-serial: `cases` cases of `workflow`, all sent at once (`burst`) or each
 * once the one before has finished (`serial`), until every one has finished. Answers when each was sent.
 */
export async function runCases(
  opened: Opened,
  workflow: WorkflowSnapshot,
  finishes: Finishes,
  cases: number,
  mode: 'burst' | 'serial',
  options: { readonly prefix?: string; readonly dataOf?: (i: number) => JsonValue } = {},
): Promise<Map<string, number>> {
  const { prefix = 'c', dataOf = () => ({}) } = options;
  const created = new Map<string, number>();
  const one = async (i: number): Promise<void> => {
    const caseId = `${prefix}${i}`;
    created.set(caseId, performance.now());
    await createCase(opened, workflow, caseId, dataOf(i));
    await finishes.whenFinished(caseId);
  };
  if (mode === 'burst') await Promise.all(Array.from({ length: cases }, (_, i) => one(i)));
  else for (let i = 0; i < cases; i++) await one(i);
  return created;
}

/** Until the read models reflect every event in the store. Polls: the runner's waitFor has a timeout. */
export async function readModelsCaughtUp(opened: Opened): Promise<void> {
  const head = await opened.store.headPosition();
  while (opened.runner.position < head) await sleep(1);
}

/** Samples the resident set every 50 ms: a scenario's peak, not the process's lifetime peak. */
export function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss()) / 2 ** 20;
    },
  };
}

/**
 * Where a run's time went: the share of the wall clock the main thread spent in garbage collection
 * (the pauses V8 reports as `gc` performance entries, minor and major), the cores the process kept busy
 * (its CPU time over the wall clock, every thread together), and the main thread's CPU time over the
 * wall clock (see `mainThreadCpuMs`).
 */
export interface RunLoad {
  readonly gcShare: number;
  readonly processCores: number;
  readonly mainThreadBusy: number;
  /**
   * The CPU time over the wall clock of the busiest thread beside the main one (the read models' thread
   * on SQLite, else SQLite's or the collector's helpers); null where Linux's /proc is not there.
   */
  readonly otherThreadBusy: number | null;
}

type ThreadCpuUsage = (previous?: NodeJS.CpuUsage) => NodeJS.CpuUsage;
const threadCpuUsage = (process as { threadCpuUsage?: ThreadCpuUsage }).threadCpuUsage?.bind(process);
const cpuMs = ({ user, system }: NodeJS.CpuUsage): number => (user + system) / 1000;
/** Linux counts a thread's CPU time in ticks of 1/100 s (USER_HZ). */
const TICK_MS = 10;

/**
 * The main thread's CPU time so far: `process.threadCpuUsage` where Node has it (≥ 23.9), else the
 * thread's line in Linux's /proc; undefined elsewhere.
 */
function mainThreadCpuMs(): number | undefined {
  if (threadCpuUsage) return cpuMs(threadCpuUsage());
  try {
    return taskCpuMs(String(process.pid));
  } catch {
    return undefined;
  }
}

/** A thread's CPU time so far, from its line in Linux's /proc. */
function taskCpuMs(tid: string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // The fields after the command's name (in parentheses, which may hold spaces): utime is the 12th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Each thread's CPU time so far, by Linux thread id, from /proc; empty elsewhere. */
function threadsCpuMs(): Map<string, number> {
  const times = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) times.set(tid, taskCpuMs(tid));
  } catch {
    // Not Linux, or a thread that ended between the listing and the read: what was read stands.
  }
  return times;
}

/** Starts measuring a run's `RunLoad`; where the main thread's CPU time is unknown, the event loop's utilisation stands for it. */
export function loadSampler(): { stop(): RunLoad } {
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const startedAt = performance.now();
  const processCpu = process.cpuUsage();
  const threadCpu = mainThreadCpuMs();
  const threadsCpu = threadsCpuMs();
  const loop = performance.eventLoopUtilization();
  return {
    stop() {
      for (const entry of observer.takeRecords()) gcMs += entry.duration;
      observer.disconnect();
      const wallMs = performance.now() - startedAt;
      const threadCpuNow = mainThreadCpuMs();
      return {
        gcShare: gcMs / wallMs,
        processCores: cpuMs(process.cpuUsage(processCpu)) / wallMs,
        mainThreadBusy:
          threadCpu !== undefined && threadCpuNow !== undefined
            ? (threadCpuNow - threadCpu) / wallMs
            : performance.eventLoopUtilization(loop).utilization,
        otherThreadBusy: busiestOtherThread(threadsCpu, threadsCpuMs(), wallMs),
      };
    },
  };
}

function busiestOtherThread(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  wallMs: number,
): number | null {
  let busiest: number | null = null;
  for (const [tid, ms] of after) {
    if (tid === String(process.pid)) continue;
    const share = (ms - (before.get(tid) ?? 0)) / wallMs;
    if (busiest === null || share > busiest) busiest = share;
  }
  return busiest;
}

export const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
};

/** One run of a scenario; null where a figure means nothing for it. */
export interface RunFigures {
  readonly cases: number | null;
  readonly seconds: number;
  readonly casesPerSec: number | null;
  readonly eventsPerSec: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly peakRssMb: number;
  /** Where the run's time went, for the scenarios that measure it. */
  readonly load?: RunLoad;
  readonly extra?: Readonly<Record<string, number>>;
}
