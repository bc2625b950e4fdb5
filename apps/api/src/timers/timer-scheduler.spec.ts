import { afterEach, describe, expect, it } from '@jest/globals';
import type { CaseCommand, FireTimer, WorkflowDefinition } from '@wfnet/domain';
import { caseStreamId, normalizeWorkflow, StoreUnavailableError } from '@wfnet/domain';
import { fakeTiming } from '@wfnet/domain/testing';
import { Clock } from '../clock/clock.js';
import { Engine } from '../engine/engine.js';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { MemorySnapshotStore } from '../event-store/snapshot-store.js';
import { autoExecutor, manualExecutor } from '../executors/built-in.js';
import { ExecutorRegistry } from '../executors/executor-registry.js';
import { MemoryWorkClaims } from '../executors/work-claims.js';
import type { WorkClaims } from '../executors/work-claims.js';
import { MemoryReadStore } from '../projections/memory-read-store.js';
import { ProjectionRunner, ReadModels } from '../projections/index.js';
import { TimerScheduler } from './timer-scheduler.js';
import type { TimerSchedulerOptions } from './timer-scheduler.js';

const START = new Date('2026-03-04T05:00:00.000Z');
const stoppers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stoppers.splice(0).reverse()) await stop();
});

/** A manual `approve` and a timer `escalate` (after `after`) competing for the start token. */
function deadline(id: string, after: string): WorkflowDefinition {
  return normalizeWorkflow({
    id,
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'approve', executor: 'manual' },
      { id: 'escalate', executor: 'timer', executorParams: { after } },
    ],
    arcs: [
      { from: 'start', to: 'approve' },
      { from: 'start', to: 'escalate' },
      { from: 'approve', to: 'end' },
      { from: 'escalate', to: 'end' },
    ],
  });
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadlineAt = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadlineAt) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `projectionDelayMs`: how much longer than the read models each wait for the index takes. */
async function setup(clock: Clock, options: TimerSchedulerOptions = {}, projectionDelayMs = 0) {
  const store = new MemoryEventStore();
  const registry = new ExecutorRegistry({ auto: autoExecutor, manual: manualExecutor });
  const engine = new Engine(store, new MemorySnapshotStore(), registry, {
    snapshotEvery: 500,
    timing: fakeTiming(),
  });
  const readStore = new MemoryReadStore();
  const runner = new ProjectionRunner(store, readStore);
  await runner.start();
  stoppers.push(() => runner.stop());
  const readModels = new ReadModels(readStore, 1024 * 1024);
  const problems: string[] = [];
  const lags: number[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  /** Firings the index is known to have, by a wait for it that returned; and firings sent beyond them. */
  let confirmed = 0;
  let firedAheadOfIndex = 0;
  const batch = options.concurrency ?? 256;
  const sent: FireTimer[] = [];
  /** Errors the next firings throw instead of reaching the case, one each. */
  const fireFailures: Error[] = [];

  /** A scheduler; with `claims`, one of several processes' on a shared table. */
  const newScheduler = (claims?: WorkClaims): TimerScheduler => {
    const scheduler = new TimerScheduler({
      store,
      index: readModels,
      projected: async (position) => {
        const mark = sent.length;
        await runner.waitFor(position);
        if (projectionDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, projectionDelayMs));
        confirmed = Math.max(confirmed, mark);
      },
      fire: async (command: FireTimer) => {
        // More than a batch sent past what the index is known to have: this one is the next batch's.
        if (sent.length - confirmed >= batch) firedAheadOfIndex++;
        sent.push(command);
        const failure = fireFailures.shift();
        if (failure) throw failure;
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        try {
          return await engine.executeCase(command);
        } finally {
          inFlight--;
        }
      },
      clock,
      log: { warn: (line) => problems.push(line), error: (line) => problems.push(line) },
      onFired: (lag) => lags.push(lag),
      ...(claims && { claims }),
      ...options,
    });
    stoppers.push(() => scheduler.stop());
    return scheduler;
  };
  const command = (cmd: CaseCommand) => engine.executeCase(cmd);
  const createCase = (definition: WorkflowDefinition, caseId: string) =>
    command({
      type: 'CreateCase',
      data: { caseId, workflow: { definition, state: 'active' }, data: {}, at: clock.iso() },
    });
  const typesOf = async (caseId: string): Promise<string[]> =>
    (await store.readStream(caseStreamId(caseId))).map(({ type }) => type);
  const count = async (caseId: string, type: string) =>
    (await typesOf(caseId)).filter((t) => t === type).length;
  const timersOf = (caseId: string) => readModels.timersOfCase(caseId);
  return {
    store,
    engine,
    runner,
    readModels,
    problems,
    lags,
    mostInFlight: () => mostInFlight,
    firedAheadOfIndex: () => firedAheadOfIndex,
    sent,
    fireFailures,
    newScheduler,
    command,
    createCase,
    count,
    timersOf,
  };
}

describe('the timer scheduler, on a manual clock', () => {
  it('fires a timer once the clock reaches its due time, not before', async () => {
    const clock = new Clock('manual', START);
    const t = await setup(clock);
    await t.newScheduler().start();
    await t.createCase(deadline('escalation', 'PT1H'), 'late');
    // A marker due a minute earlier: once it has fired, the scheduler has seen the moved clock.
    await t.createCase(deadline('marker', 'PT59M'), 'marker');

    clock.advance('PT59M');
    await until('the marker fired', async () => (await t.count('marker', 'TimerFired')) === 1);
    expect(await t.count('late', 'TimerFired')).toBe(0);

    clock.advance('PT1M');
    await until('the escalation fired', async () => (await t.count('late', 'TimerFired')) === 1);
    expect(await t.count('late', 'CaseFinished')).toBe(1);
    expect(t.lags).toEqual([0, 0]);
    expect(t.problems).toEqual([]);
  });

  it('fires at start the timers that fell due while it was stopped', async () => {
    const clock = new Clock('manual', START);
    const t = await setup(clock);
    await t.createCase(deadline('escalation', 'PT1H'), 'c1');
    clock.advance('PT2H');

    await t.newScheduler().start();

    await until('the timer fired', async () => (await t.count('c1', 'TimerFired')) === 1);
    // An hour late by the service's clock: it fell due an hour before the start.
    expect(t.lags).toEqual([3600]);
  });

  it('fires a timer projected after its due time at once, without a move of the clock', async () => {
    const clock = new Clock('manual', START);
    const t = await setup(clock);
    await t.newScheduler().start();

    await t.createCase(deadline('now', 'PT0S'), 'c1');

    await until('the timer fired', async () => (await t.count('c1', 'TimerFired')) === 1);
  });

  it('tries a timer again later while a competitor holds its tokens, and fires it once they are free', async () => {
    const clock = new Clock('manual', START);
    const t = await setup(clock, { busyRetryMs: 20 });
    await t.newScheduler().start();
    const created = await t.createCase(deadline('escalation', 'PT1H'), 'c1');
    const approve = [...created.state.workitems.values()].find((w) => w.transitionId === 'approve')!;
    await t.command({
      type: 'PreexecuteTask',
      data: { caseId: 'c1', taskId: approve.taskId, at: clock.iso() },
    });

    clock.advance('PT1H');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await t.count('c1', 'TimerFired')).toBe(0);
    expect(t.timersOf('c1').map((timer) => timer.state)).toEqual(['pending']);

    await t.command({
      type: 'AbandonWorkitem',
      data: { caseId: 'c1', workitemId: approve.id, at: clock.iso() },
    });

    await until('the timer fired', async () => (await t.count('c1', 'TimerFired')) === 1);
    expect(t.problems).toEqual([]);
  });

  it('tries a timer again soon when the store could not take its firing, not after the minute a refusal waits', async () => {
    const clock = new Clock('manual', START);
    const t = await setup(clock, { busyRetryMs: 20 });
    await t.newScheduler().start();
    await t.createCase(deadline('escalation', 'PT1H'), 'c1');
    t.fireFailures.push(new StoreUnavailableError('the database is restarting'));

    clock.advance('PT1H');

    await until('the timer fired', async () => (await t.count('c1', 'TimerFired')) === 1, 2000);
    expect(t.sent.map((command) => command.data.timerId)).toHaveLength(2);
    expect(t.problems).toEqual([
      expect.stringContaining('could not be fired: the database is restarting; trying again in 0.02 s'),
    ]);
  });

  /** 100 timers due at once, fired 16 at a time; resolves once each has fired once. */
  async function fireHundredTimers(projectionDelayMs = 0) {
    const clock = new Clock('manual', START);
    const t = await setup(clock, { concurrency: 16 }, projectionDelayMs);
    const cases = Array.from({ length: 100 }, (_, i) => `c${i}`);
    for (const caseId of cases) await t.createCase(deadline('escalation', 'PT1H'), caseId);
    await t.newScheduler().start();

    clock.advance('PT1H');

    await until('every timer fired', async () =>
      (await Promise.all(cases.map((c) => t.count(c, 'TimerFired')))).every((n) => n === 1),
    );
    return t;
  }

  it('fires many due timers with at most `concurrency` commands under way, each exactly once', async () => {
    const t = await fireHundredTimers();
    expect(t.mostInFlight()).toBeLessThanOrEqual(16);
    expect(t.mostInFlight()).toBeGreaterThan(1);
    expect(t.lags).toHaveLength(100);
    expect(t.problems).toEqual([]);
  });

  it('fires the next batch while the last one is being projected, each timer once', async () => {
    const t = await fireHundredTimers(30);
    expect(t.sent).toHaveLength(100);
    expect(new Set(t.sent.map(({ data }) => data.timerId)).size).toBe(100);
    expect(t.firedAheadOfIndex()).toBeGreaterThanOrEqual(16);
    expect(t.problems).toEqual([]);
  });

  it('has each timer take effect once when two schedulers fire the same timers', async () => {
    const clock = new Clock('manual', START);
    const t = await setup(clock, { concurrency: 4 });
    const cases = Array.from({ length: 20 }, (_, i) => `c${i}`);
    for (const caseId of cases) await t.createCase(deadline('escalation', 'PT1H'), caseId);
    await t.newScheduler().start();
    await t.newScheduler().start();

    clock.advance('PT1H');

    await until('every case finished', async () =>
      (await Promise.all(cases.map((c) => t.count(c, 'CaseFinished')))).every((n) => n === 1),
    );
    expect(await Promise.all(cases.map((c) => t.count(c, 'TimerFired')))).toEqual(cases.map(() => 1));
    expect(t.lags).toHaveLength(20);
  });

  it('sends FireTimer once for each timer when two schedulers of two processes claim the timers they fire', async () => {
    const clock = new Clock('manual', START);
    const t = await setup(clock, { concurrency: 4 });
    const cases = Array.from({ length: 20 }, (_, i) => `c${i}`);
    for (const caseId of cases) await t.createCase(deadline('escalation', 'PT1H'), caseId);
    const table = new MemoryWorkClaims('a');
    await t.newScheduler(table).start();
    await t.newScheduler(table.forProcess('b')).start();

    clock.advance('PT1H');

    await until('every case finished', async () =>
      (await Promise.all(cases.map((c) => t.count(c, 'CaseFinished')))).every((n) => n === 1),
    );
    // Long enough for a scheduler held back by the other's claim to look again (busyRetryMs: 1 s).
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(t.sent.map(({ data }) => data.caseId).sort()).toEqual([...cases].sort());
    expect(t.sent.map(({ data }) => table.holderOf(`timer:${data.timerId}`))).toEqual(
      cases.map(() => undefined),
    );
    expect(t.problems).toEqual([]);
  });
});

describe('the timer scheduler of one of several processes', () => {
  it('fires a due timer another process claimed and died holding, once that claim has run out', async () => {
    const clock = new Clock('manual', START);
    const t = await setup(clock, { busyRetryMs: 20 });
    const created = await t.createCase(deadline('escalation', 'PT1H'), 'c1');
    await t.runner.waitFor(created.position);
    const [timer] = t.timersOf('c1');
    const table = new MemoryWorkClaims('gone');
    await table.claim(`timer:${timer!.id}`, 600);
    await t.newScheduler(table.forProcess('b')).start();

    clock.advance('PT1H');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(t.sent).toEqual([]);

    await until('the timer fired', async () => (await t.count('c1', 'TimerFired')) === 1, 2000);
    expect(t.sent.map(({ data }) => data.timerId)).toEqual([timer!.id]);
    expect(t.problems).toEqual([]);
  });
});

describe('the timer scheduler, on the system clock', () => {
  it('sleeps until the next due time and fires the timer within 200 ms of it', async () => {
    const clock = new Clock('system');
    const t = await setup(clock);
    await t.newScheduler().start();

    await t.createCase(deadline('soon', 'PT0.3S'), 'c1');

    await until('the timer fired', async () => (await t.count('c1', 'TimerFired')) === 1, 3000);
    expect(t.lags).toHaveLength(1);
    expect(t.lags[0]).toBeGreaterThanOrEqual(0);
    expect(t.lags[0]).toBeLessThan(0.2);
  });
});
