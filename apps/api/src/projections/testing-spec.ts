import { v7 } from 'uuid';
import type {
  Actor,
  CaseCommand,
  CaseEvent,
  CaseState,
  EventStore,
  IncidentResolution,
  RecordedEvent,
  TimerKind,
} from '@wfnet/domain';
import { caseStreamId, decideCase, foldCase, initialCaseState, normalizeWorkflow } from '@wfnet/domain';
import type { CaseDocument } from '@wfnet/projections';
import { foldReadModels } from './read-model-dump.js';
import type { DocumentWrite } from './read-store.js';
import { DelegatingReadStore } from './read-store.js';

// Helpers shared by the projection tests (not a test file itself: the `-spec` suffix keeps it out of the build).

/** Every event of a store, in position order. */
export async function readEverything(store: EventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: events[events.length - 1]?.position ?? 0n, maxCount: 5000 });
    if (page.length === 0) return events;
    events.push(...page);
  }
}

/** A read store that counts what it is asked to write and can be told to fail its next commits. */
export class ObservedReadStore extends DelegatingReadStore {
  writes = 0;
  commits = 0;
  failNextCommits = 0;

  override commit(writes: readonly DocumentWrite[], checkpoint: bigint): void {
    if (this.failNextCommits > 0) {
      this.failNextCommits -= 1;
      throw new Error('disk I/O error (injected)');
    }
    this.inner.commit(writes, checkpoint);
    this.commits += 1;
    this.writes += writes.length;
  }
}

/** Resolves once `check` holds, polling; fails after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const INCIDENT_KINDS = ['condition_failed', 'executor_failed', 'timeout'] as const;
const RESOLUTIONS: readonly IncidentResolution[] = [
  { action: 'retry' },
  { action: 'route', placeIds: ['b'] },
  { action: 'complete', output: { done: true } },
  { action: 'abandon' },
];

/**
 * One to three incidents on each of the first twelve running cases, some of them resolved: the simulated
 * nets decide nothing and their executors never fail, so the incidents are appended as the decider would.
 * Answers the position of the last one.
 */
export async function appendIncidents(events: EventStore): Promise<bigint> {
  const cases = (foldReadModels(await readEverything(events))['cases'] ?? []) as CaseDocument[];
  const running = cases.filter((c) => c.state === 'active').slice(0, 12);
  let minute = 0;
  let head = 0n;
  const at = () => new Date(Date.UTC(2026, 1, 1, 0, minute++)).toISOString();
  for (const [index, { id: caseId }] of running.entries()) {
    const appended: CaseEvent[] = [];
    for (let n = 1; n <= (index % 3) + 1; n++) {
      const incidentId = `${caseId}:incident-${n}`;
      appended.push({
        type: 'IncidentRaised',
        data: {
          caseId,
          incidentId,
          kind: INCIDENT_KINDS[(index + n) % 3] as (typeof INCIDENT_KINDS)[number],
          taskId: `${caseId}:task-${n}`,
          workitemId: n % 2 === 1 ? `${caseId}:workitem-${n}` : null,
          message: `incident ${n} of ${caseId}`,
          at: at(),
        },
      });
      if ((index + 2 * n) % 3 === 0) {
        appended.push({
          type: 'IncidentResolved',
          data: { caseId, incidentId, resolution: RESOLUTIONS[index % 4] as IncidentResolution, at: at() },
        });
      }
    }
    ({ position: head } = await events.append(
      caseStreamId(caseId),
      appended.map((e) => ({ id: v7(), type: e.type, data: e.data })),
      'any',
    ));
  }
  return head;
}

const TIMER_KINDS: readonly TimerKind[] = [
  'executor',
  'scheduleToStart',
  'startToClose',
  'scheduleToClose',
  'retry',
];

/** The due time of the n-th timer: ten instants a minute apart, so that many timers share one. */
export const timerDueAt = (n: number): string =>
  new Date(Date.UTC(2026, 2, 1, 0, (n * 7) % 10)).toISOString();

/**
 * Two to five timers on each of the first twenty running cases (the case's own one first), as the
 * decider would schedule them; every third one fired and every fifth one cancelled. Due times repeat
 * across cases, so that an order by due time needs its ties broken. Answers the position of the last.
 */
export async function appendTimers(events: EventStore): Promise<bigint> {
  const cases = (foldReadModels(await readEverything(events))['cases'] ?? []) as CaseDocument[];
  const running = cases.filter((c) => c.state === 'active').slice(0, 20);
  let n = 0;
  let head = 0n;
  const at = '2026-02-28T00:00:00.000Z';
  for (const [index, { id: caseId }] of running.entries()) {
    const appended: CaseEvent[] = [];
    for (let i = 1; i <= (index % 4) + 2; i++) {
      const timerId = `${caseId}:timer-${i}`;
      const kind: TimerKind = i === 1 ? 'case' : (TIMER_KINDS[(index + i) % TIMER_KINDS.length] as TimerKind);
      const owned = kind !== 'case';
      appended.push({
        type: 'TimerScheduled',
        data: {
          caseId,
          timerId,
          kind,
          dueAt: timerDueAt(n),
          taskId: owned ? `${caseId}:task-${i}` : null,
          workitemId: owned ? `${caseId}:workitem-${i}` : null,
          at,
        },
      });
      if (n % 3 === 2) {
        appended.push({
          type: 'TimerFired',
          data: {
            caseId,
            timerId,
            kind,
            workitemId: owned ? `${caseId}:workitem-${i}` : null,
            at: timerDueAt(n),
          },
        });
      } else if (n % 5 === 4) {
        appended.push({ type: 'TimerCancelled', data: { caseId, timerId, at } });
      }
      n += 1;
    }
    ({ position: head } = await events.append(
      caseStreamId(caseId),
      appended.map((e) => ({ id: v7(), type: e.type, data: e.data })),
      'any',
    ));
  }
  return head;
}

const PEOPLE = ['ann', 'bob', 'cy', 'dan'] as const;
const PEOPLE_GROUPS = ['staff', 'managers', 'finance'] as const;

/** A small seeded generator (mulberry32): the same seed, the same people's work. */
function seeded(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

/**
 * `cases` cases of a two-step net worked by people: its second step assigned to some users and groups (or
 * to no one), each of its workitems claimed, released, taken over by an admin, completed or abandoned at
 * random by the case decider, some left open. A few are recorded as an assignee expression naming a user
 * would have them (the decider would need a condition language to evaluate one). The cases' commands are
 * appended in turns, one command's events at a time, with `between` after each turn. Answers the position
 * of the last event.
 */
export async function appendPeopleWork(
  events: EventStore,
  { cases, seed, between }: { cases: number; seed: number; between?: (head: bigint) => Promise<void> },
): Promise<bigint> {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[random(items.length)] as T;
  const some = <T>(items: readonly T[]): T[] => items.filter(() => random(2) === 0);
  const histories: CaseEvent[][][] = [];
  for (let n = 0; n < cases; n++) {
    const caseId = `p${seed}-${n}`;
    const assignment =
      random(4) === 0 ? undefined : { candidateUsers: some(PEOPLE), candidateGroups: some(PEOPLE_GROUPS) };
    const definition = normalizeWorkflow({
      id: 'two-steps',
      places: [{ id: 'start', type: 'start' }, { id: 'submitted' }, { id: 'end', type: 'end' }],
      transitions: [
        { id: 'submit', executor: 'manual' },
        { id: 'approve', executor: 'manual', ...(assignment && { assignment }) },
      ],
      arcs: [
        { from: 'start', to: 'submit' },
        { from: 'submit', to: 'submitted' },
        { from: 'submitted', to: 'approve' },
        { from: 'approve', to: 'end' },
      ],
    });
    const assignee = random(3) === 0 ? pick(PEOPLE) : undefined;
    let state: CaseState = initialCaseState();
    const steps: CaseEvent[][] = [];
    const run = (command: CaseCommand): void => {
      let decided: readonly CaseEvent[];
      try {
        decided = decideCase(command, state);
      } catch {
        return;
      }
      state = foldCase(state, decided);
      steps.push(
        decided.map((event) =>
          event.type === 'WorkitemCreated' && event.data.assignment && assignee !== undefined
            ? { ...event, data: { ...event.data, assignment: { ...event.data.assignment, assignee } } }
            : event,
        ),
      );
    };
    const at = (minute: number) => new Date(Date.UTC(2026, 3, 1, 0, minute)).toISOString();
    run({
      type: 'CreateCase',
      data: { caseId, workflow: { definition, state: 'active' }, data: {}, at: at(0) },
    });
    for (let minute = 1; minute <= 12 && state.status === 'active'; minute++) {
      const open = [...state.workitems.values()];
      if (open.length === 0 || random(8) === 0) break;
      const workitemId = pick(open).id;
      const actor: Actor =
        random(6) === 0
          ? { user: 'root', groups: [], admin: true }
          : { user: pick(PEOPLE), groups: some(PEOPLE_GROUPS), admin: false };
      const data = { caseId, workitemId, actor, at: at(minute) };
      const kind = random(10);
      if (kind < 4) run({ type: 'ClaimWorkitem', data });
      else if (kind < 7) run({ type: 'ReleaseWorkitem', data });
      else if (kind < 9) run({ type: 'CompleteWorkitem', data: { ...data, output: null } });
      else run({ type: 'AbandonWorkitem', data });
    }
    histories.push(steps);
  }
  let head = 0n;
  for (let turn = 0; histories.some((steps) => steps.length > turn); turn++) {
    for (const [n, steps] of histories.entries()) {
      const step = steps[turn];
      if (step === undefined || step.length === 0) continue;
      ({ position: head } = await events.append(
        caseStreamId(`p${seed}-${n}`),
        step.map((e) => ({ id: v7(), type: e.type, data: e.data })),
        'any',
      ));
    }
    await between?.(head);
  }
  return head;
}
