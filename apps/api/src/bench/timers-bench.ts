/**
 * The timers' scenarios of `npm run bench` (`--scenario timers` runs the three), on SQLite:
 * - timers-fire: N pending timers of N cases, all due at one instant under a manual clock, in a store
 *   reopened with FULL sync; the clock is set to that instant over HTTP and the service's own scheduler
 *   fires them. Seconds from the clock's move to the last `TimerFired`, and fires/s.
 * - timers-memory: the service (`dist/main.bundle.js`, run as `npm start` runs it) on a store with N pending
 *   timers, due weeks ahead, against the same service on a store of the same cases without timers: the
 *   difference of their resident sets once the read models have caught up and nothing is due.
 * - timers-precision: timers due at spread instants on the system clock, while seq3-burst's load runs:
 *   percentiles of (the `TimerFired` seen in the store − the timer's `dueAt`).
 */
import type { EventStore, WorkflowDefinition, WorkflowSnapshot } from '@wfnet/domain';
import { CASE_STREAM_PREFIX, normalizeWorkflow } from '@wfnet/domain';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { freePort } from '../soak/service-process.js';
import { builtService } from '../tools/built-service.js';
import type { Opened, RunFigures } from './bench-app.js';
import {
  Finishes,
  auto,
  benchFile,
  closeApp,
  copyStoreFiles,
  createCase,
  createWorkflow,
  log,
  openApp,
  percentile,
  readModelsCaughtUp,
  removeStoreFiles,
  rssSampler,
  runCases,
  seq3Net,
  sleep,
} from './bench-app.js';

/** How far ahead the fire-rate timers are due: the manual clock is set there in one move. */
const FIRE_AFTER = 'P1D';

/** One timer step from `start` to `end`: its timer's fire completes the step and finishes the case. */
export const waitNet = normalizeWorkflow({
  id: 'wait-a-day',
  name: 'A timer step of one day',
  places: [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end' },
  ],
  transitions: [{ id: 'wait', executor: 'timer', executorParams: { after: FIRE_AFTER } }],
  arcs: [
    { from: 'start', to: 'wait' },
    { from: 'wait', to: 'end' },
  ],
});

/** One timer step due at the time the case's data names (`due`). */
export const waitUntilNet = normalizeWorkflow({
  ...waitNet,
  id: 'wait-until',
  name: 'A timer step due at case.due',
  transitions: [{ id: 'wait', executor: 'timer', executorParams: { at: 'timestamp(case.due)' } }],
});

/**
 * An automatic step run inside CreateCase opens `branches` parallel steps, each a timer step with two
 * timeouts that stay pending while it waits, and a case timeout: 3 × `branches` + 1 pending timers a
 * case, all due weeks ahead. `withTimers: false` gives the same cases with manual steps and no timers.
 */
export function fanNet(branches: number, withTimers: boolean): WorkflowDefinition {
  const ids = Array.from({ length: branches }, (_, i) => i + 1);
  return normalizeWorkflow({
    id: withTimers ? 'fan-of-timers' : 'fan-of-manual-steps',
    name: withTimers ? `${branches} parallel timer steps` : `${branches} parallel manual steps`,
    ...(withTimers && { caseTimeout: 'P60D' }),
    places: [
      { id: 'start', type: 'start' },
      ...ids.flatMap((i) => [{ id: `q${i}` }, { id: `r${i}` }]),
      { id: 'end', type: 'end' },
    ],
    transitions: [
      auto('fan', { splitType: 'and', executorParams: { immediate: true } }),
      ...ids.map((i) =>
        withTimers
          ? {
              id: `w${i}`,
              executor: 'timer',
              executorParams: { after: 'P30D' },
              timeouts: { scheduleToStart: 'P40D', scheduleToClose: 'P50D' },
            }
          : { id: `w${i}`, executor: 'manual' },
      ),
      auto('gather', { joinType: 'and' }),
    ],
    arcs: [
      { from: 'start', to: 'fan' },
      ...ids.flatMap((i) => [
        { from: 'fan', to: `q${i}` },
        { from: `q${i}`, to: `w${i}` },
        { from: `w${i}`, to: `r${i}` },
        { from: `r${i}`, to: 'gather' },
      ]),
      { from: 'gather', to: 'end' },
    ],
  });
}

interface Fired {
  /** `Date.now()` when the event was seen in the store. */
  readonly seenMs: number;
  /** The `at` it records: the time of the FireTimer command. */
  readonly at: string;
}

/** Follows the store's case events, noting each timer's schedule, fire and cancellation. */
class TimerEvents {
  readonly dueAt = new Map<string, string>();
  readonly scheduledSeenMs = new Map<string, number>();
  readonly fired = new Map<string, Fired>();
  cancelled = 0;
  events = 0;
  /** The position of the last event seen. */
  position = 0n;
  /** `performance.now()` when the last `TimerFired` was seen. */
  lastFiredAt = 0;
  readonly #subscription;
  readonly #loop: Promise<void>;

  constructor(store: EventStore, after: bigint) {
    // Only the timers' data: the benchmark adds no decoding the service would not do.
    this.#subscription = store.subscribe({
      after,
      streamPrefixes: [CASE_STREAM_PREFIX],
      dataOf: ['TimerScheduled', 'TimerFired'],
    });
    this.#loop = this.#follow();
  }

  get pending(): number {
    return this.dueAt.size - this.fired.size - this.cancelled;
  }

  async #follow(): Promise<void> {
    for await (const event of this.#subscription) {
      this.events++;
      this.position = event.position;
      const data = event.data as { timerId: string; dueAt: string; at: string };
      if (event.type === 'TimerScheduled') {
        this.dueAt.set(data.timerId, data.dueAt);
        this.scheduledSeenMs.set(data.timerId, Date.now());
      } else if (event.type === 'TimerFired') {
        this.fired.set(data.timerId, { seenMs: Date.now(), at: data.at });
        this.lastFiredAt = performance.now();
      } else if (event.type === 'TimerCancelled') this.cancelled++;
    }
  }

  /** Until `done` holds; throws after `timeoutMs`, saying what it waited for. */
  async until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!done()) {
      if (performance.now() > deadline)
        throw new Error(
          `${what}: not within ${timeoutMs / 1000} s (${this.dueAt.size} scheduled, ${this.fired.size} fired, ${this.cancelled} cancelled)`,
        );
      await sleep(2);
    }
  }

  async close(): Promise<void> {
    await this.#subscription.close();
    await this.#loop;
  }
}

/**
 * Creates cases `<prefix><first>` to `<prefix><last - 1>` in bursts of `burst`, each burst sent all at
 * once as clients would send them.
 */
async function createCases(
  opened: Opened,
  workflow: WorkflowSnapshot,
  prefix: string,
  [first, last]: readonly [number, number],
  burst: number,
): Promise<void> {
  for (let from = first; from < last; from += burst) {
    const count = Math.min(burst, last - from);
    await Promise.all(
      Array.from({ length: count }, (_, i) => createCase(opened, workflow, `${prefix}${from + i}`)),
    );
  }
}

interface FireFixture {
  readonly file: string;
  readonly timers: number;
  readonly dueAt: string;
  readonly setupSeconds: number;
}
const fireFixtures = new Map<number, FireFixture>();

/**
 * `timers` cases of `waitNet`, created at one instant of a manual clock (so their timers are due at one
 * instant too), on SQLite NORMAL for speed; made once per process, copied for each run.
 */
async function fireFixture(timers: number): Promise<FireFixture> {
  const made = fireFixtures.get(timers);
  if (made) return made;
  log(`timers-fire: making a store of ${timers} cases with a pending timer each`);
  const started = performance.now();
  const opened = await openApp('sqlite', { sync: 'normal', clock: 'manual' });
  const workflow = await createWorkflow(opened, waitNet);
  const watch = new TimerEvents(opened.store, await opened.store.headPosition());
  await createCases(opened, workflow, 'w', [0, timers], 10_000);
  await watch.until(() => watch.dueAt.size >= timers, 'the timers scheduled', 60_000);
  await readModelsCaughtUp(opened);
  await watch.close();
  await closeApp(opened, true);
  const dues = new Set(watch.dueAt.values());
  const [dueAt] = dues;
  if (watch.dueAt.size !== timers || watch.pending !== timers || dues.size !== 1 || dueAt === undefined)
    throw new Error(
      `timers-fire: expected ${timers} pending timers due at one instant, got ${watch.pending} pending of ${watch.dueAt.size} scheduled, due at ${dues.size} instants`,
    );
  const fixture = {
    file: opened.file ?? '',
    timers,
    dueAt,
    setupSeconds: (performance.now() - started) / 1000,
  };
  log(`timers-fire: made in ${fixture.setupSeconds.toFixed(1)} s, all due at ${dueAt}`);
  fireFixtures.set(timers, fixture);
  return fixture;
}

/** Sets the service's manual clock as an operator or a test does. */
async function setClock(opened: Opened, time: string): Promise<void> {
  const { port } = opened.app.getHttpServer().address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/admin/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ set: time }),
  });
  if (response.status !== 200)
    throw new Error(`POST /admin/clock answered ${response.status}: ${await response.text()}`);
}

export async function timersFireRun(timers: number): Promise<RunFigures> {
  const fixture = await fireFixture(timers);
  const file = benchFile('timers-fire');
  copyStoreFiles(fixture.file, file);
  const opened = await openApp('sqlite', { file, clock: 'manual' });
  await opened.app.listen(0, '127.0.0.1');
  const watch = new TimerEvents(opened.store, await opened.store.headPosition());
  // The scheduler has started and found nothing due; a fire now would be a timer fired early.
  await sleep(1_000);
  if (watch.fired.size > 0)
    throw new Error(`timers-fire: ${watch.fired.size} timers fired before their time`);
  const rss = rssSampler();
  const started = performance.now();
  const cpu = process.cpuUsage();
  await setClock(opened, fixture.dueAt);
  await watch.until(() => watch.fired.size >= timers, 'every timer fired', 600_000);
  const seconds = (watch.lastFiredAt - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  await readModelsCaughtUp(opened);
  const readModelsSeconds = (performance.now() - started) / 1000;
  const peakRssMb = rss.stop();
  await watch.close();
  await closeApp(opened);
  const early = [...watch.fired.values()].filter(({ at }) => at < fixture.dueAt).length;
  if (early > 0) throw new Error(`timers-fire: ${early} timers fired before ${fixture.dueAt}`);
  return {
    cases: timers,
    seconds,
    casesPerSec: null,
    eventsPerSec: watch.events / readModelsSeconds,
    p50Ms: null,
    p99Ms: null,
    peakRssMb,
    extra: {
      firesPerSec: timers / seconds,
      // The process's CPU time (all its threads) per fire, until the last: what a busy machine moves least.
      cpuMsPerFire: (user + system) / 1000 / timers,
      eventsPerFire: watch.events / timers,
      readModelsCaughtUpSeconds: readModelsSeconds,
      setupSeconds: fixture.setupSeconds,
    },
  };
}

/** Timer steps per case in the memory scenario: 3 × 33 + 1 = 100 pending timers a case. */
const FAN_BRANCHES = 33;

interface MemoryFixture {
  readonly file: string;
  readonly head: bigint;
  readonly cases: number;
  readonly pendingTimers: number;
  readonly events: number;
}
const memoryFixtures = new Map<string, MemoryFixture>();

/**
 * Cases of `fanNet`, made in-process on SQLite NORMAL: with timers, as many as it takes to reach
 * `timers` pending ones; without, `cases` of them.
 */
async function memoryFixture(
  size: { readonly timers: number } | { readonly cases: number },
): Promise<MemoryFixture> {
  const withTimers = 'timers' in size;
  const key = JSON.stringify(size);
  const made = memoryFixtures.get(key);
  if (made) return made;
  const opened = await openApp('sqlite', { sync: 'normal' });
  const workflow = await createWorkflow(opened, fanNet(FAN_BRANCHES, withTimers));
  const watch = new TimerEvents(opened.store, await opened.store.headPosition());
  await createCase(opened, workflow, 'f0');
  await watch.until(() => watch.pending > 0 || !withTimers, 'the first case', 60_000);
  const cases = withTimers ? Math.ceil(size.timers / watch.pending) : size.cases;
  log(
    `timers-memory: making a store of ${cases} cases ${withTimers ? `with ${watch.pending} pending timers each` : 'without timers'}`,
  );
  await createCases(opened, workflow, 'f', [1, cases], 1_000);
  await readModelsCaughtUp(opened);
  const head = await opened.store.headPosition();
  await watch.until(() => watch.position >= head, 'every case event seen', 60_000);
  await watch.close();
  await closeApp(opened, true);
  if (withTimers ? watch.pending < size.timers : watch.dueAt.size > 0)
    throw new Error(
      `timers-memory: expected ${withTimers ? `≥ ${size.timers}` : 'no'} pending timers, got ${watch.pending}`,
    );
  const fixture = {
    file: opened.file ?? '',
    head,
    cases,
    pendingTimers: watch.pending,
    events: watch.events,
  };
  memoryFixtures.set(key, fixture);
  return fixture;
}

const vmRssMb = (pid: number): number => {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line?.[1]) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) / 1024;
};

/**
 * The resident set of the service as `npm start` runs it, on `file`: started, its read models at `head`,
 * then left alone for `settleMs`, then the median of `samples` samples 250 ms apart.
 */
async function serviceRss(file: string, head: bigint, settleMs: number, samples: number): Promise<number> {
  const port = await freePort();
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('WFNET_')) delete env[name];
  const child = spawn(process.execPath, ['--heap-growing-percent=100', builtService()], {
    env: { ...env, WFNET_EVENT_STORE: `sqlite:${file}`, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = performance.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited while starting:\n${errors}`);
      if (performance.now() > deadline) throw new Error(`the service did not catch up in 120 s:\n${errors}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        const health = (await response.json()) as { projectionPosition?: string };
        if (response.status === 200 && BigInt(health.projectionPosition ?? '0') >= head) break;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await sleep(settleMs);
    const rss: number[] = [];
    for (let i = 0; i < samples; i++) {
      rss.push(vmRssMb(child.pid ?? 0));
      await sleep(250);
    }
    return percentile(rss, 50);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function timersMemoryRun(
  timers: number,
  settleMs: number,
  samples: number,
): Promise<RunFigures> {
  const started = performance.now();
  const withTimers = await memoryFixture({ timers });
  const without = await memoryFixture({ cases: withTimers.cases });
  const empty = benchFile('timers-empty');
  const rssWithMb = await serviceRss(withTimers.file, withTimers.head, settleMs, samples);
  const rssWithoutMb = await serviceRss(without.file, without.head, settleMs, samples);
  const rssEmptyMb = await serviceRss(empty, 0n, settleMs, samples);
  removeStoreFiles(empty);
  return {
    cases: withTimers.cases,
    seconds: (performance.now() - started) / 1000,
    casesPerSec: null,
    eventsPerSec: null,
    p50Ms: null,
    p99Ms: null,
    peakRssMb: rssWithMb,
    extra: {
      pendingTimers: withTimers.pendingTimers,
      eventsWithTimers: withTimers.events,
      eventsWithout: without.events,
      rssWithTimersMb: rssWithMb,
      rssWithoutMb,
      rssDifferenceMb: rssWithMb - rssWithoutMb,
      rssEmptyStoreMb: rssEmptyMb,
    },
  };
}

/**
 * `timers` cases whose timers fall due one after another over `windowMs`, from `leadMs` after they are
 * sent, while bursts of `loadCases` seq3 cases (seq3-burst's load) run until the last has fired.
 */
export async function timersPrecisionRun(
  loadCases: number,
  timers: number,
  leadMs: number,
  windowMs: number,
): Promise<RunFigures> {
  const opened = await openApp('sqlite');
  const seq3 = await createWorkflow(opened, seq3Net);
  const waitUntil = await createWorkflow(opened, waitUntilNet);
  const head = await opened.store.headPosition();
  const watch = new TimerEvents(opened.store, head);
  const finishes = new Finishes(opened.store, head);
  const first = Date.now() + leadMs;
  await Promise.all(
    Array.from({ length: timers }, (_, i) =>
      createCase(opened, waitUntil, `t${i}`, {
        due: new Date(first + Math.round((i * windowMs) / timers)).toISOString(),
      }),
    ),
  );
  const rss = rssSampler();
  const started = performance.now();
  let sent = 0;
  for (let burst = 0; watch.fired.size < timers; burst++) {
    await runCases(opened, seq3, finishes, loadCases, 'burst', { prefix: `b${burst}-` });
    sent += loadCases;
  }
  const seconds = (performance.now() - started) / 1000;
  await readModelsCaughtUp(opened);
  const peakRssMb = rss.stop();
  await watch.close();
  await finishes.close();
  await closeApp(opened);
  const late: number[] = [];
  const recorded: number[] = [];
  let scheduledLate = 0;
  for (const [timerId, dueAt] of watch.dueAt) {
    const fired = watch.fired.get(timerId);
    const due = Date.parse(dueAt);
    if (!fired) throw new Error(`timers-precision: timer ${timerId} never fired`);
    if ((watch.scheduledSeenMs.get(timerId) ?? 0) > due) scheduledLate++;
    late.push(fired.seenMs - due);
    recorded.push(Date.parse(fired.at) - due);
  }
  return {
    cases: timers,
    seconds,
    casesPerSec: sent / seconds,
    eventsPerSec: finishes.events / seconds,
    p50Ms: percentile(late, 50),
    p99Ms: percentile(late, 99),
    peakRssMb,
    extra: {
      maxMs: Math.max(...late),
      minMs: Math.min(...late),
      recordedP50Ms: percentile(recorded, 50),
      recordedP99Ms: percentile(recorded, 99),
      loadCases: sent,
      scheduledAfterDue: scheduledLate,
    },
  };
}
