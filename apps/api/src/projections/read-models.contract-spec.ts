import { beforeAll, describe, expect, it } from '@jest/globals';
import { NotFoundError, ValidationError } from '@wfnet/domain';
import type {
  Document,
  IncidentDocument,
  TimerDocument,
  TokenDocument,
  WorkitemDocument,
} from '@wfnet/projections';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { appendSimulated, simulateHistories } from '../bench/case-simulation.js';
import { ProjectionRunner } from './projection-runner.js';
import type { ReadModelDump } from './read-model-dump.js';
import { foldReadModels } from './read-model-dump.js';
import type { Page, PageRequest } from './read-models.js';
import { ReadModels } from './read-models.js';
import type { ReadStore } from './read-store.js';
import { appendIncidents, appendTimers, readEverything, timerDueAt } from './testing-spec.js';

/** Every page of a list, following `next` from the first. */
function allPages<T>(list: (page: PageRequest) => Page<T>, limit: number): { items: T[]; pages: number } {
  const items: T[] = [];
  let pages = 0;
  let after: string | undefined;
  do {
    const page = list({ limit, ...(after !== undefined && { after }) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    pages += 1;
    after = page.next ?? undefined;
    if (after !== undefined) expect(page.items).toHaveLength(limit);
  } while (after !== undefined);
  return { items, pages };
}

const withoutRevision = <D extends Document>({ lastRevision: _, ...rest }: D) => rest;

function matching<D extends Document>(docs: readonly Document[], filter: Record<string, string>): D[] {
  return (docs as unknown as D[]).filter((doc) =>
    Object.entries(filter).every(([k, v]) => (doc as unknown as Record<string, unknown>)[k] === v),
  );
}

/** The queries of the HTTP contract, run against a read store filled by a runner from simulated cases. */
export function describeReadModels(storeName: string, open: () => ReadStore): void {
  describe(`the read models in ${storeName}`, () => {
    let readModels: ReadModels;
    let store: ReadStore;
    let expected: ReadModelDump;

    beforeAll(async () => {
      const events = new MemoryEventStore();
      await appendSimulated(
        events,
        simulateHistories({ cases: 80, seed: 42, concurrency: 20, leaveOpen: 0.5 }),
      );
      await appendIncidents(events);
      await appendTimers(events);
      store = open();
      const recorded = await readEverything(events);
      new ProjectionRunner(events, store, { batchSize: 250 }).apply(recorded);
      readModels = new ReadModels(store);
      expected = foldReadModels(recorded);
    });

    const workitems = () => expected['workitems'] as WorkitemDocument[];
    const incidents = () => expected['incidents'] as IncidentDocument[];
    const caseIds = () => (expected['cases'] ?? []).map((c) => c.id);

    describe('by id', () => {
      it('answers a workflow with the fields of the contract', () => {
        expect(Object.keys(readModels.getWorkflow('sequential')).sort()).toEqual(
          [
            'arcs',
            'createdAt',
            'id',
            'metadata',
            'name',
            'places',
            'position',
            'state',
            'transitions',
            'updatedAt',
          ].sort(),
        );
        expect(readModels.getWorkflow('retired').state).toBe('discarded');
      });

      it('answers a case with the fields of the contract, and a marking that counts its free and locked tokens', () => {
        for (const caseId of caseIds()) {
          const found = readModels.getCase(caseId);
          expect(Object.keys(found).sort()).toEqual(
            [
              'createdAt',
              'id',
              'marking',
              'openIncidents',
              'position',
              'state',
              'updatedAt',
              'workflowId',
            ].sort(),
          );
          const counted: Record<string, number> = {};
          for (const token of readModels.getCaseTokens(caseId).items) {
            if (token.state !== 'consumed') counted[token.placeId] = (counted[token.placeId] ?? 0) + 1;
          }
          expect(found.marking).toEqual(counted);
        }
      });

      it('answers the token table of a case in issue order, starting with the genesis token', () => {
        const caseId = caseIds()[3] as string;
        const tokens = readModels.getCaseTokens(caseId).items;
        expect(tokens.map((t) => t.id)).toEqual(tokens.map((_, i) => `${caseId}:token-${i + 1}`));
        expect(tokens[0]).toMatchObject({
          producedByTaskId: 'genesis',
          lockedByTaskId: expect.anything() === null ? null : tokens[0]?.lockedByTaskId,
        });
        expect(Object.keys(tokens[0] ?? {}).sort()).toEqual(
          [
            'caseId',
            'consumedByTaskId',
            'createdAt',
            'id',
            'lockedByTaskId',
            'payload',
            'placeId',
            'position',
            'producedByTaskId',
            'state',
            'updatedAt',
          ].sort(),
        );
      });

      it('answers the tasks of a case in start order, without their tables', () => {
        const caseId = caseIds()[5] as string;
        const tasks = readModels.getCaseTasks(caseId);
        expect(tasks.map((t) => t.id)).toEqual(tasks.map((_, i) => `${caseId}:task-${i + 1}`));
        for (const task of tasks) {
          expect(task).toEqual(
            expect.objectContaining({
              id: task.id,
              transitionId: expect.any(String),
              state: expect.any(String),
            }),
          );
          expect(task).toHaveProperty('tokenPayload');
          expect(task).not.toHaveProperty('tokens');
        }
      });

      it('answers a task with its token table, places joined from the token table, and its workitem table', () => {
        for (const doc of (expected['tasks'] ?? []).slice(0, 100)) {
          const task = readModels.getTask(doc.id);
          expect(Object.keys(task).sort()).toEqual(
            [
              'abandonReason',
              'caseId',
              'createdAt',
              'id',
              'position',
              'state',
              'tokenPayload',
              'tokens',
              'transitionId',
              'updatedAt',
              'workitems',
            ].sort(),
          );
          const tokens = new Map(readModels.getCaseTokens(task.caseId).items.map((t) => [t.id, t]));
          for (const entry of task.tokens) {
            expect(Object.keys(entry).sort()).toEqual(['placeId', 'state', 'tokenId']);
            expect(entry.placeId).toBe(tokens.get(entry.tokenId)?.placeId);
          }
          for (const entry of task.workitems)
            expect(entry.state).toBe(readModels.getWorkitem(entry.workitemId).state);
        }
      });

      it('answers a workitem with the fields of the contract', () => {
        const first = workitems()[0] as WorkitemDocument;
        expect(readModels.getWorkitem(first.id)).toEqual(withoutRevision(first));
        expect(Object.keys(readModels.getWorkitem(first.id)).sort()).toEqual(
          [
            'caseId',
            'createdAt',
            'executor',
            'id',
            'output',
            'position',
            'state',
            'taskId',
            'transitionId',
            'updatedAt',
            'attempts',
            'lastError',
            'retryAt',
            'assigned',
            'candidateGroups',
            'candidateUsers',
            'assignee',
            'claimedBy',
            'completedBy',
          ].sort(),
        );
        expect(readModels.getWorkitem(first.id)).toMatchObject({
          attempts: 0,
          lastError: null,
          retryAt: null,
          assigned: false,
          candidateGroups: [],
          candidateUsers: [],
          assignee: null,
          claimedBy: null,
        });
      });

      it('answers an incident with the fields of the contract, open or resolved', () => {
        const open = incidents().find((i) => i.state === 'open') as IncidentDocument;
        const resolved = incidents().find((i) => i.state === 'resolved') as IncidentDocument;
        for (const doc of [open, resolved]) {
          expect(readModels.getIncident(doc.id)).toEqual(withoutRevision(doc));
          expect(Object.keys(readModels.getIncident(doc.id)).sort()).toEqual(
            [
              'caseId',
              'createdAt',
              'id',
              'kind',
              'message',
              'position',
              'resolution',
              'resolvedAt',
              'state',
              'taskId',
              'workitemId',
            ].sort(),
          );
        }
        expect(readModels.getIncident(open.id)).toMatchObject({ resolvedAt: null, resolution: null });
        expect(readModels.getIncident(resolved.id)).toMatchObject({
          resolvedAt: expect.any(String),
          resolution: { action: expect.any(String) },
        });
      });

      it('counts on each case the incidents the incident table has open for it', () => {
        for (const caseId of caseIds()) {
          const open = incidents().filter((i) => i.caseId === caseId && i.state === 'open').length;
          expect({ caseId, openIncidents: readModels.getCase(caseId).openIncidents }).toEqual({
            caseId,
            openIncidents: open,
          });
        }
        expect(incidents().some((i) => i.state === 'open')).toBe(true);
      });

      it.each([
        ['workflow', () => readModels.getWorkflow('nope')],
        ['case', () => readModels.getCase('nope')],
        ['case', () => readModels.getCaseTokens('nope')],
        ['case', () => readModels.getCaseTasks('nope')],
        ['task', () => readModels.getTask('nope:task-1')],
        ['workitem', () => readModels.getWorkitem('nope:workitem-1')],
        ['incident', () => readModels.getIncident('nope:incident-1')],
        ['case', () => readModels.timersOfCase('nope')],
      ])('answers not found for an unknown %s', (entity, query) => {
        expect(query).toThrow(NotFoundError);
        expect(query).toThrow(expect.objectContaining({ entity }));
      });
    });

    describe('lists', () => {
      const workitemFilters: Record<string, string>[] = [
        {},
        { state: 'started' },
        { state: 'created' },
        { caseId: 'c7' },
        { transitionId: 'b' },
        { executor: 'manual' },
        { state: 'completed', executor: 'auto' },
        { state: 'abandoned', transitionId: 'approve' },
        { transitionId: 'reject', executor: 'webhook' },
        { state: 'completed', caseId: 'c12' },
        { state: 'started', caseId: 'c76', transitionId: 'work-left', executor: 'manual' },
        { state: 'created', executor: 'nobody' },
      ];

      it.each(workitemFilters.map((f) => [JSON.stringify(f), f] as const))(
        'pages through the workitems %s in creation order, each exactly once',
        (_label, filter) => {
          const want = matching<WorkitemDocument>(workitems(), filter).map(withoutRevision);
          // The fixture is chosen so that every filter but the one naming no executor finds something.
          expect(want.length > 0).toBe(filter['executor'] !== 'nobody');
          for (const limit of [1, 7, 500]) {
            if (limit === 1 && want.length > 300) continue;
            const { items, pages } = allPages(
              (page) => readModels.listWorkitems({ ...filter, ...page }),
              limit,
            );
            expect(items).toEqual(want);
            expect(pages).toBe(Math.max(1, Math.ceil(want.length / limit)));
          }
        },
      );

      // Whether each filter finds something in the fixture; the first running case has one incident, open.
      const incidentFilters: [Record<string, string>, boolean][] = [
        [{}, true],
        [{ state: 'open' }, true],
        [{ state: 'resolved' }, true],
        [{ kind: 'timeout' }, true],
        [{ state: 'open', kind: 'condition_failed' }, true],
        [{ state: 'resolved', kind: 'executor_failed' }, true],
        [{ caseId: 'first-running' }, true],
        [{ caseId: 'first-running', state: 'resolved' }, false],
        [{ kind: 'executor_failed', caseId: 'no-such-case' }, false],
      ];

      it.each(incidentFilters.map(([f, finds]) => [JSON.stringify(f), f, finds] as const))(
        'pages through the incidents %s in creation order, each exactly once',
        (_label, given, finds) => {
          const first = incidents()[0]?.caseId;
          const filter = given['caseId'] === 'first-running' && first ? { ...given, caseId: first } : given;
          const want = matching<IncidentDocument>(incidents(), filter).map(withoutRevision);
          expect(want.length > 0).toBe(finds);
          for (const limit of [1, 4, 500]) {
            const { items, pages } = allPages(
              (page) => readModels.listIncidents({ ...filter, ...page }),
              limit,
            );
            expect(items).toEqual(want);
            expect(pages).toBe(Math.max(1, Math.ceil(want.length / limit)));
          }
        },
      );

      it.each<Record<string, string>>([
        {},
        { workflowId: 'approval' },
        { state: 'finished' },
        { workflowId: 'traffic-light', state: 'active' },
      ])('pages through the cases %j in creation order', (filter) => {
        const want = matching(expected['cases'] ?? [], filter).map((doc) => {
          const { lastRevision: _, unconsumed: __, ...rest } = doc as unknown as Record<string, unknown>;
          return rest;
        });
        expect(want.length).toBeGreaterThan(0);
        expect(allPages((page) => readModels.listCases({ ...filter, ...page }), 9).items).toEqual(want);
      });

      it.each<Record<string, string>>([
        {},
        { workflowId: 'approval' },
        { state: 'finished' },
        { workflowId: 'traffic-light', state: 'active' },
      ])('pages through the cases %j newest first, and counts them', (filter) => {
        const want = matching(expected['cases'] ?? [], filter).map((doc) => {
          const { lastRevision: _, unconsumed: __, ...rest } = doc as unknown as Record<string, unknown>;
          return rest;
        });
        expect(want.length).toBeGreaterThan(1);
        for (const limit of [1, 4, 500]) {
          const newestFirst = allPages(
            (page) => readModels.listCases({ ...filter, ...page, order: 'desc' }),
            limit,
          );
          expect(newestFirst.items).toEqual([...want].reverse());
          expect(newestFirst.pages).toBe(Math.ceil(want.length / limit));
        }
        expect(readModels.listCases({ ...filter, limit: 1, total: true })).toMatchObject({
          total: want.length,
        });
        expect(readModels.listCases({ ...filter, limit: 1, order: 'desc', total: true })).toMatchObject({
          total: want.length,
        });
        expect(readModels.listCases({ ...filter, limit: 1 })).not.toHaveProperty('total');
      });

      it('counts no cases for a filter nothing matches', () => {
        expect(readModels.listCases({ workflowId: 'none', total: true })).toEqual({
          items: [],
          next: null,
          total: 0,
        });
      });

      it('refuses a cursor of one order in the other', () => {
        const oldest = readModels.listCases({ limit: 1 }).next as string;
        const newest = readModels.listCases({ limit: 1, order: 'desc' }).next as string;
        expect(() => readModels.listCases({ after: oldest, order: 'desc' })).toThrow(ValidationError);
        expect(() => readModels.listCases({ after: newest })).toThrow(ValidationError);
      });

      it.each([
        ['a few items', 2_000],
        ['one item, however large', 1],
      ])(
        'stops a page once its items pass the byte bound (%s), the pages after holding the rest',
        (_what, maxPageBytes) => {
          const bounded = new ReadModels(store, maxPageBytes);
          const want = matching<WorkitemDocument>(workitems(), {}).map(withoutRevision);
          const items: unknown[] = [];
          let pages = 0;
          let after: string | undefined;
          do {
            const page = bounded.listWorkitems({ limit: 500, ...(after !== undefined && { after }) });
            expect(page.items.length).toBeGreaterThan(0);
            const bytes = page.items.reduce<number>((sum, item) => sum + JSON.stringify(item).length, 0);
            if (page.items.length > 1) expect(bytes).toBeLessThanOrEqual(maxPageBytes);
            items.push(...page.items);
            pages += 1;
            after = page.next ?? undefined;
          } while (after !== undefined);
          expect(items).toEqual(want);
          expect(pages).toBeGreaterThan(want.length / 500);
          if (maxPageBytes === 1) expect(pages).toBe(want.length);
        },
      );

      it('pages through the workflows, by state too', () => {
        expect(allPages((page) => readModels.listWorkflows(page), 2).items.map((w) => w.id)).toEqual([
          'sequential',
          'approval',
          'parallel',
          'traffic-light',
          'retired',
        ]);
        expect(readModels.listWorkflows({ state: 'discarded' }).items.map((w) => w.id)).toEqual(['retired']);
      });

      it('answers 100 items when no limit is given', () => {
        expect(readModels.listWorkitems().items).toHaveLength(Math.min(100, workitems().length));
      });

      it('answers an empty last page for a filter nothing matches', () => {
        expect(readModels.listCases({ workflowId: 'none' })).toEqual({ items: [], next: null });
      });

      it.each([0, 501, 2.5, -1])('refuses the limit %p', (limit) => {
        expect(() => readModels.listWorkitems({ limit })).toThrow(
          expect.objectContaining({
            code: 'validation_failed',
            details: [expect.objectContaining({ path: 'limit' })],
          }),
        );
      });

      it('refuses a cursor that is not one of the list', () => {
        const next = readModels.listCases({ limit: 1 }).next as string;
        expect(() => readModels.listWorkitems({ after: next })).toThrow(ValidationError);
        expect(() => readModels.listWorkitems({ after: 'garbage' })).toThrow(
          expect.objectContaining({
            details: [expect.objectContaining({ path: 'after' })],
          }),
        );
      });
    });

    describe('timers', () => {
      const timers = () => (expected['timers'] ?? []) as TimerDocument[];
      const byDueThenId = (a: TimerDocument, b: TimerDocument): number =>
        a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      const pendingInOrder = () =>
        timers()
          .filter((t) => t.state === 'pending')
          .sort(byDueThenId);

      it('has pending, fired and cancelled timers, some due at the same instant', () => {
        const states = new Set(timers().map((t) => t.state));
        expect([...states].sort()).toEqual(['cancelled', 'fired', 'pending']);
        const pending = pendingInOrder();
        expect(new Set(pending.map((t) => t.dueAt)).size).toBeLessThan(pending.length);
      });

      it('lists a case’s timers in the order they were scheduled, whatever their state', () => {
        for (const caseId of new Set(timers().map((t) => t.caseId))) {
          const want = timers()
            .filter((t) => t.caseId === caseId)
            .map(withoutRevision);
          expect(readModels.timersOfCase(caseId)).toEqual(want);
          expect(want.map((t) => t.id)).toEqual(want.map((_, i) => `${caseId}:timer-${i + 1}`));
        }
      });

      it('lists no timers for a case that has none', () => {
        const none = caseIds().find((id) => !timers().some((t) => t.caseId === id)) as string;
        expect(readModels.timersOfCase(none)).toEqual([]);
      });

      it.each([
        ['before the first', '2026-02-28T23:59:59.999Z', 500],
        ['at the first', timerDueAt(0), 500],
        ['at an instant some share', timerDueAt(3), 500],
        ['at an instant some share, a few at a time', timerDueAt(3), 4],
        ['after the last', '2027-01-01T00:00:00.000Z', 500],
        ['after the last, one at a time', '2027-01-01T00:00:00.000Z', 1],
        ['after the last, none wanted', '2027-01-01T00:00:00.000Z', 0],
      ])(
        'answers the pending timers due %s (%s, limit %p) earliest first, ties by id',
        (_label, at, limit) => {
          const want = pendingInOrder()
            .filter((t) => t.dueAt <= at)
            .slice(0, limit)
            .map(withoutRevision);
          const due = readModels.dueTimers(at, limit);
          expect(due).toEqual(want);
          expect(due.length > 0).toBe(limit > 0 && at >= timerDueAt(0));
        },
      );

      it('answers when the earliest pending timer is due', () => {
        expect(readModels.nextTimerDue()).toBe(pendingInOrder()[0]?.dueAt);
        expect(readModels.nextTimerDue()).toEqual(expect.any(String));
      });
    });

    it('keeps a token table whose tokens belong to the cases that issued them', () => {
      for (const token of expected['tokens'] as TokenDocument[])
        expect(token.id.startsWith(`${token.caseId}:`)).toBe(true);
    });
  });
}
