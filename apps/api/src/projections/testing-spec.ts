import { v7 } from 'uuid';
import type { CaseEvent, EventStore, IncidentResolution, RecordedEvent, TimerKind } from '@wfnet/domain';
import { caseStreamId } from '@wfnet/domain';
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
