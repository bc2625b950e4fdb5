import { afterAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { chmodSync, linkSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { StoreUnavailableError } from '@wfnet/domain';
import { v7 } from 'uuid';
import { openEventStore } from '../apps/api/src/stores/store-kinds.js';
import { DECODE_BUDGET } from '../apps/api/src/event-store/recent-events.js';
import { SqliteEventStore } from '../apps/api/src/event-store/sqlite-event-store.js';
import { StartupError } from '../apps/api/src/startup-error.js';
import { eventStoreContract } from './event-store.contract.js';
import { runWriter } from './sqlite-tool.js';

const dir = mkdtempSync(join(tmpdir(), 'wfnet-sqlite-'));
let files = 0;
const newFile = (): string => join(dir, `store-${++files}.db`);
const events = (count: number) =>
  Array.from({ length: count }, (_, n) => ({ id: v7(), type: 'Counted', data: { n } }));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['full', 'normal'] as const)('SqliteEventStore (synchronous=%s)', (synchronous) => {
  eventStoreContract({
    open: () => Promise.resolve(SqliteEventStore.open(newFile(), { synchronous })),
    openAtPosition: (firstPosition) =>
      Promise.resolve(SqliteEventStore.open(newFile(), { synchronous, firstPosition })),
  });

  it(`runs the connection at synchronous=${synchronous}`, async () => {
    const store = SqliteEventStore.open(newFile(), { synchronous });
    expect(store.synchronous).toBe(synchronous);
    await store.close();
  });
});

describe('SqliteEventStore on its file', () => {
  it('syncs FULL unless told otherwise', async () => {
    const store = SqliteEventStore.open(newFile());
    expect(store.synchronous).toBe('full');
    await store.close();
  });

  it('reopens a file with its events and goes on from its last revision and position', async () => {
    const file = newFile();
    const first = SqliteEventStore.open(file);
    const written = await first.append('case-1', events(3), 'no_stream');
    await first.close();

    const second = SqliteEventStore.open(file);
    const next = await second.append('case-1', events(1), 2n);

    expect((await second.readStream('case-1')).map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
    expect(next.position).toBe(written.position + 1n);
    await second.close();
  });

  it('never hands out a position twice, even after the last events were removed', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    const before = await store.append('case-1', events(3), 'no_stream');
    await store.close();
    const raw = new Database(file);
    raw.exec('DELETE FROM events; DELETE FROM streams');
    raw.close();

    const reopened = SqliteEventStore.open(file);
    const after = await reopened.append('case-2', events(1), 'no_stream');

    expect(after.position).toBeGreaterThan(before.position);
    await reopened.close();
  });

  it('writes appends made in the same turn in one transaction', async () => {
    const store = SqliteEventStore.open(newFile());

    await Promise.all(
      Array.from({ length: 64 }, (_, i) => store.append(`case-${i}`, events(30), 'no_stream')),
    );

    expect(store.stats).toEqual({ transactions: 1, appends: 64 });
    await store.close();
  });

  it('hands large events committed together to a follower a few per round of the event loop, every one of them', async () => {
    const store = SqliteEventStore.open(newFile());
    // Each one a third of what one round decodes: at most three a round.
    const large = Array.from({ length: 9 }, (_, n) => ({
      id: v7(),
      type: 'Large',
      data: { n, text: 'x'.repeat(DECODE_BUDGET / 3) },
    }));
    await store.append('case-large', large, 'no_stream');

    const pages: number[][] = [];
    for await (const page of store.subscribe().pages!()) {
      pages.push(page.map((event) => (event.data as { n: number }).n));
      if (pages.flat().length === large.length) break;
    }
    expect(pages.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect((await store.readStream('case-large')).map((event) => event.data)).toEqual(
      large.map((event) => event.data),
    );
    await store.close();
  });

  it('hands a subscriber only the data of the event types it reads, from the recent events and from the file alike', async () => {
    const file = newFile();
    const first = SqliteEventStore.open(file);
    const mixed = () => [
      { id: v7(), type: 'Counted', data: { n: 1 } },
      { id: v7(), type: 'Noted', data: { note: 'x' }, metadata: { by: 'me' } },
    ];
    await first.append('case-1', mixed(), 'no_stream');
    await first.close();
    // Reopened, its window of recent events is empty: the first two are read from the file.
    const store = SqliteEventStore.open(file);
    await store.append('case-2', mixed(), 'no_stream');
    const whole = await store.readAll();

    const taken = async (after: bigint, count: number) => {
      const seen = [];
      for await (const event of store.subscribe({ after, dataOf: ['Counted'] })) {
        seen.push(event);
        if (seen.length === count) break;
      }
      return seen;
    };

    const withoutNotes = whole.map((event) =>
      event.type === 'Noted' ? { ...event, data: {}, metadata: undefined } : event,
    );
    // From position 0 the window does not reach back: all four come from the file.
    expect(await taken(0n, 4)).toEqual(withoutNotes);
    // After position 2 they come from the window.
    expect(await taken(2n, 2)).toEqual(withoutNotes.slice(2));
    expect(whole.map(({ data }) => data)).toEqual([{ n: 1 }, { note: 'x' }, { n: 1 }, { note: 'x' }]);
    await store.close();
  });

  it('refuses a second writing process with a clear message, and lets one in once closed', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);

    const refused = await runWriter(file, 'open');
    await store.close();
    const admitted = await runWriter(file, 'open');

    expect(refused).toMatch(/^refused .*in use by another process, which has it open for writing/);
    expect(admitted).toBe('opened');
  });

  it('lets other connections of its own process read and write the same file', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    await store.append('case-1', events(2), 'no_stream');

    const other = new Database(file);
    other.exec('CREATE TABLE IF NOT EXISTS read_model (id TEXT PRIMARY KEY, doc TEXT)');
    other.prepare('INSERT INTO read_model VALUES (?, ?)').run('case-1', '{}');
    const count = other.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
    other.close();

    expect(count.n).toBe(2);
    expect((await store.append('case-1', events(1), 1n)).nextRevision).toBe(2n);
    await store.close();
  });

  it('answers StoreUnavailableError when its file cannot be opened', () => {
    expect(() => SqliteEventStore.open(join(dir, 'missing-folder', 'x.db'))).toThrow(StoreUnavailableError);
  });
});

describe('SqliteEventStore whose file goes away while it is open', () => {
  it.each([
    ['deleted', (file: string) => rmSync(file)],
    [
      'replaced by another file',
      (file: string) => {
        const other = new Database(`${file}.other`);
        other.exec('CREATE TABLE t (x)');
        other.close();
        renameSync(`${file}.other`, file);
      },
    ],
    // Commits since the last checkpoint live only in the log: with it gone they vanish at the next start.
    ['left without its write-ahead log', (file: string) => rmSync(`${file}-wal`)],
  ])('acknowledges no write once its file was %s, and says why', async (_situation, remove) => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    await store.append('case-1', events(1), 'no_stream');

    remove(file);
    const write = store.append('case-1', events(1), 0n);
    const later = store.append('case-2', events(1), 'no_stream');

    await expect(write).rejects.toThrow(StoreUnavailableError);
    await expect(write).rejects.toThrow(/was deleted or replaced/);
    await expect(later).rejects.toThrow(/was deleted or replaced/);
    await expect(store.headPosition()).rejects.toThrow(/was deleted or replaced/);
    await store.close();
  });

  it('answers its health check and its head position with the loss before any write', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    await store.append('case-1', events(1), 'no_stream');

    rmSync(file);

    await expect(store.checkWritable()).rejects.toThrow(/was deleted or replaced/);
    await expect(store.headPosition()).rejects.toThrow(/was deleted or replaced/);
    await expect(store.append('case-1', events(1), 0n)).rejects.toThrow(StoreUnavailableError);
    await store.close();
  });
});

describe('SqliteEventStore that cannot write', () => {
  it('answers its health check with the failure while another connection holds the writes', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    await store.append('case-1', events(1), 'no_stream');
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');

    await expect(store.checkWritable()).rejects.toThrow(
      /cannot write to the SQLite event store .*database is locked/,
    );

    holder.exec('ROLLBACK');
    holder.close();
    await store.checkWritable();
    await store.close();
  });

  it('answers its head position without writing, so a metrics scrape never takes the write lock', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    await store.append('case-1', events(1), 'no_stream');
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');

    expect(await store.headPosition()).toBe(1n);

    holder.exec('ROLLBACK');
    holder.close();
    await store.close();
  });
});

describe('SqliteEventStore on a file it may not write', () => {
  it('refuses to start with a plain message rather than serve reads', async () => {
    // Root writes whatever the mode bits say: the child then runs as nobody.
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    const folder = mkdtempSync(join(tmpdir(), 'wfnet-read-only-'));
    const file = join(folder, 'wfnet.db');
    const store = SqliteEventStore.open(file);
    await store.append('case-1', events(1), 'no_stream');
    await store.close();
    chmodSync(file, 0o444);
    // The folder stays open to all, as a shared data folder may be: only the file is read-only.
    chmodSync(folder, 0o777);

    const refused = await runWriter(file, 'open', as);
    rmSync(folder, { recursive: true, force: true });

    expect(refused).toBe(
      `refused the SQLite event store ${file} is read-only to this process: give it write access to the file and its folder`,
    );
  });
});

describe('SqliteEventStore on a file other names lead to', () => {
  it.each([
    ['a symbolic link', (file: string, other: string) => symlinkSync(file, other)],
    ['a hard link', (file: string, other: string) => linkSync(file, other)],
  ])('refuses a second process that opens it through %s', async (_name, link) => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    link(file, `${file}.other.db`);

    const refused = await runWriter(`${file}.other.db`, 'open');
    await store.close();

    expect(refused).toMatch(/^refused .*in use by another process/);
  });

  it('refuses a second process once its lock file was deleted', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    rmSync(`${file}.lock`, { force: true });

    const refused = await runWriter(file, 'open');
    await store.close();

    expect(refused).toMatch(/^refused .*in use by another process/);
  });

  it.each([
    ['a symbolic link', (file: string, other: string) => symlinkSync(file, other)],
    ['a hard link', (file: string, other: string) => linkSync(file, other)],
  ])('refuses a second store of its own process opened through %s', async (_name, link) => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    link(file, `${file}.other.db`);

    expect(() => SqliteEventStore.open(`${file}.other.db`)).toThrow(StartupError);
    expect(() => SqliteEventStore.open(`${file}.other.db`)).toThrow(/in use by another process/);
    await store.close();
  });
});

describe('SqliteEventStore in what it tells', () => {
  it('names its file without the folders above it, in its description and its errors', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    await store.close();

    const refused = await store.append('case-1', events(1), 'no_stream').then(
      () => 'appended',
      (error: Error) => error.message,
    );

    expect(store.description).toBe(`sqlite:${basename(file)} (synchronous=full)`);
    expect(refused).toContain(basename(file));
    expect(refused).not.toContain(dir);
  });

  it('names a file below the working directory by its path from there', async () => {
    const file = join('data', 'test-names', `${v7()}.db`);
    const opened = openEventStore(`sqlite:${file}`);
    await opened.close();
    rmSync(join('data', 'test-names'), { recursive: true, force: true });

    expect(opened.eventStore.description).toBe(`sqlite:${file} (synchronous=full)`);
  });
});

describe('openEventStore with sqlite:<file>', () => {
  it('creates the parent folder and opens the store with snapshots in the same file', async () => {
    const file = join(dir, 'nested', 'deeper', 'wfnet.db');
    const opened = openEventStore(`sqlite:${file}`);

    await opened.eventStore.append('case-1', events(1), 'no_stream');
    await opened.snapshotStore.save('case-1', 0n, { n: 1 });

    expect(opened.eventStore.description).toBe('sqlite:wfnet.db (synchronous=full)');
    expect(await opened.snapshotStore.load('case-1')).toEqual({ revision: 0n, state: { n: 1 } });
    await opened.close();
  });
});
