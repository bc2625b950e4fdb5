import type { ClockMode } from '../clock/clock.js';
import type { EventStoreConfig, ReadStoreConfig } from '../stores/store-kinds.js';
import {
  DEFAULT_EVENT_STORE,
  defaultAdmissionMaxLag,
  parseEventStoreConfig,
  parseReadStoreConfig,
} from '../stores/store-kinds.js';
import { parseNetwork } from '../executors/address-guard.js';
import { StartupError } from '../startup-error.js';

/** The service's settings, read once from the environment at start. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** `WFNET_EVENT_STORE` as given (for logs), and parsed. */
  readonly eventStoreLocation: string;
  readonly eventStore: EventStoreConfig;
  /** Where read models live (`WFNET_READ_STORE`); by default where the event store's kind keeps them. */
  readonly readStore: ReadStoreConfig;
  readonly snapshotEvery: number;
  /** Bearer keys and their roles; empty means no authentication. */
  readonly apiKeys: ReadonlyMap<string, Role>;
  /** `GET /health` answers 503 when the read models are more than this many events behind the store. */
  readonly readyMaxLag: number;
  /** New cases wait while the read models or the dispatcher are more than this many events behind; 0: never. */
  readonly admissionMaxLag: number;
  /** Origins allowed by CORS (`*` for any); empty means no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** Largest net accepted: places plus transitions, and arcs (413 beyond). */
  readonly maxNetNodes: number;
  readonly maxNetArcs: number;
  /** Largest case data or workitem output, in bytes of JSON (413 beyond). */
  readonly maxDataBytes: number;
  /** Distinct object layouts a JSON body, or the net a PNML body makes, may hold (`jsonLayoutCount`). */
  readonly maxBodyLayouts: number;
  /** At most `limit` requests per `windowSeconds` per API key or client address; undefined: no limit. */
  readonly rateLimit: { readonly limit: number; readonly windowSeconds: number } | undefined;
  /** Hosts the webhook executor may call (`host` or `*.domain`); undefined: any. */
  readonly webhookAllow: readonly string[] | undefined;
  /**
   * Networks (`address/prefix`) the webhook executor may connect to although they are loopback, private,
   * link-local, unique-local, unspecified or multicast (refused otherwise, whatever the host's name).
   */
  readonly webhookAllowNetworks: readonly string[];
  /** How long ELK may lay out one diagram, and the heap of its thread, before the plain layout is drawn instead. */
  readonly layoutTimeoutMs: number;
  readonly layoutMaxHeapMb: number;
  /** How long a soundness verification may explore before answering `undecided`, and the heap of its thread. */
  readonly verifyTimeoutMs: number;
  readonly verifyMaxHeapMb: number;
  /** `WFNET_LOG_LEVEL`: the least severe level of the JSON log lines on stdout (`info`); `silent` writes none. */
  readonly logLevel: LogLevel;
  /**
   * Host names (or addresses) a request's `Host` may name while no API keys are configured, so that a web
   * page cannot reach the service through DNS rebinding; `*`: any.
   */
  readonly allowedHosts: readonly string[];
  /** Open connections the HTTP server accepts at once; further ones are closed at once. */
  readonly maxConnections: number;
  /** Open event streams (`GET /cases/:id/events/stream`) per API key, or per client address without one. */
  readonly maxStreamsPerCaller: number;
  /** How long a stop waits for requests under way before it closes every connection, in milliseconds. */
  readonly shutdownGraceMs: number;
  /** A list page stops early, with its `next` cursor, once its items take this many bytes of JSON. */
  readonly maxPageBytes: number;
  /** `manual`: the service's time stands still until `POST /admin/clock` moves it (for tests of time). */
  readonly clock: ClockMode;
}

export type Role = 'admin' | 'worker' | 'reader';

/** pino's levels, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends StartupError {
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

/** A setting the store registry refuses, as the start-up error it is. */
function setting<T>(read: () => T): T {
  try {
    return read();
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

function corsOriginsOf(raw: string | undefined): readonly string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const origins = raw.split(',').map((origin) => origin.trim());
  for (const origin of origins) {
    // An origin is scheme://host[:port], with no path: a trailing slash would never match a browser's Origin.
    if (origin !== '*' && !/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(origin)) {
      throw new ConfigError(
        `WFNET_CORS_ORIGINS must be * or comma-separated origins such as https://app.example.com, got "${origin}"`,
      );
    }
  }
  return origins;
}

function rateLimitOf(raw: string | undefined): Config['rateLimit'] {
  if (raw === undefined || raw.trim() === '') return undefined;
  const match = /^\s*([0-9]{1,9})\s*\/\s*([0-9]{1,6})\s*$/.exec(raw);
  const limit = Number(match?.[1]);
  const windowSeconds = Number(match?.[2]);
  if (!match || limit < 1 || windowSeconds < 1) {
    throw new ConfigError(
      `WFNET_RATE_LIMIT must be <requests>/<seconds> with both at least 1, e.g. 600/60, got "${raw}"`,
    );
  }
  return { limit, windowSeconds };
}

function webhookAllowOf(raw: string | undefined): readonly string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const hosts = raw.split(',').map((host) => host.trim());
  for (const host of hosts) {
    if (!/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(host)) {
      throw new ConfigError(
        `WFNET_WEBHOOK_ALLOW must be comma-separated host names or *.domain patterns (no scheme, port or path), got "${host}"`,
      );
    }
  }
  return hosts;
}

function webhookAllowNetworksOf(raw: string | undefined): readonly string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const networks = raw.split(',').map((network) => network.trim());
  for (const network of networks) {
    if (!parseNetwork(network)) {
      throw new ConfigError(
        `WFNET_WEBHOOK_ALLOW_NETWORKS must be comma-separated networks such as 10.0.0.0/8 or fd00::/8, got "${network}"`,
      );
    }
  }
  return networks;
}

function clockModeOf(raw: string | undefined): ClockMode {
  const mode = raw?.trim().toLowerCase() || 'system';
  if (mode !== 'system' && mode !== 'manual') {
    throw new ConfigError(`WFNET_CLOCK must be system or manual, got "${raw}"`);
  }
  return mode;
}

function logLevelOf(raw: string | undefined): LogLevel {
  if (raw === undefined || raw.trim() === '') return 'info';
  const wanted = raw.trim().toLowerCase();
  const level = LOG_LEVELS.find((known) => known === wanted);
  if (level === undefined) {
    throw new ConfigError(`WFNET_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return level;
}

/** Names every machine gives itself: a page elsewhere cannot make a browser send them as `Host`. */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'];

/** `[::1]` and `::1` alike, lower case, without a trailing dot. */
export function hostName(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

function allowedHostsOf(raw: string | undefined, host: string): readonly string[] {
  if (raw === undefined || raw.trim() === '') {
    // DNS rebinding is how a page reaches a service only this machine can reach. A service bound to
    // other addresses is reachable by their clients directly, under names it cannot know.
    return LOOPBACK_HOSTS.includes(hostName(host)) ? LOOPBACK_HOSTS : ['*'];
  }
  const hosts = raw.split(',').map(hostName);
  for (const name of hosts) {
    if (name !== '*' && !/^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|[0-9A-Fa-f:.]+)$/.test(name)) {
      throw new ConfigError(
        `WFNET_ALLOWED_HOSTS must be * or comma-separated host names or addresses (no scheme or port), got "${name}"`,
      );
    }
  }
  return hosts;
}

export function loadConfig(env: Env = process.env): Config {
  const eventStore = setting(() => parseEventStoreConfig(env));
  const readStore = setting(() => parseReadStoreConfig(env['WFNET_READ_STORE'], eventStore));
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env['HOST'] || '127.0.0.1',
    eventStoreLocation: env['WFNET_EVENT_STORE'] || DEFAULT_EVENT_STORE,
    eventStore,
    readStore,
    snapshotEvery: integer(env, 'WFNET_SNAPSHOT_EVERY', 500, 1, 1_000_000),
    apiKeys: apiKeysOf(env['WFNET_API_KEYS']),
    readyMaxLag: integer(env, 'WFNET_READY_MAX_LAG', 10_000, 0, Number.MAX_SAFE_INTEGER),
    admissionMaxLag: integer(
      env,
      'WFNET_ADMISSION_MAX_LAG',
      defaultAdmissionMaxLag(eventStore),
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    corsOrigins: corsOriginsOf(env['WFNET_CORS_ORIGINS']),
    maxNetNodes: integer(env, 'WFNET_MAX_NET_NODES', 2_000, 2, 1_000_000),
    maxNetArcs: integer(env, 'WFNET_MAX_NET_ARCS', 10_000, 2, 1_000_000),
    // A request body is at most 1 MiB, so a larger bound would never be reached.
    maxDataBytes: integer(env, 'WFNET_MAX_DATA_BYTES', 1024 * 1024, 2, 1024 * 1024),
    maxBodyLayouts: integer(env, 'WFNET_MAX_BODY_LAYOUTS', 10_000, 1, 1_000_000),
    rateLimit: rateLimitOf(env['WFNET_RATE_LIMIT']),
    webhookAllow: webhookAllowOf(env['WFNET_WEBHOOK_ALLOW']),
    webhookAllowNetworks: webhookAllowNetworksOf(env['WFNET_WEBHOOK_ALLOW_NETWORKS']),
    layoutTimeoutMs: integer(env, 'WFNET_LAYOUT_TIMEOUT_MS', 5_000, 1, 600_000),
    layoutMaxHeapMb: integer(env, 'WFNET_LAYOUT_MAX_HEAP_MB', 512, 16, 65_536),
    verifyTimeoutMs: integer(env, 'WFNET_VERIFY_TIMEOUT_MS', 20_000, 1, 600_000),
    verifyMaxHeapMb: integer(env, 'WFNET_VERIFY_MAX_HEAP_MB', 1_024, 16, 65_536),
    logLevel: logLevelOf(env['WFNET_LOG_LEVEL']),
    allowedHosts: allowedHostsOf(env['WFNET_ALLOWED_HOSTS'], env['HOST'] || '127.0.0.1'),
    maxConnections: integer(env, 'WFNET_MAX_CONNECTIONS', 1_000, 1, 1_000_000),
    maxStreamsPerCaller: integer(env, 'WFNET_MAX_STREAMS_PER_CALLER', 20, 1, 1_000_000),
    shutdownGraceMs: integer(env, 'WFNET_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    maxPageBytes: integer(env, 'WFNET_MAX_PAGE_BYTES', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    clock: clockModeOf(env['WFNET_CLOCK']),
  };
}
