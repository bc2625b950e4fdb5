import type { EventStoreConfig } from '../event-store/open-event-store.js';
import { parseEventStoreConfig } from '../event-store/open-event-store.js';

/** The service's settings, read once from the environment at start. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** `WFNET_EVENT_STORE` as given (for logs), and parsed. */
  readonly eventStoreLocation: string;
  readonly eventStore: EventStoreConfig;
  /** Where read models live: `memory` or `sqlite:<file>`; by default beside the event store. */
  readonly readStore: string;
  readonly snapshotEvery: number;
  /** Bearer keys and their roles; empty means no authentication. */
  readonly apiKeys: ReadonlyMap<string, Role>;
}

export type Role = 'admin' | 'worker' | 'reader';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function defaultReadStore(eventStore: EventStoreConfig): string {
  switch (eventStore.kind) {
    case 'memory':
      return 'memory';
    case 'sqlite':
      return `sqlite:${eventStore.file}`;
    case 'esdb':
      return 'sqlite:data/wfnet-read.db';
  }
}

function eventStoreOf(env: Env): EventStoreConfig {
  try {
    return parseEventStoreConfig(env['WFNET_EVENT_STORE'], env['WFNET_SQLITE_SYNC']);
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
}

function apiKeysOf(raw: string | undefined): ReadonlyMap<string, Role> {
  const keys = new Map<string, Role>();
  if (raw === undefined || raw.trim() === '') return keys;
  for (const pair of raw.split(',')) {
    const separator = pair.lastIndexOf(':');
    const key = pair.slice(0, separator).trim();
    const role = pair.slice(separator + 1).trim();
    if (separator <= 0 || key === '' || (role !== 'admin' && role !== 'worker' && role !== 'reader')) {
      // The key itself is never echoed: it is a secret.
      throw new ConfigError(
        'WFNET_API_KEYS must be comma-separated key:role pairs with roles admin, worker or reader',
      );
    }
    keys.set(key, role);
  }
  return keys;
}

export function loadConfig(env: Env = process.env): Config {
  const eventStore = eventStoreOf(env);
  const readStore = env['WFNET_READ_STORE'] || defaultReadStore(eventStore);
  if (readStore !== 'memory' && !/^sqlite:.+/.test(readStore)) {
    throw new ConfigError(`WFNET_READ_STORE must be "memory" or "sqlite:<file>", got "${readStore}"`);
  }
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env['HOST'] || '127.0.0.1',
    eventStoreLocation: env['WFNET_EVENT_STORE'] || 'sqlite:data/wfnet.db',
    eventStore,
    readStore,
    snapshotEvery: integer(env, 'WFNET_SNAPSHOT_EVERY', 500, 1, 1_000_000),
    apiKeys: apiKeysOf(env['WFNET_API_KEYS']),
  };
}
