import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '@wfnet/domain';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlakyWebhook } from '../apps/api/src/soak/flaky-webhook.js';
import { sequenceNet, webhookNet } from '../apps/api/src/soak/matrix-nets.js';
import type { Answer } from '../apps/api/src/soak/service-process.js';
import { call, killServices, spawnService, startService } from '../apps/api/src/soak/service-process.js';
import { readEverything } from '../apps/api/src/soak/store-files.js';

// The built service as a child process on a SQLite file, killed with SIGKILL at 20 different instants
// while work is in flight, and started again on the same file each time. `npm test` builds it first.

const ROUNDS = 20;
const dir = mkdtempSync(join(tmpdir(), 'wfnet-restore-'));
afterAll(() => {
  killServices();
  rmSync(dir, { recursive: true, force: true });
});

// ---- the nets ----

const autoNet = sequenceNet(
  'auto4',
  ['a1', 'a2', 'a3', 'a4'].map((id) => ({ id, executor: 'auto', executorParams: { output: id } })),
);
const manualNet = sequenceNet('manual2', [
  { id: 'm1', executor: 'manual' },
  { id: 'm2', executor: 'manual' },
]);
// ---- the fold of the store: every case, checked event by event ----

type TokenState = 'free' | 'locked' | 'consumed';

interface CaseFold {
  readonly id: string;
  readonly workflowId: string;
  status: 'active' | 'finished' | 'terminated';
  finished: number;
  completedTasks: number;
  readonly tokens: Map<string, { placeId: string; state: TokenState; by: string | null }>;
  readonly tasks: Map<string, { transitionId: string; state: string }>;
  readonly workitems: Map<string, { taskId: string; transitionId: string; state: string }>;
}

const LIVE = new Set(['started', 'allocated', 'executing']);

class StoreFold {
  readonly cases = new Map<string, CaseFold>();
  readonly violations: string[] = [];
  position = 0n;

  apply(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      this.position = event.position;
      if (event.streamId.startsWith('case-')) this.applyCase(event);
    }
  }

  private fail(caseId: string, event: RecordedEvent, why: string): void {
    this.violations.push(`case ${caseId}, ${event.type} at revision ${event.revision}: ${why}`);
  }

  private applyCase(event: RecordedEvent): void {
    const data = event.data as {
      caseId: string;
      workflowId: string;
      taskId: string;
      transitionId: string;
      workitemId: string;
      state: string;
      tokenIds: string[];
      tokens: { id: string; placeId: string }[];
    };
    if (event.type === 'CaseCreated') {
      if (this.cases.has(data.caseId)) this.fail(data.caseId, event, 'the case was created twice');
      this.cases.set(data.caseId, {
        id: data.caseId,
        workflowId: data.workflowId,
        status: 'active',
        finished: 0,
        completedTasks: 0,
        tokens: new Map(),
        tasks: new Map(),
        workitems: new Map(),
      });
      return;
    }
    const fold = this.cases.get(data.caseId);
    if (!fold) return this.fail(data.caseId, event, 'an event before CaseCreated');
    const token = (id: string) => {
      const found = fold.tokens.get(id);
      if (!found) this.fail(fold.id, event, `token ${id} was never issued`);
      return found;
    };
    switch (event.type) {
      case 'TokensIssued':
        for (const { id, placeId } of data.tokens) {
          if (fold.tokens.has(id)) this.fail(fold.id, event, `token ${id} was issued twice`);
          fold.tokens.set(id, { placeId, state: 'free', by: null });
        }
        break;
      case 'TaskStarted': {
        const rival = [...fold.tasks.values()].find(
          (t) => t.transitionId === data.transitionId && LIVE.has(t.state),
        );
        if (rival) this.fail(fold.id, event, `a second live task of ${data.transitionId}`);
        fold.tasks.set(data.taskId, { transitionId: data.transitionId, state: 'started' });
        break;
      }
      case 'TaskAllocated':
        fold.tasks.get(data.taskId)!.state = 'allocated';
        break;
      case 'WorkitemCreated':
        if ([...fold.workitems.values()].some((w) => w.taskId === data.taskId))
          this.fail(fold.id, event, `a second workitem for task ${data.taskId}`);
        fold.workitems.set(data.workitemId, {
          taskId: data.taskId,
          transitionId: data.transitionId,
          state: 'created',
        });
        break;
      case 'WorkitemUpdated': {
        const workitem = fold.workitems.get(data.workitemId)!;
        if (workitem.state === 'completed' || workitem.state === 'abandoned')
          this.fail(fold.id, event, `workitem ${data.workitemId} changed after it ended`);
        if (data.state === 'abandoned')
          this.fail(fold.id, event, `workitem ${data.workitemId} was abandoned`);
        workitem.state = data.state;
        break;
      }
      case 'TokensLocked':
        for (const id of data.tokenIds) {
          const t = token(id);
          if (t && t.state !== 'free') this.fail(fold.id, event, `token ${id} locked while ${t.state}`);
          if (t) Object.assign(t, { state: 'locked', by: data.taskId });
        }
        fold.tasks.get(data.taskId)!.state = 'executing';
        break;
      case 'TokensUnlocked':
        for (const id of data.tokenIds) {
          const t = token(id);
          if (t && (t.state !== 'locked' || t.by !== data.taskId))
            this.fail(fold.id, event, `token ${id} unlocked while ${t.state}`);
          if (t) Object.assign(t, { state: 'free', by: null });
        }
        break;
      case 'TokensConsumed':
        for (const id of data.tokenIds) {
          const t = token(id);
          const ok =
            data.taskId === 'termination'
              ? t?.state === 'free'
              : t?.state === 'locked' && t.by === data.taskId;
          if (t && !ok) this.fail(fold.id, event, `token ${id} consumed by ${data.taskId} while ${t.state}`);
          if (t) Object.assign(t, { state: 'consumed', by: data.taskId });
        }
        break;
      case 'TaskCompleted':
        fold.tasks.get(data.taskId)!.state = 'completed';
        fold.completedTasks++;
        break;
      case 'TaskAbandoned':
        fold.tasks.get(data.taskId)!.state = 'abandoned';
        this.fail(fold.id, event, `task ${data.taskId} was abandoned`);
        break;
      case 'CaseFinished':
        fold.finished++;
        if (fold.finished > 1) this.fail(fold.id, event, 'the case finished twice');
        fold.status = 'finished';
        break;
      case 'CaseTerminated':
        fold.status = 'terminated';
        break;
    }
  }

  /** Conservation in a sequential net: one token while active, none after; one termination per finish. */
  conservation(): string[] {
    const broken: string[] = [];
    for (const fold of this.cases.values()) {
      const tokens = [...fold.tokens.values()];
      const open = tokens.filter((t) => t.state !== 'consumed').length;
      const byTermination = tokens.filter((t) => t.by === 'termination').length;
      const wanted = fold.status === 'active' ? 1 : 0;
      if (open !== wanted) broken.push(`case ${fold.id} (${fold.status}) has ${open} unconsumed tokens`);
      if (byTermination !== (fold.status === 'finished' ? 1 : 0))
        broken.push(`case ${fold.id} (${fold.status}) has ${byTermination} tokens consumed by termination`);
      if (tokens.length !== 1 + fold.completedTasks)
        broken.push(
          `case ${fold.id}: ${tokens.length} tokens issued for ${fold.completedTasks} completed tasks`,
        );
    }
    return broken;
  }
}

/** How far a manual case has got: 0 m1 waits, 1 m1 holds its lock, 2 m2 waits, 3 finished. */
function manualPhase(fold: CaseFold): number {
  if (fold.status === 'finished') return 3;
  const m1 = [...fold.workitems.values()].find((w) => w.transitionId === 'm1');
  if (m1?.state === 'completed') return 2;
  const m1Task = m1 && fold.tasks.get(m1.taskId);
  return m1Task?.state === 'executing' ? 1 : 0;
}

/** Whether a manual case's waiting step still waits: its one workitem open, its token where it should be. */
function manualWaits(fold: CaseFold, phase: number): boolean {
  const open = [...fold.workitems.values()].filter((w) => w.state === 'created' || w.state === 'started');
  const tokens = [...fold.tokens.values()].filter((t) => t.state !== 'consumed');
  if (phase === 3) return open.length === 0 && tokens.length === 0;
  const step = phase < 2 ? 'm1' : 'm2';
  const place = phase < 2 ? 'start' : 'p1';
  const state = phase === 1 ? 'locked' : 'free';
  return (
    open.length === 1 &&
    open[0]!.transitionId === step &&
    tokens.length === 1 &&
    tokens[0]!.placeId === place &&
    tokens[0]!.state === state
  );
}

// ---- the load: what the clients were told ----

interface Manual {
  /** The last phase a 2xx answer confirmed. */
  acked: number;
  /** A step asked for but never answered (the kill came first): the case may be one phase further. */
  unanswered: boolean;
  busy: boolean;
}

class Load {
  readonly created = new Set<string>();
  readonly unansweredCreations = new Set<string>();
  readonly manual = new Map<string, Manual>();
  readonly unexpected: string[] = [];
  inFlightAtKill = 0;
  private inFlight = 0;
  private next = 0;

  constructor(private readonly round: number) {}

  /** Sends requests from `workers` clients until `stopped()`; each 2xx is remembered as acknowledged. */
  async run(base: string, manual: Map<string, Manual>, stopped: () => boolean, workers = 3): Promise<void> {
    const worker = async (): Promise<void> => {
      while (!stopped()) {
        if (!(await this.step(base, manual))) return;
        await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 8));
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
  }

  markKill(): void {
    this.inFlightAtKill = this.inFlight;
  }

  /** One request; false once the service is gone. */
  private async step(base: string, manual: Map<string, Manual>): Promise<boolean> {
    const pick = Math.random();
    const ready = [...manual.entries()].filter(([, m]) => !m.busy && !m.unanswered && m.acked < 3);
    if (pick < 0.3 && ready.length > 0) {
      const [caseId, m] = ready[Math.floor(Math.random() * ready.length)]!;
      const request =
        m.acked === 0
          ? ['POST', `/workitems/${caseId}:workitem-1/preexecute`]
          : m.acked === 1
            ? ['POST', `/workitems/${caseId}:workitem-1/complete`, { output: 'm1' }]
            : ['POST', `/workitems/${caseId}:workitem-2/complete`, { output: 'm2' }];
      m.busy = true;
      const answer = await this.send(base, request[0] as string, request[1] as string, request[2]);
      m.busy = false;
      if (answer === undefined) m.unanswered = true;
      else if (answer.status === 200) m.acked++;
      return answer !== undefined;
    }
    const workflowId = pick < 0.6 ? 'auto4' : pick < 0.8 ? 'manual2' : 'hook';
    const caseId = `r${this.round}-${workflowId}-${this.next++}`;
    const answer = await this.send(base, 'POST', '/cases', { workflowId, id: caseId, data: { caseId } });
    if (answer === undefined) this.unansweredCreations.add(caseId);
    else if (answer.status === 201) {
      this.created.add(caseId);
      if (workflowId === 'manual2') manual.set(caseId, { acked: 0, unanswered: false, busy: false });
    }
    return answer !== undefined;
  }

  /** A request's answer, or undefined when the connection died with the service. */
  private async send(
    base: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Answer | undefined> {
    this.inFlight++;
    try {
      const answer = await call(base, method, path, body);
      if (answer.status >= 300)
        this.unexpected.push(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer;
    } catch {
      return undefined;
    } finally {
      this.inFlight--;
    }
  }
}

// ---- the tests ----

/** Fails twice (HTTP 500) for each workitem before it completes it; on `/held` for as long as `holding`. */
const webhook = new FlakyWebhook(() => 2);
beforeAll(() => webhook.start());
afterAll(() => webhook.stop());

/** Polls the case histories over HTTP until each of `caseIds` has finished; answers those that have not. */
async function awaitFinished(
  base: string,
  caseIds: readonly string[],
  timeoutMs = 15_000,
): Promise<string[]> {
  let waiting = [...caseIds];
  const deadline = Date.now() + timeoutMs;
  while (waiting.length > 0 && Date.now() < deadline) {
    const still: string[] = [];
    for (const caseId of waiting) {
      const history = await call(base, 'GET', `/cases/${caseId}/events`);
      if (!(history.body as { type: string }[]).some((e) => e.type === 'CaseFinished')) still.push(caseId);
    }
    waiting = still;
    if (waiting.length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return waiting;
}

describe('the service killed with SIGKILL and started again on the same file', () => {
  it(`loses nothing acknowledged, duplicates no token and resumes all work (${ROUNDS} kill instants)`, async () => {
    const file = join(dir, 'restore.db');
    const fold = new StoreFold();
    const manual = new Map<string, Manual>();
    const created = new Set<string>();
    const rounds: {
      killAfterMs: number;
      acked: number;
      inFlight: number;
      autoMidFlight: number;
      hooksPending: number;
      manualWaiting: number;
      foldMs: number;
      startMs: number;
    }[] = [];
    const problems: string[] = [];

    let service = await startService(file);
    for (const net of [autoNet, manualNet, webhookNet(webhook.url, 'hook')]) {
      expect((await call(service.base, 'POST', '/workflows', net)).status).toBe(201);
    }

    // The cases in flight at the last kill, finishing in the restarted service while the next load runs.
    let settling: Promise<string[]> = Promise.resolve([]);
    for (let round = 0; round < ROUNDS; round++) {
      // 20 different instants spread over 50–550 ms after the load begins (later if the restart's
      // leftovers are still finishing: they must finish before the next kill).
      const plannedMs = 50 + round * 25 + Math.floor(Math.random() * 25);
      const load = new Load(round);
      let dead = false;
      const began = Date.now();
      const loadDone = load.run(service.base, manual, () => dead);
      const [stalled] = await Promise.all([
        settling,
        new Promise((resolve) => setTimeout(resolve, plannedMs)),
      ]);
      problems.push(
        ...stalled.map((id) => `round ${round - 1}: case ${id} did not finish after the restart`),
      );
      const killAfterMs = Date.now() - began;
      load.markKill();
      service.child.kill('SIGKILL');
      const exit = await service.exited;
      dead = true;
      await loadDone;
      expect(exit.signal).toBe('SIGKILL');

      // The store as the kill left it.
      const foldBegan = Date.now();
      fold.apply(await readEverything(file, fold.position));
      const foldMs = Date.now() - foldBegan;
      for (const id of load.created) created.add(id);
      problems.push(...load.unexpected.map((u) => `round ${round}: ${u}`));
      for (const id of created)
        if (!fold.cases.has(id)) problems.push(`round ${round}: acknowledged case ${id} is lost`);
      for (const [id, m] of manual) {
        const found = fold.cases.get(id);
        if (!found) continue;
        const phase = manualPhase(found);
        if (phase < m.acked || phase > m.acked + (m.unanswered ? 1 : 0))
          problems.push(`round ${round}: manual case ${id} is at phase ${phase}, acknowledged ${m.acked}`);
        else if (!manualWaits(found, phase))
          problems.push(`round ${round}: manual case ${id} no longer waits at phase ${phase}`);
        Object.assign(m, { acked: phase, unanswered: false });
      }
      // Cases whose creation was never answered but reached the store are work like any other.
      for (const id of load.unansweredCreations) {
        const found = fold.cases.get(id);
        if (found?.workflowId === 'manual2' && !manual.has(id))
          manual.set(id, { acked: manualPhase(found), unanswered: false, busy: false });
      }
      problems.push(...fold.violations.splice(0).map((v) => `round ${round}: ${v}`));
      problems.push(...fold.conservation().map((v) => `round ${round}: ${v}`));

      const unfinished = (workflowId: string) =>
        [...fold.cases.values()]
          .filter((c) => c.workflowId === workflowId && c.status === 'active')
          .map((c) => c.id);
      const autoMidFlight = unfinished('auto4');
      const hooksPending = unfinished('hook');
      rounds.push({
        killAfterMs,
        acked: load.created.size,
        inFlight: load.inFlightAtKill,
        autoMidFlight: autoMidFlight.length,
        hooksPending: hooksPending.length,
        manualWaiting: [...manual.values()].filter((m) => m.acked < 3).length,
        foldMs,
        startMs: 0,
      });

      expect(problems).toEqual([]);
      // Started again: what was in flight finishes, exactly once (checked in the store at the next kill).
      const startBegan = Date.now();
      service = await startService(file);
      rounds.at(-1)!.startMs = Date.now() - startBegan;
      settling = awaitFinished(service.base, [...autoMidFlight, ...hooksPending]);
    }

    // The last start: what the last kill left in flight has finished; stop gracefully and check the
    // whole store once more (no load ran in this process, so nothing else is in flight).
    problems.push(...(await settling).map((id) => `case ${id} did not finish after the last restart`));
    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    fold.apply(await readEverything(file, fold.position));
    problems.push(...fold.violations, ...fold.conservation());
    for (const c of fold.cases.values()) {
      if (c.workflowId !== 'manual2' && c.finished !== 1)
        problems.push(`case ${c.id} finished ${c.finished} times`);
      if (c.workflowId === 'hook') {
        const [w] = [...c.workitems.values()];
        const workitemId = [...c.workitems.keys()][0]!;
        if (w?.state !== 'completed' || (webhook.calls.get(workitemId) ?? 0) < 3)
          problems.push(
            `hook case ${c.id}: workitem ${w?.state} after ${webhook.calls.get(workitemId)} calls`,
          );
      }
      const m = manual.get(c.id);
      if (m && (manualPhase(c) !== m.acked || !manualWaits(c, m.acked)))
        problems.push(`manual case ${c.id} moved from phase ${m.acked} to ${manualPhase(c)} while waiting`);
    }
    for (const id of created) if (!fold.cases.has(id)) problems.push(`acknowledged case ${id} is lost`);

    console.info(
      `restore test: ${rounds.filter((_, i) => !problems.some((p) => p.startsWith(`round ${i}:`))).length}/${ROUNDS} ` +
        `kill instants clean; ${created.size} cases acknowledged; per round ` +
        rounds
          .map(
            (r) =>
              `killed after ${r.killAfterMs} ms: ${r.acked} acked, ${r.inFlight} unanswered, ${r.autoMidFlight} auto mid-flight, ` +
              `${r.hooksPending} hooks pending (store read in ${r.foldMs} ms, restart in ${r.startMs} ms)`,
          )
          .join('; '),
    );
    expect(problems).toEqual([]);
    // The kills must have caught work in flight, or the test proves nothing.
    expect(rounds.filter((r) => r.inFlight > 0).length).toBeGreaterThanOrEqual(3);
    expect(rounds.filter((r) => r.autoMidFlight + r.hooksPending > 0).length).toBeGreaterThan(ROUNDS / 2);
    expect(rounds.at(-1)!.manualWaiting).toBeGreaterThan(0);
    expect([...manual.values()].filter((m) => m.acked === 1).length).toBeGreaterThan(0);
    // 20 restarts: 90 s on a quiet machine, and more than twice that beside other heavy work, as the crash matrices.
  }, 600_000);
});

describe('stopping and starting the built service', () => {
  it('on SIGTERM finishes the requests under way, ends live event streams, exits 0, and resumes webhook retries at the next start', async () => {
    const file = join(dir, 'graceful.db');
    let service = await startService(file);
    expect((await call(service.base, 'POST', '/workflows', manualNet)).status).toBe(201);
    expect((await call(service.base, 'POST', '/workflows', webhookNet(webhook.heldUrl, 'held'))).status).toBe(
      201,
    );
    expect(
      (await call(service.base, 'POST', '/cases', { workflowId: 'manual2', id: 'watched' })).status,
    ).toBe(201);
    expect((await call(service.base, 'POST', '/cases', { workflowId: 'held', id: 'retrying' })).status).toBe(
      201,
    );
    const deadline = Date.now() + 10_000;
    while ((webhook.calls.get('retrying:workitem-1') ?? 0) < 2) {
      if (Date.now() > deadline) throw new Error('the webhook was not called twice');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const stream = await fetch(`${service.base}/cases/watched/events/stream`);
    const reader = stream.body!.getReader();
    expect((await reader.read()).done).toBe(false);

    const answers = Array.from({ length: 20 }, (_, i) =>
      call(service.base, 'POST', '/cases', { workflowId: 'manual2', id: `late-${i}` }).catch(() => undefined),
    );
    await Promise.race(answers);
    service.child.kill('SIGTERM');

    const killer = setTimeout(() => service.child.kill('SIGKILL'), 10_000);
    const exit = await service.exited;
    clearTimeout(killer);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(() => process.kill(service.child.pid!, 0)).toThrow();
    for (let read = await reader.read(); !read.done; read = await reader.read());

    const settled = await Promise.all(answers);
    const acked = settled.flatMap((a, i) => (a ? [[a.status, `late-${i}`] as const] : []));
    expect(acked.length).toBeGreaterThan(0);
    expect(acked.filter(([status]) => status !== 201)).toEqual([]);
    const events = await readEverything(file);
    const stored = new Set(events.filter((e) => e.type === 'CaseCreated').map((e) => e.streamId));
    expect(acked.filter(([, id]) => !stored.has(`case-${id}`))).toEqual([]);
    expect(events.filter((e) => e.streamId === 'case-retrying').map((e) => e.type)).not.toContain(
      'WorkitemUpdated',
    );

    webhook.holding = false;
    service = await startService(file);
    expect(await awaitFinished(service.base, ['retrying'])).toEqual([]);
    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
  }, 40_000);

  it.each([
    ['PORT=abc', { PORT: 'abc' }, /^wfnet: PORT must be an integer from 0 to 65535, got "abc"$/],
    [
      'WFNET_EVENT_STORE=bogus',
      { WFNET_EVENT_STORE: 'bogus' },
      /^wfnet: WFNET_EVENT_STORE=bogus is not an event store/,
    ],
  ])(
    'refuses to start with %s: a non-zero exit and one clear line, no stack trace',
    async (_, settings, message) => {
      const started = spawnService({ WFNET_EVENT_STORE: `sqlite:${join(dir, 'never.db')}`, ...settings });
      const exit = await started.exited;
      const output = started.output().trim();

      expect(exit.code).not.toBe(0);
      expect(exit.code).not.toBeNull();
      expect(output.split('\n')).toHaveLength(1);
      expect(output).toMatch(message);
      expect(output).not.toMatch(/\bat .+:\d+:\d+/);
    },
    15_000,
  );
});
