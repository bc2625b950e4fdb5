import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, extname } from 'node:path';
import type { EventStore } from '@wfnet/domain';
import { connectEsdbClient, withConnectionName } from '../event-store/esdb-client.js';
import type { EsdbRawClient } from '../event-store/esdb-client.js';
import { EsdbEventStore } from '../event-store/esdb-event-store.js';
import { EsdbWorkQueue } from '../event-store/esdb-work-queue.js';
import { PostgresWorkClaims } from '../executors/postgres-work-claims.js';
import { DEFAULT_CLAIM_LEASE_MS, SOLE_PROCESS_CLAIMS } from '../executors/work-claims.js';
import type { WorkClaims } from '../executors/work-claims.js';
import type { WorkQueue } from '../executors/work-queue.js';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { PostgresEventStore, PostgresSnapshotStore } from '../event-store/postgres-event-store.js';
import {
  EsdbSnapshotStore,
  MemorySnapshotStore,
  SqliteSnapshotStore,
} from '../event-store/snapshot-store.js';
import type { SnapshotStore } from '../event-store/snapshot-store.js';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';
import { MemoryReadStore } from '../projections/memory-read-store.js';
import type { ReadStore } from '../projections/read-store.js';
import { SqliteReadStore } from '../projections/sqlite-read-store.js';

/**
 * The kinds of store the service runs on, one entry each: how `WFNET_EVENT_STORE` (or `WFNET_READ_STORE`)
 * names one, how it opens, and what it implies for the rest of the configuration. A new kind is its
 * adapter plus an entry here; nothing else switches on the kind.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_EVENT_STORE = 'sqlite:data/wfnet.db';

export type EventStoreConfig =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly file: string; readonly synchronous: 'full' | 'normal' }
  | { readonly kind: 'esdb'; readonly url: string }
  | { readonly kind: 'postgres'; readonly url: string };

export type ReadStoreConfig =
  { readonly kind: 'memory' } | { readonly kind: 'sqlite'; readonly file: string };

export interface OpenedStores {
  readonly eventStore: EventStore;
  readonly snapshotStore: SnapshotStore;
  /** Shared by the processes on a store several may follow; one process alone holds every claim. */
  readonly claims: WorkClaims;
  /** Where the store hands each process its share of the work itself; then claims are not used. */
  readonly workQueue: WorkQueue | undefined;
  /** Whether other processes may write the same streams, so that no cached state can be trusted as it is. */
  readonly shared: boolean;
  /** Closes both, snapshots first. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** The EventStoreDB client factory; tests hand in a fake. */
  readonly connectEsdb?: (url: string) => EsdbRawClient;
  /** The name this process holds work claims under, where processes share them. */
  readonly processName?: string;
  /** How long a claim lasts unless renewed; on EventStoreDB, how long a delivery of work waits for its ack. */
  readonly claimLeaseMs?: number;
  /** Where a work queue reports its connection failing. */
  readonly log?: { warn(message: string): void; error(message: string): void };
}

interface EventStoreKind<Config extends EventStoreConfig> {
  /** How `WFNET_EVENT_STORE` names a store of this kind, for the message that lists them. */
  readonly form: string;
  /** The configuration `value` names, when it names a store of this kind; undefined when another kind. */
  parse(value: string, env: Env): Config | undefined;
  open(config: Config, options: OpenOptions): OpenedStores;
  /** Where the read models live unless `WFNET_READ_STORE` says. */
  defaultReadStore(config: Config): ReadStoreConfig;
  /** `WFNET_ADMISSION_MAX_LAG` unless set: it counts positions, which some stores do not number one by one. */
  readonly admissionMaxLag: number;
  /** `WFNET_READY_MAX_LAG` unless set, in the positions of the store. */
  readonly readyMaxLag: number;
  /** Whether what it holds outlives the process. */
  readonly durable: boolean;
}

interface ReadStoreKind<Config extends ReadStoreConfig> {
  readonly form: string;
  parse(value: string): Config | undefined;
  open(config: Config): ReadStore;
  readonly durable: boolean;
}

type EventStoreKinds = {
  readonly [K in EventStoreConfig['kind']]: EventStoreKind<Extract<EventStoreConfig, { kind: K }>>;
};
type ReadStoreKinds = {
  readonly [K in ReadStoreConfig['kind']]: ReadStoreKind<Extract<ReadStoreConfig, { kind: K }>>;
};

const SQLITE_PREFIX = 'sqlite:';

const processNameOf = (options: OpenOptions): string => options.processName ?? `${hostname()}:${process.pid}`;

function pair(eventStore: EventStore, snapshotStore: SnapshotStore, shared = false): OpenedStores {
  return {
    eventStore,
    snapshotStore,
    claims: SOLE_PROCESS_CLAIMS,
    workQueue: undefined,
    shared,
    close: async () => {
      await snapshotStore.close();
      await eventStore.close();
    },
  };
}

function parseSync(value: string | undefined): 'full' | 'normal' {
  const mode = (value ?? '').trim().toLowerCase() || 'full';
  if (mode === 'full' || mode === 'normal') return mode;
  throw new Error(`WFNET_SQLITE_SYNC=${value} is not a mode: use full (the default) or normal`);
}

export const EVENT_STORE_KINDS: EventStoreKinds = {
  memory: {
    form: 'memory',
    parse: (value) => (value === 'memory' ? { kind: 'memory' } : undefined),
    open: () => pair(new MemoryEventStore(), new MemorySnapshotStore()),
    defaultReadStore: () => ({ kind: 'memory' }),
    admissionMaxLag: 10_000,
    readyMaxLag: 10_000,
    durable: false,
  },
  sqlite: {
    form: 'sqlite:<file>',
    parse(value, env) {
      if (!value.startsWith(SQLITE_PREFIX)) return undefined;
      const file = value.slice(SQLITE_PREFIX.length);
      if (file.length === 0)
        throw new Error('WFNET_EVENT_STORE=sqlite: needs a file, e.g. sqlite:data/wfnet.db');
      return { kind: 'sqlite', file, synchronous: parseSync(env['WFNET_SQLITE_SYNC']) };
    },
    open(config) {
      mkdirSync(dirname(config.file), { recursive: true });
      const eventStore = SqliteEventStore.open(config.file, { synchronous: config.synchronous });
      return pair(eventStore, SqliteSnapshotStore.open(config.file));
    },
    // A file of their own, beside the events: their thread writes it while this one appends.
    defaultReadStore: (config) => ({ kind: 'sqlite', file: readModelsFileBeside(config.file) }),
    admissionMaxLag: 10_000,
    readyMaxLag: 10_000,
    durable: true,
  },
  esdb: {
    form: 'esdb://host:2113?tls=false',
    parse: (value) =>
      /^(esdb|kurrentdb|kurrent)(\+discover)?:\/\/./.test(value) ? { kind: 'esdb', url: value } : undefined,
    open(config, options) {
      const connect = options.connectEsdb ?? connectEsdbClient;
      const name = processNameOf(options);
      const eventStore = EsdbEventStore.open(config.url, (url) => connect(withConnectionName(url, name)));
      return {
        ...pair(eventStore, new EsdbSnapshotStore(eventStore.client), true),
        // Dispatch by a persistent subscription group: the server hands each workitem to one process.
        workQueue: new EsdbWorkQueue(eventStore.client, {
          messageTimeoutMs: options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS,
          log: options.log ?? console,
        }),
      };
    },
    defaultReadStore: () => ({ kind: 'sqlite', file: 'data/wfnet-read.db' }),
    // EventStoreDB's positions are offsets in its log, not counts of events: no default bound there.
    admissionMaxLag: 0,
    readyMaxLag: 10_000,
    durable: true,
  },
  postgres: {
    form: 'postgres://user:password@host/db',
    parse: (value) => (/^postgres(ql)?:\/\/./.test(value) ? { kind: 'postgres', url: value } : undefined),
    open(config, options) {
      const eventStore = PostgresEventStore.open(config.url);
      return {
        ...pair(eventStore, new PostgresSnapshotStore(eventStore), true),
        claims: new PostgresWorkClaims(config.url, processNameOf(options)),
      };
    },
    // Read models stay with each process; positions are global, so `?waitFor=` holds in any of them.
    defaultReadStore: () => ({ kind: 'sqlite', file: 'data/wfnet-read.db' }),
    // Positions are transaction ids times 2^20, not counts of events: no default bound there.
    admissionMaxLag: 0,
    // One transaction behind is 2^20 positions: ready while at most 10,000 transactions behind.
    readyMaxLag: 10_000 * 2 ** 20,
    durable: true,
  },
};

export const READ_STORE_KINDS: ReadStoreKinds = {
  memory: {
    form: 'memory',
    parse: (value) => (value === 'memory' ? { kind: 'memory' } : undefined),
    open: () => new MemoryReadStore(),
    durable: false,
  },
  sqlite: {
    form: 'sqlite:<file>',
    parse: (value) =>
      value.startsWith(SQLITE_PREFIX) && value.length > SQLITE_PREFIX.length
        ? { kind: 'sqlite', file: value.slice(SQLITE_PREFIX.length) }
        : undefined,
    open(config) {
      mkdirSync(dirname(config.file), { recursive: true });
      return SqliteReadStore.open(config.file);
    },
    durable: true,
  },
};

/** `a, b or c`, as a message lists the forms of the kinds. */
function oneOf(forms: readonly string[]): string {
  return forms.length < 2 ? forms.join('') : `${forms.slice(0, -1).join(', ')} or ${forms[forms.length - 1]}`;
}

/**
 * Reads `WFNET_EVENT_STORE` (`sqlite:data/wfnet.db` when unset) and the settings of the kind it names,
 * such as `WFNET_SQLITE_SYNC`.
 */
export function parseEventStoreConfig(env: Env = process.env): EventStoreConfig {
  const value = (env['WFNET_EVENT_STORE'] ?? '').trim() || DEFAULT_EVENT_STORE;
  for (const kind of Object.values(EVENT_STORE_KINDS) as EventStoreKind<EventStoreConfig>[]) {
    const config = kind.parse(value, env);
    if (config !== undefined) return config;
  }
  throw new Error(
    `WFNET_EVENT_STORE=${value} is not an event store: use ${oneOf(Object.values(EVENT_STORE_KINDS).map((kind) => kind.form))}`,
  );
}

/** Reads `WFNET_READ_STORE`, or where the event store keeps its read models when unset. */
export function parseReadStoreConfig(
  value: string | undefined,
  eventStore: EventStoreConfig,
): ReadStoreConfig {
  if (value === undefined || value === '') return eventStoreKind(eventStore).defaultReadStore(eventStore);
  for (const kind of Object.values(READ_STORE_KINDS) as ReadStoreKind<ReadStoreConfig>[]) {
    const config = kind.parse(value);
    if (config !== undefined) return config;
  }
  const forms = Object.values(READ_STORE_KINDS).map((kind) => `"${kind.form}"`);
  throw new Error(`WFNET_READ_STORE must be ${oneOf(forms)}, got "${value}"`);
}

function eventStoreKind<Config extends EventStoreConfig>(config: Config): EventStoreKind<Config> {
  return EVENT_STORE_KINDS[config.kind] as unknown as EventStoreKind<Config>;
}

function readStoreKind<Config extends ReadStoreConfig>(config: Config): ReadStoreKind<Config> {
  return READ_STORE_KINDS[config.kind] as unknown as ReadStoreKind<Config>;
}

export function defaultAdmissionMaxLag(eventStore: EventStoreConfig): number {
  return eventStoreKind(eventStore).admissionMaxLag;
}

export function defaultReadyMaxLag(eventStore: EventStoreConfig): number {
  return eventStoreKind(eventStore).readyMaxLag;
}

/** Whether both stores keep what they hold between processes. */
export function durable(eventStore: EventStoreConfig, readStore: ReadStoreConfig): boolean {
  return eventStoreKind(eventStore).durable && readStoreKind(readStore).durable;
}

/** Opens the configured event store and the snapshot store that goes with it. */
export function openEventStore(
  config: EventStoreConfig | string = parseEventStoreConfig(),
  options: OpenOptions = {},
): OpenedStores {
  const parsed = typeof config === 'string' ? parseEventStoreConfig({ WFNET_EVENT_STORE: config }) : config;
  return eventStoreKind(parsed).open(parsed, options);
}

/** Opens the read models, and the followers' checkpoints kept with them, where the configuration puts them. */
export function openReadStore(config: ReadStoreConfig): ReadStore {
  return readStoreKind(config).open(config);
}

/** `data/wfnet.db` → `data/wfnet-read.db`: where the read models of an embedded store go by default. */
export function readModelsFileBeside(eventsFile: string): string {
  if (eventsFile === ':memory:') return eventsFile;
  const extension = extname(eventsFile);
  return `${eventsFile.slice(0, eventsFile.length - extension.length)}-read${extension || '.db'}`;
}
