import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { CaseData, CaseEvent, CaseState, WorkflowDefinition } from '@wfnet/domain';
import { caseStreamId, decideCase, foldCase, foldCaseWithEnded, initialCaseState } from '@wfnet/domain';
import type { TimedPick } from '@wfnet/domain/testing';
import {
  arbitraryCaseHistory,
  arbitraryCommandPicks,
  arbitraryDecisionNet,
  arbitraryTimedCommandPicks,
  arbitraryTimedNet,
  fakeTiming,
  isDomainRefusal,
  pickTimes,
  resolvePick,
  runPicks,
  stepTime,
} from '@wfnet/domain/testing';
import { casesView } from './cases/cases-view.js';
import { projectEvents } from './core/view.js';
import { incidentsView } from './incidents/incidents-view.js';
import { recordStream } from './fixtures.js';
import { tasksView } from './tasks/tasks-view.js';
import { timersView } from './timers/timers-view.js';
import { tokensView } from './tokens/tokens-view.js';
import { workitemsView } from './workitems/workitems-view.js';

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

/** What the read models say about a case, next to what the case decider's own fold (keeping what ended) says. */
function compare(events: readonly CaseEvent[]) {
  const state = foldCaseWithEnded(initialCaseState(), events) as CaseData;
  const recorded = recordStream(caseStreamId(state.caseId), events);
  return {
    state,
    cases: projectEvents(casesView, recorded),
    tokens: projectEvents(tokensView, recorded),
    tasks: projectEvents(tasksView, recorded),
    workitems: projectEvents(workitemsView, recorded),
    incidents: projectEvents(incidentsView, recorded),
    timers: projectEvents(timersView, recorded),
  };
}

/** Every read model of the case's history says what the case decider's own fold says. */
function expectAgreement(events: readonly CaseEvent[]): void {
  const { state, cases, tokens, tasks, workitems, incidents, timers } = compare(events);

  const marking: Record<string, number> = {};
  for (const token of state.tokens.values()) {
    if (token.state !== 'consumed') marking[token.placeId] = (marking[token.placeId] ?? 0) + 1;
  }
  expect(cases.get(state.caseId)).toMatchObject({
    workflowId: state.workflowId,
    state: state.status,
    marking,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    lastRevision: events.length - 1,
    openIncidents: state.incidents.size,
  });

  // The domain keeps the open incidents; the table keeps every one, the resolved ones marked so.
  expect(incidents.size).toBe(state.counts.incidents);
  expect(sorted([...incidents.values()].filter((i) => i.state === 'open').map((i) => i.id))).toEqual(
    sorted(state.incidents.keys()),
  );
  for (const { id, kind, taskId, workitemId, message, createdAt } of state.incidents.values()) {
    expect(incidents.get(id)).toMatchObject({
      caseId: state.caseId,
      kind,
      taskId,
      workitemId,
      message,
      createdAt,
    });
  }

  // The domain keeps the pending timers; the table keeps every one scheduled, with how it ended.
  expect(timers.size).toBe(state.counts.timers);
  expect(sorted([...timers.values()].filter((t) => t.state === 'pending').map((t) => t.id))).toEqual(
    sorted(state.timers.keys()),
  );
  for (const { id, kind, dueAt, taskId, workitemId } of state.timers.values()) {
    expect(timers.get(id)).toMatchObject({ caseId: state.caseId, kind, dueAt, taskId, workitemId });
  }

  expect(sorted(tokens.keys())).toEqual(sorted(state.tokens.keys()));
  for (const token of state.tokens.values()) {
    const {
      id,
      placeId,
      state: tokenState,
      payload,
      producedByTaskId,
      lockedByTaskId,
      consumedByTaskId,
    } = token;
    expect(tokens.get(id)).toMatchObject({
      placeId,
      state: tokenState,
      payload,
      producedByTaskId,
      lockedByTaskId,
      consumedByTaskId,
      caseId: state.caseId,
    });
  }

  expect(sorted(workitems.keys())).toEqual(sorted(state.workitems.keys()));
  for (const {
    id,
    taskId,
    transitionId,
    executor,
    state: workitemState,
    output,
  } of state.workitems.values()) {
    const failed = state.attempts.get(id);
    expect(workitems.get(id)).toMatchObject({
      taskId,
      transitionId,
      executor,
      state: workitemState,
      output,
      attempts: failed?.attempts ?? 0,
      lastError: failed?.lastError ?? null,
      retryAt: failed?.retryAt ?? null,
    });
  }

  expect(sorted(tasks.keys())).toEqual(sorted(state.tasks.keys()));
  for (const task of state.tasks.values()) {
    const doc = tasks.get(task.id);
    expect(doc).toMatchObject({
      transitionId: task.transitionId,
      state: task.state,
      tokenPayload: task.tokenPayload,
      abandonReason: task.abandonReason,
    });
    const entries = doc?.tokens ?? [];
    // The domain keeps what the task holds; the table also keeps what it lost, marked as such.
    expect(sorted(entries.filter((t) => t.state !== 'discarded').map((t) => t.tokenId))).toEqual(
      sorted(task.offered),
    );
    expect(
      sorted(entries.filter((t) => t.state === 'locked' || t.state === 'consumed').map((t) => t.tokenId)),
    ).toEqual(sorted(task.locked));
    expect(doc?.workitems.map((w) => w.workitemId)).toEqual(task.workitemIds);
    for (const entry of doc?.workitems ?? []) {
      expect(entry.state).toBe(state.workitems.get(entry.workitemId)?.state);
    }
  }
}

/** A case of `definition` run with the test Timing through timed picks: the events of the commands accepted. */
function runTimedPicks(definition: WorkflowDefinition, picks: readonly TimedPick[]): CaseEvent[] {
  const options = { timing: fakeTiming() };
  const times = pickTimes(picks);
  const events: CaseEvent[] = [
    ...decideCase(
      {
        type: 'CreateCase',
        data: { caseId: 'c1', workflow: { definition, state: 'active' }, data: { n: 1 }, at: stepTime(0) },
      },
      initialCaseState(),
      options,
    ),
  ];
  let state: CaseState = foldCase(initialCaseState(), events);
  let full: CaseState = foldCaseWithEnded(initialCaseState(), events);
  picks.forEach(({ pick }, i) => {
    if (state.status !== 'active' || full.status === 'none') return;
    try {
      const decided = decideCase(resolvePick(full, pick, times[i] as string), state, options);
      state = foldCase(state, decided);
      full = foldCaseWithEnded(full, decided);
      events.push(...decided);
    } catch (error) {
      if (!isDomainRefusal(error)) throw error;
    }
  });
  return events;
}

describe('the read models of any case history the domain can record', () => {
  it('agree with the case decider’s own fold, entity by entity', () => {
    fc.assert(
      fc.property(arbitraryCaseHistory({ maxCommands: 40 }), ({ events }) => expectAgreement(events)),
      { numRuns: 300 },
    );
  });

  it('agree with it on nets that decide, whose incidents are raised and resolved', () => {
    let incidents = 0;
    fc.assert(
      fc.property(arbitraryDecisionNet(), arbitraryCommandPicks(40), (definition, picks) => {
        const { events } = runPicks(definition, picks);
        incidents += events.filter((e) => e.type === 'IncidentRaised').length;
        expectAgreement(events);
      }),
      { numRuns: 200 },
    );
    expect(incidents).toBeGreaterThan(0);
  });

  it('agree with it on nets with timers, timeouts and retries, at random clock advances', () => {
    const seen = { fired: 0, cancelled: 0, failed: 0 };
    fc.assert(
      fc.property(arbitraryTimedNet(), arbitraryTimedCommandPicks(40), (definition, picks) => {
        const events = runTimedPicks(definition, picks);
        seen.fired += events.filter((e) => e.type === 'TimerFired').length;
        seen.cancelled += events.filter((e) => e.type === 'TimerCancelled').length;
        seen.failed += events.filter((e) => e.type === 'WorkitemFailed').length;
        expectAgreement(events);
      }),
      { numRuns: 200 },
    );
    expect(seen.fired).toBeGreaterThan(0);
    expect(seen.cancelled).toBeGreaterThan(0);
    expect(seen.failed).toBeGreaterThan(0);
  });
});
