import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Document, WorkitemDocument } from '@wfnet/projections';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';
import { MemoryReadStore } from './memory-read-store.js';
import { ProjectionRunner } from './projection-runner.js';
import { dumpReadModels } from './read-model-dump.js';
import type { Candidate } from './read-models.js';
import { ReadModels, mayWork } from './read-models.js';
import type { ListQuery, ListedRow, ReadStore } from './read-store.js';
import { DelegatingReadStore } from './read-store.js';
import { SqliteReadStore } from './sqlite-read-store.js';
import { appendPeopleWork } from './testing-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'wfnet-candidates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = (): string => join(dir, `store-${++files}.db`);

const USERS = ['ann', 'bob', 'cy', 'dan'] as const;
const GROUPS = ['staff', 'managers', 'finance', 'auditors'] as const;
const STATES = ['created', 'started', 'completed', 'abandoned'] as const;

interface People {
  readonly state: WorkitemDocument['state'];
  readonly claimedBy: string | null;
  readonly assigned: boolean;
  readonly candidateUsers: readonly string[];
  readonly candidateGroups: readonly string[];
  readonly assignee: string | null;
}

function workitem(n: number, people: People): WorkitemDocument {
  return {
    id: `c${n % 7}:workitem-${n}`,
    lastRevision: n,
    position: String(n + 1),
    caseId: `c${n % 7}`,
    taskId: `c${n % 7}:task-${n}`,
    transitionId: `t${n % 3}`,
    executor: 'manual',
    output: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    attempts: 0,
    lastError: null,
    retryAt: null,
    completedBy: null,
    ...people,
  };
}

const people: fc.Arbitrary<People> = fc.record({
  state: fc.constantFrom(...STATES),
  claimedBy: fc.option(fc.constantFrom(...USERS), { freq: 3 }),
  assigned: fc.boolean(),
  candidateUsers: fc.uniqueArray(fc.constantFrom(...USERS), { maxLength: 2 }),
  candidateGroups: fc.uniqueArray(fc.constantFrom(...GROUPS), { maxLength: 2 }),
  assignee: fc.option(fc.constantFrom(...USERS), { freq: 3 }),
});

/** Records the list queries that reach the store, so a test can ask SQLite for the plan of one. */
class RecordingReadStore extends DelegatingReadStore {
  readonly queries: ListQuery[] = [];

  override list<D extends Document>(table: string, query: ListQuery): ListedRow<D>[] {
    this.queries.push(query);
    return super.list<D>(table, query);
  }
}

/** Every page of a candidate's list, `limit` at a time, as ids. */
function candidateList(models: ReadModels, candidate: Candidate, limit: number, state?: string): string[] {
  const ids: string[] = [];
  let after: string | undefined;
  do {
    const page = models.listWorkitems({
      candidate,
      limit,
      ...(state !== undefined && { state }),
      ...(after !== undefined && { after }),
    });
    ids.push(...page.items.map((w) => w.id));
    after = page.next ?? undefined;
  } while (after !== undefined);
  return ids;
}

describe('?candidate=me on the candidate tags', () => {
  describe('given 20,000 open workitems, most of them for groups the caller is in', () => {
    const store = SqliteReadStore.open(freshFile());
    const recorder = new RecordingReadStore(store);
    const models = new ReadModels(recorder);
    const docs = Array.from({ length: 20_000 }, (_, n) =>
      workitem(n, {
        state: n % 10 === 9 ? 'completed' : 'started',
        claimedBy: n % 5 === 0 ? (USERS[n % 4] as string) : null,
        assigned: n % 3 !== 0,
        candidateUsers: [],
        candidateGroups: [GROUPS[n % 4] as string],
        assignee: null,
      }),
    );
    for (let i = 0; i < docs.length; i += 5000) {
      store.commit(
        docs.slice(i, i + 5000).map((doc) => ({ table: 'workitems', doc, created: true })),
        BigInt(i + 5000),
      );
    }
    afterAll(() => store.close());

    /** The plan SQLite picks for the list a candidate read asks of the store. */
    const planOf = (candidate: Candidate): string => {
      recorder.queries.length = 0;
      models.listWorkitems({ candidate, limit: 50 });
      const [query] = recorder.queries;
      return store.explainQuery('workitems', query!).join(' | ');
    };

    it('seeks each of the caller’s tags on the tag index and reads no workitem it does not list', () => {
      const plan = planOf({ user: 'ann', groups: ['staff', 'managers', 'finance'] });
      expect(plan).toMatch(/SEARCH t USING COVERING INDEX rm_workitems_tags_by_tag \(tag=\? AND seq>\?\)/);
      expect(plan).toMatch(/SEARCH d USING INTEGER PRIMARY KEY \(rowid=\?\)/);
      // Neither a scan nor a walk of the whole table in rowid order from the cursor on.
      expect(plan).not.toMatch(/SCAN (d|rm_workitems)\b|rowid>\?/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    });

    it('seeks the tags of a caller in very many groups on the tag index too', () => {
      const groups = Array.from({ length: 100 }, (_, i) => `group-${i}`);
      const plan = planOf({ user: 'ann', groups: [...groups, 'staff'] });
      expect(plan).toMatch(/rm_workitems_tags_by_tag \(tag=\?\)/);
      expect(plan).toMatch(/SEARCH rm_workitems USING INTEGER PRIMARY KEY \(rowid=\?\)/);
      expect(plan).not.toMatch(/SCAN (d|rm_workitems)\b/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    });

    it.each<[string, Candidate]>([
      ['in three groups', { user: 'ann', groups: ['staff', 'managers', 'finance'] }],
      ['in no group', { user: 'dan', groups: [] }],
      [
        'in very many groups',
        { user: 'bob', groups: [...Array.from({ length: 80 }, (_, i) => `g${i}`), 'auditors'] },
      ],
    ])('lists for a caller %s what the rule gives, in creation order, page by page', (_label, candidate) => {
      const want = docs.filter((doc) => mayWork(doc, candidate)).map((doc) => doc.id);
      expect(want.length).toBeGreaterThan(1000);
      expect(candidateList(models, candidate, 500)).toEqual(want);
    });
  });

  it('answers in SQLite what it answers in memory, and what the rule gives, for any workitems and callers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(people, fc.option(people, { freq: 2 })), { minLength: 1, maxLength: 60 }),
        fc.array(
          fc.record({
            user: fc.constantFrom(...USERS, 'eve'),
            groups: fc.uniqueArray(fc.constantFrom(...GROUPS, 'nobody')),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 1, max: 7 }),
        (lives, callers, limit) => {
          const memory = new MemoryReadStore();
          const sqlite = SqliteReadStore.open(':memory:');
          const stores: readonly ReadStore[] = [memory, sqlite];
          // Each workitem is created, then some change (a claim, a release, an end) in a later commit.
          const created = lives.map(([first], n) => workitem(n, first));
          const changed = lives.flatMap(([first, then], n) =>
            then === null ? [] : [{ doc: workitem(n, then), previous: workitem(n, first) }],
          );
          for (const store of stores) {
            store.commit(
              created.map((doc) => ({ table: 'workitems', doc, created: true })),
              1n,
            );
            store.commit(
              changed.map(({ doc, previous }, i) => ({
                table: 'workitems',
                doc,
                created: false,
                ...(i % 2 === 0 && { previous }),
              })),
              2n,
            );
          }
          const now = (dumpReadModels(memory)['workitems'] ?? []) as WorkitemDocument[];
          expect(sqlite.taggedRows('workitems')).toEqual(memory.taggedRows('workitems'));
          const newestFirst = { filter: {}, tagged: ['*', 'g:staff', 'c:ann'], descending: true };
          expect(sqlite.list('workitems', newestFirst)).toEqual(memory.list('workitems', newestFirst));
          for (const candidate of callers) {
            const want = now.filter((doc) => mayWork(doc, candidate)).map((doc) => doc.id);
            for (const store of stores) {
              expect(candidateList(new ReadModels(store), candidate, limit)).toEqual(want);
              expect(candidateList(new ReadModels(store), candidate, limit, 'created')).toEqual(
                now.filter((doc) => doc.state === 'created' && mayWork(doc, candidate)).map((doc) => doc.id),
              );
            }
          }
          sqlite.close();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('holds the same tags after a rebuild as it kept following the events live', async () => {
    const file = freshFile();
    const events = SqliteEventStore.open(file, { synchronous: 'normal' });
    const readStore = SqliteReadStore.open(file);
    const runner = new ProjectionRunner(events, readStore, { batchSize: 7 });
    await runner.start();
    await appendPeopleWork(events, { cases: 60, seed: 31, between: (head) => runner.waitFor(head) });
    const live = readStore.taggedRows('workitems');
    const open = (dumpReadModels(readStore)['workitems'] ?? []) as WorkitemDocument[];
    expect(live.length).toBeGreaterThan(20);
    // The history holds claimed, unclaimed, assigned and ended workitems.
    expect(new Set(live.map(({ tag }) => tag.slice(0, 2)))).toEqual(new Set(['*', 'u:', 'g:', 'a:', 'c:']));
    expect(open.some((w) => w.state === 'completed')).toBe(true);

    await runner.rebuild();
    expect(readStore.taggedRows('workitems')).toEqual(live);
    await runner.stop();
    await new ProjectionRunner(events, readStore, {
      parallelReplay: { minEvents: 0, threads: 2, rangeSize: 40 },
    }).rebuild();
    expect(readStore.taggedRows('workitems')).toEqual(live);
    readStore.close();

    const memory = new MemoryReadStore();
    await new ProjectionRunner(events, memory).rebuild();
    expect(memory.taggedRows('workitems')).toEqual(live);
    await events.close();
  }, 60_000);
});
