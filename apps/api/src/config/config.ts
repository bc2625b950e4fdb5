import { createPublicKey, type KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClockMode } from '../clock/clock.js';
import type { EventStoreConfig, ReadStoreConfig } from '../stores/store-kinds.js';
import {
  DEFAULT_EVENT_STORE,
  defaultAdmissionMaxLag,
  defaultReadyMaxLag,
  parseEventStoreConfig,
  parseReadStoreConfig,
} from '../stores/store-kinds.js';
import { parseNetwork } from '../executors/address-guard.js';
import { DEFAULT_CLAIM_LEASE_MS } from '../executors/work-claims.js';
import { StartupError } from '../startup-error.js';

/** The service's settings, read once from the environment at start. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /**
   * This process among those that share a store (`WFNET_PROCESS_NAME`): it holds work claims under this
   * name. `<hostname>:<port>` unless set.
   */
  readonly processName: string;
  /** Whether `WFNET_PROCESS_NAME` was set: only then do the metrics carry a `process` label. */
  readonly processNameGiven: boolean;
  /**
   * How long a work claim lasts unless renewed (`WFNET_CLAIM_LEASE_MS`): how soon another process takes
   * over the work of one that died, against how often a running step renews its claim (a third of it).
   */
  readonly claimLeaseMs: number;
  /** `WFNET_EVENT_STORE` as given (for logs), and parsed. */
  readonly eventStoreLocation: string;
  readonly eventStore: EventStoreConfig;
  /** Where read models live (`WFNET_READ_STORE`); by default where the event store's kind keeps them. */
  readonly readStore: ReadStoreConfig;
  readonly snapshotEvery: number;
  /** Bearer keys and who each acts as; with no keys and no `jwt`, no authentication. */
  readonly apiKeys: ReadonlyMap<string, Identity>;
  /** Bearer JWTs accepted besides the keys (`WFNET_JWT_*`); undefined: none. */
  readonly jwt: JwtConfig | undefined;
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

/** Who a request acts as: from its API key (`key:role:user:groups`) or its bearer JWT. */
export interface Identity {
  readonly user: string;
  readonly role: Role;
  readonly groups: readonly string[];
}

export const ROLES: readonly Role[] = ['admin', 'worker', 'reader'];

export const isRole = (value: unknown): value is Role => ROLES.some((role) => role === value);

/** Asymmetric signatures only: with an HMAC one, anyone holding the verification secret could sign. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** How bearer JWTs are verified and what their claims mean. */
export interface JwtConfig {
  /** The `iss` and `aud` a token must carry. */
  readonly issuer: string;
  readonly audience: string;
  /** Where the signing keys come from: the issuer's JWKS, or one public key (PEM, SPKI). */
  readonly keys: { readonly jwksUrl: URL } | { readonly publicKeyPem: string };
  /** The signature algorithms accepted: those the public key can verify, or all of `JWT_ALGORITHMS`. */
  readonly algorithms: readonly JwtAlgorithm[];
  readonly userClaim: string;
  readonly roleClaim: string;
  readonly groupsClaim: string;
}

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

/** A bearer credential of this shape is verified as a JWT, not looked up as a key. */
export const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const NAME = /^[^\s:,|]+$/;

const API_KEYS_FORMAT =
  'WFNET_API_KEYS must be comma-separated entries key:role, key:role:user or key:role:user:group1|group2, with roles admin, worker or reader';

function apiKeysOf(raw: string | undefined): ReadonlyMap<string, Identity> {
  const keys = new Map<string, Identity>();
  if (raw === undefined || raw.trim() === '') return keys;
  raw.split(',').forEach((entry, index) => {
    const [key = '', role = '', user, groups, ...rest] = entry.split(':').map((part) => part.trim());
    // The key itself is never echoed: it is a secret. The entry is named by its place and its other parts.
    const refuse = (why: string): never => {
      const shown = [role, user, groups].filter((part) => part !== undefined).join(':');
      throw new ConfigError(`${API_KEYS_FORMAT}; entry ${index + 1} (<key>:${shown}) ${why}`);
    };
    if (key === '') refuse('has no key');
    if (rest.length > 0) refuse('has more than four parts');
    if (!isRole(role)) refuse(`has the role "${role}"`);
    if (user !== undefined && !NAME.test(user)) refuse('has an empty user or one with spaces');
    const groupNames = groups === undefined ? [] : groups.split('|').map((group) => group.trim());
    if (groupNames.some((group) => !NAME.test(group))) refuse('has an empty group or one with spaces');
    if (keys.has(key)) refuse('repeats the key of an earlier entry');
    keys.set(key, { user: user ?? role, role: role as Role, groups: groupNames });
  });
  return keys;
}

const JWT_SETTINGS = [
  'WFNET_JWT_AUDIENCE',
  'WFNET_JWT_JWKS_URL',
  'WFNET_JWT_PUBLIC_KEY',
  'WFNET_JWT_USER_CLAIM',
  'WFNET_JWT_ROLE_CLAIM',
  'WFNET_JWT_GROUPS_CLAIM',
] as const;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function jwksUrlOf(raw: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // Keys fetched in the clear could be replaced on the way; loopback is this machine's own issuer.
  if (
    url === undefined ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
  ) {
    throw new ConfigError(
      `WFNET_JWT_JWKS_URL must be an https:// URL (http:// only on localhost), got "${raw}"`,
    );
  }
  return url;
}

/** The algorithms a public key can verify; a key of any other kind is refused at start. */
function publicKeyOf(raw: string): { publicKeyPem: string; algorithms: readonly JwtAlgorithm[] } {
  // An environment variable often holds a PEM on one line, its line breaks written as \n.
  const pem = raw.replace(/\\n/g, '\n').trim();
  const refuse = (why: string): never => {
    throw new ConfigError(
      `WFNET_JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----): RSA of 2048 bits or more, EC P-256, P-384 or P-521, or Ed25519; ${why}`,
    );
  };
  if (!pem.startsWith('-----BEGIN PUBLIC KEY-----'))
    refuse('it does not begin with -----BEGIN PUBLIC KEY-----');
  const key = ((): KeyObject => {
    try {
      return createPublicKey({ key: pem, format: 'pem' });
    } catch (error) {
      return refuse(`it could not be read (${error instanceof Error ? error.message : String(error)})`);
    }
  })();
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') {
    if ((details.modulusLength ?? 0) < 2048) refuse(`it is an RSA key of ${details.modulusLength} bits`);
    const pss = ['PS256', 'PS384', 'PS512'] as const;
    return { publicKeyPem: pem, algorithms: type === 'rsa' ? ['RS256', 'RS384', 'RS512', ...pss] : pss };
  }
  if (type === 'ec') {
    const curves: Readonly<Record<string, JwtAlgorithm>> = {
      prime256v1: 'ES256',
      secp384r1: 'ES384',
      secp521r1: 'ES512',
    };
    const algorithm = curves[details.namedCurve ?? ''];
    if (algorithm === undefined) return refuse(`it is an EC key on the curve ${details.namedCurve}`);
    return { publicKeyPem: pem, algorithms: [algorithm] };
  }
  if (type === 'ed25519') return { publicKeyPem: pem, algorithms: ['EdDSA', 'Ed25519'] };
  return refuse(`it is a key of type ${type}`);
}

function claimOf(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (/\s/.test(raw.trim()))
    throw new ConfigError(`${name} must be a claim name without spaces, got "${raw}"`);
  return raw.trim();
}

function jwtOf(env: Env): JwtConfig | undefined {
  const issuer = env['WFNET_JWT_ISSUER']?.trim() ?? '';
  if (issuer === '') {
    const stray = JWT_SETTINGS.find((name) => (env[name]?.trim() ?? '') !== '');
    if (stray !== undefined) {
      throw new ConfigError(
        `${stray} is set but WFNET_JWT_ISSUER is not: JWTs are accepted only from an issuer`,
      );
    }
    return undefined;
  }
  const audience = env['WFNET_JWT_AUDIENCE']?.trim() ?? '';
  if (audience === '') {
    throw new ConfigError(
      "WFNET_JWT_AUDIENCE must be set with WFNET_JWT_ISSUER: without it, the issuer's tokens for any other service would be accepted",
    );
  }
  const jwksUrl = env['WFNET_JWT_JWKS_URL']?.trim() ?? '';
  const publicKey = env['WFNET_JWT_PUBLIC_KEY']?.trim() ?? '';
  if ((jwksUrl === '') === (publicKey === '')) {
    throw new ConfigError('WFNET_JWT_ISSUER needs exactly one of WFNET_JWT_JWKS_URL or WFNET_JWT_PUBLIC_KEY');
  }
  const { keys, algorithms } =
    jwksUrl !== ''
      ? { keys: { jwksUrl: jwksUrlOf(jwksUrl) }, algorithms: JWT_ALGORITHMS }
      : (({ publicKeyPem, algorithms }) => ({ keys: { publicKeyPem }, algorithms }))(publicKeyOf(publicKey));
  return {
    issuer,
    audience,
    keys,
    algorithms,
    userClaim: claimOf(env, 'WFNET_JWT_USER_CLAIM', 'sub'),
    roleClaim: claimOf(env, 'WFNET_JWT_ROLE_CLAIM', 'wfnet_role'),
    groupsClaim: claimOf(env, 'WFNET_JWT_GROUPS_CLAIM', 'groups'),
  };
}

/** Whether requests must prove who they are: with API keys or JWTs configured. */
export const authenticates = (config: Pick<Config, 'apiKeys' | 'jwt'>): boolean =>
  config.apiKeys.size > 0 || config.jwt !== undefined;

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

const MAX_PROCESS_NAME = 100;

function processNameOf(raw: string | undefined, port: number): { name: string; given: boolean } {
  if (raw === undefined || raw === '') return { name: `${hostname()}:${port}`, given: false };
  const name = raw.trim();
  // Control and format characters (a line break above all) would garble the metrics' text and the logs.
  if (name === '' || name.length > MAX_PROCESS_NAME || !/^[^\p{C}]+$/u.test(name)) {
    throw new ConfigError(
      `WFNET_PROCESS_NAME must be 1 to ${MAX_PROCESS_NAME} printable characters, got ${JSON.stringify(raw)}`,
    );
  }
  return { name, given: true };
}

export function loadConfig(env: Env = process.env): Config {
  const eventStore = setting(() => parseEventStoreConfig(env));
  const readStore = setting(() => parseReadStoreConfig(env['WFNET_READ_STORE'], eventStore));
  const apiKeys = apiKeysOf(env['WFNET_API_KEYS']);
  const jwt = jwtOf(env);
  if (jwt !== undefined && [...apiKeys.keys()].some((key) => JWT_SHAPE.test(key))) {
    throw new ConfigError(
      'WFNET_API_KEYS holds a key shaped like a JWT (three parts joined by dots): with WFNET_JWT_ISSUER set it would be verified as a token, never found as a key',
    );
  }
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const processName = processNameOf(env['WFNET_PROCESS_NAME'], port);
  return {
    port,
    host: env['HOST'] || '127.0.0.1',
    processName: processName.name,
    processNameGiven: processName.given,
    claimLeaseMs: integer(env, 'WFNET_CLAIM_LEASE_MS', DEFAULT_CLAIM_LEASE_MS, 1_000, 3_600_000),
    eventStoreLocation: env['WFNET_EVENT_STORE'] || DEFAULT_EVENT_STORE,
    eventStore,
    readStore,
    snapshotEvery: integer(env, 'WFNET_SNAPSHOT_EVERY', 500, 1, 1_000_000),
    apiKeys,
    jwt,
    readyMaxLag: integer(
      env,
      'WFNET_READY_MAX_LAG',
      defaultReadyMaxLag(eventStore),
      0,
      Number.MAX_SAFE_INTEGER,
    ),
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
