import type { EventStore, RecordedEvent } from '@wfnet/domain';
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
