import { describe, expect, it } from '@jest/globals';
import type { CaseCommand } from '@wfnet/domain';
import { caseStreamId, exampleNets } from '@wfnet/domain';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { MemorySnapshotStore } from '../event-store/snapshot-store.js';
import { autoExecutor, manualExecutor } from '../executors/built-in.js';
import { ExecutorRegistry } from '../executors/executor-registry.js';
import { Admission } from './admission.js';
import { Engine } from './engine.js';

/** A head and followers the test moves by hand, and a clock of its own. */
function setup({ maxLag = 10, maxCreating = 100, stalledMs = 1_000 } = {}) {
  const world = { head: 100n, followers: [100n, 100n], now: 0 };
  const admission = new Admission(() => world.head, {
    maxLag,
    maxCreating,
    stalledMs,
    checkEveryMs: 1,
    followers: () => world.followers,
    now: () => world.now,
  });
  const entered: number[] = [];
  const enter = (n: number): Promise<void> => admission.enter().then(() => void entered.push(n));
  return { world, admission, entered, enter };
}

const settle = (ms = 10): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('admission of new cases', () => {
  it('lets creations in at once while every follower is within maxLag of the head', async () => {
    const { world, admission, entered, enter } = setup();
    world.followers = [100n, 90n];
    await Promise.all([enter(1), enter(2)]);
    expect(entered).toEqual([1, 2]);
    expect(admission.waiting).toBe(0);
  });

  it('holds them, in order of arrival, while a follower is further behind, and lets them in as it catches up', async () => {
    const { world, admission, entered, enter } = setup();
    world.followers = [100n, 89n];
    const all = Promise.all([enter(1), enter(2), enter(3)]);
    await settle();
    expect(entered).toEqual([]);
    expect(admission.waiting).toBe(3);

    world.now = 100;
    world.followers = [100n, 95n];
    await all;
    expect(entered).toEqual([1, 2, 3]);
    expect(admission.waiting).toBe(0);
  });

  it('decides at most maxCreating at once: the next waits for one to leave', async () => {
    const { admission, entered, enter } = setup({ maxCreating: 2 });
    const third = Promise.all([enter(1), enter(2)]).then(() => enter(3));
    await settle();
    expect(entered).toEqual([1, 2]);
    expect(admission.waiting).toBe(1);
    admission.leave();
    await third;
    expect(entered).toEqual([1, 2, 3]);
  });

  it('stops waiting for a follower that has not moved for stalledMs', async () => {
    const { world, entered, enter } = setup({ stalledMs: 1_000 });
    world.followers = [100n, 50n];
    const held = enter(1);
    await settle();
    world.now = 999;
    await settle();
    expect(entered).toEqual([]);
    world.now = 1_000;
    await held;
    expect(entered).toEqual([1]);
  });

  it('never holds anything with maxLag 0', async () => {
    const { world, entered, enter } = setup({ maxLag: 0, maxCreating: 1 });
    world.followers = [0n, 0n];
    await Promise.all([enter(1), enter(2)]);
    expect(entered).toEqual([1, 2]);
  });
});

describe('the engine with admission', () => {
  const AT = '2026-01-01T00:00:00.000Z';
  const create = (caseId: string): CaseCommand => ({
    type: 'CreateCase',
    data: { caseId, workflow: { definition: exampleNets.approvalNet(), state: 'active' }, data: {}, at: AT },
  });

  it('holds a CreateCase while a follower lags, and never a command on a case that exists', async () => {
    const store = new MemoryEventStore();
    let follower = 0n;
    const engine = new Engine(
      store,
      new MemorySnapshotStore(),
      new ExecutorRegistry({ auto: autoExecutor, manual: manualExecutor }),
      { snapshotEvery: 500, admission: { maxLag: 5, followers: () => [follower], checkEveryMs: 1 } },
    );
    await engine.executeCase(create('c1'));
    expect(await store.headPosition()).toBeGreaterThan(5n);

    let c2Created = false;
    const c2 = engine.executeCase(create('c2')).then(() => void (c2Created = true));
    await settle();
    expect(c2Created).toBe(false);
    expect(engine.casesWaiting).toBe(1);
    expect(await store.readStream(caseStreamId('c2'))).toEqual([]);

    const started = await engine.executeCase({
      type: 'UpdateWorkitem',
      data: { caseId: 'c1', workitemId: 'c1:workitem-1', state: 'started', at: AT },
    });
    expect(started.state.workitems.get('c1:workitem-1')?.state).toBe('started');

    follower = await store.headPosition();
    await c2;
    expect(engine.casesWaiting).toBe(0);
    expect((await store.readStream(caseStreamId('c2'))).length).toBeGreaterThan(0);
  });
});
