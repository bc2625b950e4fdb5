import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventStore } from '@wfnet/domain';
import { connectEsdbClient } from './esdb-client.js';
import type { EsdbRawClient } from './esdb-client.js';
import { EsdbEventStore } from './esdb-event-store.js';
import { MemoryEventStore } from './memory-event-store.js';
import { EsdbSnapshotStore, MemorySnapshotStore, SqliteSnapshotStore } from './snapshot-store.js';
import type { SnapshotStore } from './snapshot-store.js';
import { SqliteEventStore } from './sqlite-event-store.js';

export const DEFAULT_EVENT_STORE = 'sqlite:data/wfnet.db';

export type EventStoreConfig =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly file: string; readonly synchronous: 'full' | 'normal' }
  | { readonly kind: 'esdb'; readonly url: string };

/**
 * Reads WFNET_EVENT_STORE (`memory`, `sqlite:<file>`, `esdb://…`, `kurrentdb://…`, `kurrent://…`; `sqlite:data/wfnet.db`
 * when unset) and WFNET_SQLITE_SYNC (`full`, the default, or `normal`).
 */
export function parseEventStoreConfig(
  value: string | undefined = process.env.WFNET_EVENT_STORE,
  sync: string | undefined = process.env.WFNET_SQLITE_SYNC,
): EventStoreConfig {
  const spec = (value ?? '').trim() || DEFAULT_EVENT_STORE;
  if (spec === 'memory') return { kind: 'memory' };
  if (spec.startsWith('sqlite:')) {
    const file = spec.slice('sqlite:'.length);
    if (file.length === 0)
      throw new Error('WFNET_EVENT_STORE=sqlite: needs a file, e.g. sqlite:data/wfnet.db');
    return { kind: 'sqlite', file, synchronous: parseSync(sync) };
  }
  if (/^(esdb|kurrentdb|kurrent)(\+discover)?:\/\/./.test(spec)) return { kind: 'esdb', url: spec };
  throw new Error(
    `WFNET_EVENT_STORE=${spec} is not an event store: use memory, sqlite:<file> or esdb://host:2113?tls=false`,
  );
}

function parseSync(value: string | undefined): 'full' | 'normal' {
  const mode = (value ?? '').trim().toLowerCase() || 'full';
  if (mode === 'full' || mode === 'normal') return mode;
  throw new Error(`WFNET_SQLITE_SYNC=${value} is not a mode: use full (the default) or normal`);
}

export interface OpenedStores {
  readonly eventStore: EventStore;
  readonly snapshotStore: SnapshotStore;
  /** Closes both, snapshots first. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** The EventStoreDB client factory; tests hand in a fake. */
  readonly connectEsdb?: (url: string) => EsdbRawClient;
}

/** Opens the configured event store and the snapshot store that goes with it. */
export function openEventStore(
  config: EventStoreConfig | string = parseEventStoreConfig(),
  options: OpenOptions = {},
): OpenedStores {
  const parsed = typeof config === 'string' ? parseEventStoreConfig(config) : config;
  const pair = (eventStore: EventStore, snapshotStore: SnapshotStore): OpenedStores => ({
    eventStore,
    snapshotStore,
    close: async () => {
      await snapshotStore.close();
      await eventStore.close();
    },
  });
  switch (parsed.kind) {
    case 'memory':
      return pair(new MemoryEventStore(), new MemorySnapshotStore());
    case 'sqlite': {
      mkdirSync(dirname(parsed.file), { recursive: true });
      const eventStore = SqliteEventStore.open(parsed.file, { synchronous: parsed.synchronous });
      return pair(eventStore, SqliteSnapshotStore.open(parsed.file));
    }
    case 'esdb': {
      const eventStore = EsdbEventStore.open(parsed.url, options.connectEsdb ?? connectEsdbClient);
      return pair(eventStore, new EsdbSnapshotStore(eventStore.client));
    }
  }
}
