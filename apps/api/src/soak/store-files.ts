import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import type { EventStore, RecordedEvent } from '@wfnet/domain';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';

/** Every event of the SQLite store in `file` after position `after`. Only while no service has it open. */
export async function readEverything(file: string, after = 0n): Promise<RecordedEvent[]> {
  const store = SqliteEventStore.open(file);
  try {
    return await readAllAfter(store, after);
  } finally {
    await store.close();
  }
}

/** Every event `store` shows after position `after`, page by page, in position order. */
export async function readAllAfter(store: EventStore, after = 0n): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (let page = await store.readAll({ after, maxCount: 5000 }); page.length > 0;) {
    all.push(...page);
    page = await store.readAll({ after: page[page.length - 1]!.position, maxCount: 5000 });
  }
  return all;
}

export function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '.lock', '.read-models.lock'])
    rmSync(`${file}${suffix}`, { force: true });
}

/**
 * Copies the database in `file` to `copy` as one consistent snapshot (a single read transaction), even
 * while the service writes it. The copy is a database of its own with its own writer locks, so both the
 * event store and the read store can be opened on it while the service keeps `file` locked.
 */
export function snapshotDatabase(file: string, copy: string): void {
  removeDatabase(copy);
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    db.prepare('VACUUM INTO ?').run(copy);
  } finally {
    db.close();
  }
}
