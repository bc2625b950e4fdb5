import type { EventStore, RecordedEvent } from '@wfnet/domain';
import type { DocumentWrite, ListedRow, ListQuery, ReadStore } from './read-store.js';
import type { Document } from '@wfnet/projections';

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
export class ObservedReadStore implements ReadStore {
  writes = 0;
  commits = 0;
  failNextCommits = 0;

  constructor(readonly inner: ReadStore) {}

  get description(): string {
    return this.inner.description;
  }
  checkpoint(): bigint {
    return this.inner.checkpoint();
  }
  load(followerId: string): Promise<bigint | undefined> {
    return this.inner.load(followerId);
  }
  save(followerId: string, position: bigint): Promise<void> {
    return this.inner.save(followerId, position);
  }
  get<D extends Document>(table: string, id: string): D | undefined {
    return this.inner.get<D>(table, id);
  }
  list<D extends Document>(table: string, query: ListQuery): ListedRow<D>[] {
    return this.inner.list<D>(table, query);
  }
  commit(writes: readonly DocumentWrite[], checkpoint: bigint): void {
    if (this.failNextCommits > 0) {
      this.failNextCommits -= 1;
      throw new Error('disk I/O error (injected)');
    }
    this.inner.commit(writes, checkpoint);
    this.commits += 1;
    this.writes += writes.length;
  }
  reset(options?: { readonly deferIndexes?: boolean }): void {
    this.inner.reset(options);
  }
  buildIndexes(): void {
    this.inner.buildIndexes();
  }
  close(): void {
    this.inner.close();
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
