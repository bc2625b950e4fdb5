import { afterAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TimerDocument, WorkitemDocument } from '@wfnet/projections';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';
import { describeReadModels } from './read-models.contract-spec.js';
import { describeWorkitemPeople } from './workitem-people.contract-spec.js';
import { ReadModels } from './read-models.js';
import type { DocumentWrite } from './read-store.js';
import { SqliteReadStore } from './sqlite-read-store.js';
import { READ_MODEL_VERSION, readModelTables } from './tables.js';

const dir = mkdtempSync(join(tmpdir(), 'wfnet-read-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = (): string => join(dir, `read-${++files}.db`);

describeReadModels('SQLite', () => SqliteReadStore.open(freshFile()));
describeWorkitemPeople('SQLite', () => SqliteReadStore.open(freshFile()));

const STATES = ['created', 'started', 'completed', 'abandoned'] as const;
const EXECUTORS = ['auto', 'manual', 'webhook'] as const;

function workitem(n: number): WorkitemDocument {
  return {
    id: `c${n >> 2}:workitem-${(n & 3) + 1}`,
    lastRevision: n & 15,
    position: String(n + 1),
    caseId: `c${n >> 2}`,
    taskId: `c${n >> 2}:task-${(n & 3) + 1}`,
    transitionId: `t${n % 40}`,
    executor: EXECUTORS[n % 3] as string,
    state: STATES[(n * 7) % 4] as WorkitemDocument['state'],
    output: n % 5 === 0 ? { n } : null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    attempts: 0,
    lastError: null,
    retryAt: null,
    assigned: false,
    candidateGroups: [],
    candidateUsers: [],
    assignee: null,
    claimedBy: null,
    completedBy: null,
  };
}

const created = (doc: WorkitemDocument): DocumentWrite => ({ table: 'workitems', doc, created: true });

describe('the SQLite read store', () => {
  it('keeps documents and checkpoint across a reopen', () => {
    const file = freshFile();
    const first = SqliteReadStore.open(file);
    first.commit([created(workitem(1))], 2n ** 60n);
    first.close();
    const again = SqliteReadStore.open(file);
    expect(again.checkpoint()).toBe(2n ** 60n);
    expect(again.get('workitems', workitem(1).id)).toEqual(workitem(1));
    again.close();
  });

  it('refuses a second writer of the same read models until the first closes', () => {
    const file = freshFile();
    const first = SqliteReadStore.open(file);
    expect(() => SqliteReadStore.open(file)).toThrow(/already kept by another process/);
    first.close();
    const second = SqliteReadStore.open(file);
    expect(second.checkpoint()).toBe(0n);
    second.close();
  });

  it('refuses a second writer that opens the same read models through a symbolic link', () => {
    const file = freshFile();
    const first = SqliteReadStore.open(file);
    const link = join(dir, `link-${files}.db`);
    symlinkSync(file, link);
    expect(() => SqliteReadStore.open(link)).toThrow(/already kept by another process/);
    first.close();
  });

  it('drops every table and starts over at 0 when it finds another version', () => {
    const file = freshFile();
    const first = SqliteReadStore.open(file, { version: 1 });
    first.commit([created(workitem(1))], 9n);
    first.close();
    const same = SqliteReadStore.open(file, { version: 1 });
    expect(same.checkpoint()).toBe(9n);
    same.close();
    const next = SqliteReadStore.open(file, { version: 2 });
    expect(next.checkpoint()).toBe(0n);
    expect(next.get('workitems', workitem(1).id)).toBeUndefined();
    next.close();
  });

  it('writes a commit all or nothing', () => {
    const store = SqliteReadStore.open(freshFile());
    store.commit([created(workitem(1))], 5n);
    const completed: WorkitemDocument = { ...workitem(1), state: 'completed' };
    const neverCreated: WorkitemDocument = { ...workitem(2), state: 'started' };
    expect(() =>
      store.commit(
        [
          { table: 'workitems', doc: completed, created: false },
          { table: 'workitems', doc: neverCreated, created: false },
        ],
        6n,
      ),
    ).toThrow(/updated before it was created/);
    expect(store.checkpoint()).toBe(5n);
    expect(store.get<WorkitemDocument>('workitems', workitem(1).id)?.state).toBe(workitem(1).state);
    store.close();
  });

  it('shares a file with the embedded event store, whose tables a reset leaves alone', async () => {
    const file = freshFile();
    const events = SqliteEventStore.open(file);
    await events.append(
      'case-x',
      [{ id: '0190a0a0-0000-7000-8000-000000000001', type: 'Noted', data: {} }],
      'no_stream',
    );
    const store = SqliteReadStore.open(file);
    store.commit([created(workitem(3))], 1n);
    await events.append(
      'case-x',
      [{ id: '0190a0a0-0000-7000-8000-000000000002', type: 'Noted', data: {} }],
      0n,
    );
    store.reset();
    expect(store.checkpoint()).toBe(0n);
    expect(store.get('workitems', workitem(3).id)).toBeUndefined();
    expect(await events.headPosition()).toBe(2n);
    expect(await events.readStream('case-x')).toHaveLength(2);
    store.close();
    await events.close();
  });

  describe('the checkpoints of the store’s followers', () => {
    it('keeps each follower’s checkpoint across a reopen, beside the read models’ own', async () => {
      const file = freshFile();
      const first = SqliteReadStore.open(file);
      first.commit([created(workitem(1))], 7n);
      await first.save('dispatcher', 5n);
      first.close();

      const again = SqliteReadStore.open(file);
      expect([again.checkpoint(), await again.load('read-models'), await again.load('dispatcher')]).toEqual([
        7n,
        7n,
        5n,
      ]);
      expect(await again.load('timers')).toBeUndefined();
      again.close();
    });

    it('sets only the read models’ checkpoint back when they are reset or found at another version', async () => {
      const file = freshFile();
      const first = SqliteReadStore.open(file, { version: 1 });
      first.commit([created(workitem(1))], 9n);
      await first.save('dispatcher', 8n);
      first.reset();
      expect([first.checkpoint(), await first.load('dispatcher')]).toEqual([0n, 8n]);
      first.commit([created(workitem(1))], 9n);
      first.close();

      const next = SqliteReadStore.open(file, { version: 2 });
      expect([next.checkpoint(), await next.load('dispatcher')]).toEqual([0n, 8n]);
      next.close();
    });

    it('takes over the checkpoints of a file written when the read models kept theirs apart', async () => {
      const file = freshFile();
      const old = new Database(file);
      old.exec(`
        CREATE TABLE rm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO rm_meta (key, value) VALUES ('version', '${READ_MODEL_VERSION}');
        CREATE TABLE rm_checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL);
        INSERT INTO rm_checkpoint (id, position) VALUES (1, 12);
        CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
        INSERT INTO checkpoints (name, position) VALUES ('dispatcher', 10);
      `);
      old.close();

      const store = SqliteReadStore.open(file);
      expect([store.checkpoint(), await store.load('dispatcher')]).toEqual([12n, 10n]);
      store.close();
      const reopened = new Database(file);
      const tables = reopened
        .prepare<[], string>("SELECT name FROM sqlite_master WHERE name = 'rm_checkpoint'")
        .pluck()
        .all();
      reopened.close();
      expect(tables).toEqual([]);
    });
  });

  describe('given many workitems', () => {
    const ROWS = 30_000;
    const store = SqliteReadStore.open(freshFile());
    const docs = Array.from({ length: ROWS }, (_, n) => workitem(n));
    for (let i = 0; i < ROWS; i += 5000) store.commit(docs.slice(i, i + 5000).map(created), BigInt(i + 5000));
    const readModels = new ReadModels(store);
    afterAll(() => store.close());

    const filters: Record<string, string>[] = [
      {},
      { state: 'started' },
      { caseId: 'c1234' },
      { transitionId: 't7' },
      { executor: 'webhook' },
      { state: 'completed', executor: 'manual' },
      { state: 'abandoned', transitionId: 't13' },
      { transitionId: 't8', executor: 'webhook' },
      { state: 'created', caseId: 'c10' },
      { state: 'created', transitionId: 't0', executor: 'auto' },
      { state: 'started', caseId: 'c7', transitionId: 't29', executor: 'webhook' },
    ];

    it.each(filters.map((f) => [JSON.stringify(f), f] as const))(
      'pages through %s exactly once each, in creation order',
      (_label, filter) => {
        const want = docs.filter((d) =>
          Object.entries(filter).every(([k, v]) => (d as unknown as Record<string, unknown>)[k] === v),
        );
        const seen: string[] = [];
        let after: string | undefined;
        do {
          const page = readModels.listWorkitems({
            ...filter,
            limit: 500,
            ...(after !== undefined && { after }),
          });
          seen.push(...page.items.map((w) => w.id));
          after = page.next ?? undefined;
        } while (after !== undefined);
        expect(seen).toEqual(want.map((d) => d.id));
      },
    );

    it.each(
      filters
        .filter((f) => Object.keys(f).length > 0)
        .map((f) => [Object.keys(f).join('+'), Object.keys(f)] as const),
    )('seeks an index for a filter on %s and never sorts', (_label, columns) => {
      const plan = store.explainList('workitems', columns).join(' | ');
      expect(plan).toMatch(/USING (COVERING )?INDEX rm_workitems_by_/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    });

    it.each(
      readModelTables.flatMap((t) =>
        t.indexes.map((index) => [`${t.name} by ${index.join('+')}`, t.name, index] as const),
      ),
    )('uses its own index for a list of %s', (_label, table, index) => {
      const plan = store.explainList(table, index).join(' | ');
      expect(plan).toContain(`rm_${table}_by_`);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    });

    it.each([[], ['workflowId'], ['state'], ['workflowId', 'state']])(
      'lists the cases by %j newest first and counts them on an index, never sorting or reading documents',
      (...columns) => {
        const newestFirst = store.explainList('cases', columns, true).join(' | ');
        expect(newestFirst).not.toMatch(/TEMP B-TREE/);
        if (columns.length > 0) expect(newestFirst).toContain('rm_cases_by_');
        const count = store.explainCount('cases', columns).join(' | ');
        expect(count).toMatch(/USING COVERING INDEX rm_cases_by_/);
      },
    );
  });
});

describe('the SQLite due-timer index', () => {
  const TIMERS = 50_000;
  const store = SqliteReadStore.open(freshFile());
  const second = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n % 600)).toISOString();
  const timer = (n: number): TimerDocument => ({
    id: `c${n}:timer-1`,
    lastRevision: 1,
    position: String(n + 1),
    caseId: `c${n}`,
    kind: 'executor',
    dueAt: second(n),
    state: n % 4 === 3 ? 'fired' : 'pending',
    taskId: `c${n}:task-1`,
    workitemId: `c${n}:workitem-1`,
    scheduledAt: '2026-01-01T00:00:00.000Z',
    firedAt: n % 4 === 3 ? second(n) : null,
    cancelledAt: null,
  });
  const docs = Array.from({ length: TIMERS }, (_, n) => timer(n));
  for (let i = 0; i < TIMERS; i += 5000) {
    store.commit(
      docs.slice(i, i + 5000).map((doc) => ({ table: 'timers', doc, created: true })),
      BigInt(i + 5000),
    );
  }
  const readModels = new ReadModels(store);
  afterAll(() => store.close());

  it('seeks the pending timers in due order on the index, without sorting', () => {
    const plan = store.explainOrdered('timers', ['state'], 'dueAt').join(' | ');
    expect(plan).toMatch(/USING INDEX rm_timers_by_state_due_at_id/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  it('answers the first due timers of many, earliest first, ties by id', () => {
    const at = second(59);
    const want = docs
      .filter((d) => d.state === 'pending' && d.dueAt <= at)
      .sort((a, b) => (a.dueAt === b.dueAt ? (a.id < b.id ? -1 : 1) : a.dueAt < b.dueAt ? -1 : 1))
      .slice(0, 256)
      .map((d) => d.id);
    expect(want).toHaveLength(256);
    expect(readModels.dueTimers(at, 256).map((t) => t.id)).toEqual(want);
    expect(readModels.nextTimerDue()).toBe(second(0));
  });
});
