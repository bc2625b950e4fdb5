import type pg from 'pg';
import { ConcurrencyError, StoreUnavailableError } from '@wfnet/domain';
import type {
  AppendResult,
  EventStore,
  EventSubscription,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from '@wfnet/domain';
import { checkBatch, concurrencyError, DEFAULT_READ_ALL_PAGE, matchRetry } from './append-rules.js';
import type { Placement } from './append-rules.js';
import { CatchUpSubscription, CommitSignal } from './catch-up-subscription.js';
import type { Snapshot, SnapshotStore } from './snapshot-store.js';
import { pgDriver } from '../postgres/pg-driver.js';

export interface PostgresEventStoreOptions {
  /** How often subscriptions read again without a notification (250 ms by default). */
  readonly pollMs?: number;
  /** Connections of the pool (10 by default), besides the one that listens for notifications. */
  readonly maxConnections?: number;
}

/** The channel appends notify in their transaction; every store instance listens on it. */
export const EVENTS_CHANNEL = 'wfnet_events';

/**
 * A position is the appending transaction's id times 2^20 plus the index of the event in its append, so an
 * append holds fewer than 2^20 events. Positions stay below 2^63 while transaction ids stay below 2^43, and
 * below 2^53 (exact as a JavaScript number, should a client read them so) for the first 2^33 transactions.
 */
const EVENTS_PER_TRANSACTION = 2n ** 20n;

const DEFAULT_POLL_MS = 250;
/** How soon subscriptions read again when events are committed above the horizon, held back by an older transaction. */
const HELD_BACK_POLL_MS = 25;
const RECONNECT_MS = 500;
const CONNECT_TIMEOUT_MS = 5000;
/** How often an append decides again after a concurrent one took the revisions it had computed. */
const MAX_REDECIDE = 100;

/** Any fixed number: the advisory lock that lets one process at a time create the schema. */
const SCHEMA_LOCK = 7_318_402_551;

/** Several statements in one simple query run as one transaction, which the lock spans. */
const SCHEMA = `
  SELECT pg_advisory_xact_lock(${SCHEMA_LOCK});
  CREATE TABLE IF NOT EXISTS wfnet_events (
    position bigint PRIMARY KEY,
    stream_id text NOT NULL,
    revision bigint NOT NULL,
    id text NOT NULL CONSTRAINT wfnet_events_id UNIQUE,
    type text NOT NULL,
    data text NOT NULL,
    metadata text,
    recorded_at timestamptz NOT NULL,
    CONSTRAINT wfnet_events_stream_revision UNIQUE (stream_id, revision)
  );
  CREATE TABLE IF NOT EXISTS wfnet_snapshots (
    stream_id text PRIMARY KEY,
    revision bigint NOT NULL,
    state text NOT NULL,
    saved_at timestamptz NOT NULL
  );
`;

/**
 * The first position no reader may pass yet: every transaction with a lower id has committed or aborted
 * (xmin of the current snapshot), so no event can still appear below it.
 */
const HORIZON = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${EVENTS_PER_TRANSACTION})`;

/**
 * One statement, so one round trip and one transaction: the stream's last revision, the expectation checked
 * against it, the events inserted after it, and the notification, sent when the transaction commits. Two
 * appends that computed the same revisions meet on the (stream_id, revision) key: the second fails.
 */
const APPEND = `
  WITH current AS (
    SELECT coalesce(max(revision), -1) AS revision FROM wfnet_events WHERE stream_id = $1
  ), appended AS (
    INSERT INTO wfnet_events (position, stream_id, revision, id, type, data, metadata, recorded_at)
    SELECT pg_current_xact_id()::text::bigint * ${EVENTS_PER_TRANSACTION} + e.ordinality - 1,
           $1, current.revision + e.ordinality, e.id, e.type, e.data, e.metadata, $8::timestamptz
    FROM current, unnest($4::text[], $5::text[], $6::text[], $7::text[])
      WITH ORDINALITY AS e(id, type, data, metadata, ordinality)
    WHERE CASE $2::text
      WHEN 'any' THEN true
      WHEN 'no_stream' THEN current.revision = -1
      WHEN 'stream_exists' THEN current.revision >= 0
      ELSE current.revision = $3::bigint
    END
    RETURNING revision, position
  ), notified AS (
    -- Referenced below: a SELECT in WITH runs only when something reads it.
    SELECT pg_notify('${EVENTS_CHANNEL}', '') FROM (SELECT 1 FROM appended LIMIT 1) AS any_appended
  )
  SELECT current.revision AS current,
         (SELECT max(revision) FROM appended) AS next_revision,
         (SELECT max(position) FROM appended) AS position,
         (SELECT count(*) FROM notified) AS notified
  FROM current
`;

const COLUMNS = 'position, stream_id, revision, id, type, data, metadata, recorded_at';

const READ_STREAM = `
  SELECT ${COLUMNS} FROM wfnet_events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3
`;
const READ_ALL = `
  SELECT ${COLUMNS} FROM wfnet_events WHERE position > $1 AND position < ${HORIZON} ORDER BY position LIMIT $2
`;
const HEAD = `SELECT max(position) AS position FROM wfnet_events WHERE position < ${HORIZON}`;
const TABLES_PRESENT = `
  SELECT to_regclass('wfnet_events') IS NOT NULL AND to_regclass('wfnet_snapshots') IS NOT NULL AS present
`;
const READ_ONLY = `
  SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' AS read_only
`;

/**
 * Whether events sit at or beyond the positions the next transaction would take: a database restored
 * onto another server, whose transaction ids start lower. Reading xmax takes no transaction id.
 */
const POSITIONS_AHEAD = `
  SELECT coalesce(max(position), -1)
    >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint * ${EVENTS_PER_TRANSACTION} AS ahead
  FROM wfnet_events
`;
const HELD_BACK = `SELECT EXISTS (SELECT 1 FROM wfnet_events WHERE position >= ${HORIZON}) AS held_back`;
const PLACEMENTS = 'SELECT id, stream_id, revision, position FROM wfnet_events WHERE id = ANY($1::text[])';
const CURRENT_REVISION =
  'SELECT coalesce(max(revision), -1) AS revision FROM wfnet_events WHERE stream_id = $1';

interface EventRow {
  readonly position: string;
  readonly stream_id: string;
  readonly revision: string;
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string | null;
  readonly recorded_at: Date;
}

interface AppendRow {
  readonly current: string;
  readonly next_revision: string | null;
  readonly position: string | null;
}

interface PlacementRow {
  readonly id: string;
  readonly stream_id: string;
  readonly revision: string;
  readonly position: string;
}

/** The connection string as logs and `/health` show it: the password masked. */
export function shownUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}

/**
 * The event store on PostgreSQL, shared by any number of processes. Positions come from transaction ids
 * and readers stop below the visibility horizon (as emmett's PostgreSQL store does), so that a follower
 * never passes an event that a concurrent transaction has yet to commit. Subscriptions wake on the
 * notification each append sends, in every process, and poll besides.
 */
export class PostgresEventStore implements EventStore {
  readonly description: string;
  readonly #url: string;
  readonly #pool: pg.Pool;
  readonly #pollMs: number;
  readonly #signal = new CommitSignal();
  #schema: Promise<void> | undefined;
  #listener: pg.Client | undefined;
  #following = false;
  #poll: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #closed = false;

  static open(url: string, options: PostgresEventStoreOptions = {}): PostgresEventStore {
    return new PostgresEventStore(url, options);
  }

  private constructor(url: string, options: PostgresEventStoreOptions) {
    this.#url = url;
    this.description = `postgres:${shownUrl(url)}`;
    this.#pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.#pool = new (pgDriver().Pool)({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // An idle connection the server drops is removed from the pool; the next query opens another.
    this.#pool.on('error', () => undefined);
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    this.#checkOpen();
    checkBatch(streamId, events);
    if (BigInt(events.length) >= EVENTS_PER_TRANSACTION) {
      throw new RangeError(
        `append to ${streamId}: ${events.length} events, at most ${EVENTS_PER_TRANSACTION - 1n}`,
      );
    }
    const values = [
      streamId,
      typeof expected === 'bigint' ? 'revision' : expected,
      typeof expected === 'bigint' ? expected.toString() : null,
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => (e.metadata === undefined ? null : JSON.stringify(e.metadata))),
      new Date().toISOString(),
    ];
    await this.#ready();
    for (let attempt = 1; ; attempt++) {
      let row: AppendRow;
      try {
        row = (await this.#pool.query<AppendRow>({ name: 'wfnet-append', text: APPEND, values }))
          .rows[0] as AppendRow;
      } catch (error) {
        if (violates(error, 'wfnet_events_stream_revision') && attempt < MAX_REDECIDE) continue;
        if (violates(error, 'wfnet_events_id') || violates(error, 'wfnet_events_stream_revision')) {
          return this.#retryOrConflict(streamId, events, expected);
        }
        throw this.#unavailable('cannot append to', error);
      }
      if (row.position === null || row.next_revision === null) {
        return this.#retryOrConflict(streamId, events, expected, BigInt(row.current));
      }
      this.#signal.notify();
      return { nextRevision: BigInt(row.next_revision), position: BigInt(row.position) };
    }
  }

  /** Every committed event of the stream, above the horizon too: a writer must see its own appends. */
  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    const rows = await this.query<EventRow>('wfnet-read-stream', READ_STREAM, [
      streamId,
      (options.fromRevision ?? 0n).toString(),
      options.maxCount ?? null,
    ]);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    const rows = await this.query<EventRow>('wfnet-read-all', READ_ALL, [
      (options.after ?? 0n).toString(),
      options.maxCount ?? DEFAULT_READ_ALL_PAGE,
    ]);
    return rows.map(toRecorded);
  }

  async headPosition(): Promise<bigint> {
    const [row] = await this.query<{ position: string | null }>('wfnet-head', HEAD, []);
    return row?.position == null ? 0n : BigInt(row.position);
  }

  /** Fails when the server answers reads but would refuse writes: a standby, or a read-only default. */
  async checkWritable(): Promise<void> {
    const [row] = await this.query<{ read_only: boolean }>('wfnet-read-only', READ_ONLY, []);
    if (row?.read_only) {
      throw new StoreUnavailableError(
        `the event store ${this.description} takes no writes: the server is read-only ` +
          '(a standby, or default_transaction_read_only)',
      );
    }
  }

  subscribe(options: SubscribeOptions = {}): EventSubscription {
    this.#checkOpen();
    this.#follow();
    return new CatchUpSubscription((o) => this.#readAllFollowing(o), this.#signal, options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal.close();
    clearInterval(this.#poll);
    clearTimeout(this.#soon);
    clearTimeout(this.#reconnect);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.#pool.end();
  }

  /**
   * `readAll` for a subscription: a server that cannot be reached reads as nothing new, so the
   * subscription waits for the next poll and goes on from its cursor once the server is back. Its
   * follower sees no failure meanwhile; `/health` does.
   */
  async #readAllFollowing(options: ReadAllOptions): Promise<readonly RecordedEvent[]> {
    try {
      const page = await this.readAll(options);
      // A short page is read again at once by the subscription; only an empty one waits.
      if (page.length === 0) await this.#pollSoonIfHeldBack();
      return page;
    } catch (error) {
      // Closed meanwhile too: the subscription then sees the closed signal and ends.
      if (error instanceof StoreUnavailableError) return [];
      throw error;
    }
  }

  async #pollSoonIfHeldBack(): Promise<void> {
    const [row] = await this.query<{ held_back: boolean }>('wfnet-held-back', HELD_BACK, []);
    if (!row?.held_back || this.#soon !== undefined || this.#closed) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.#signal.notify();
    }, HELD_BACK_POLL_MS);
    this.#soon.unref();
  }

  /** Starts polling and listening, once, when the first subscription opens. */
  #follow(): void {
    if (this.#following) return;
    this.#following = true;
    this.#poll = setInterval(() => this.#signal.notify(), this.#pollMs);
    this.#poll.unref();
    void this.#listen();
  }

  async #listen(): Promise<void> {
    if (this.#closed) return;
    const client = new (pgDriver().Client)({
      connectionString: this.#url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    let lost = false;
    const reconnect = (): void => {
      if (lost) return;
      lost = true;
      if (this.#listener === client) this.#listener = undefined;
      void client.end().catch(() => undefined);
      if (this.#closed) return;
      this.#reconnect = setTimeout(() => void this.#listen(), RECONNECT_MS);
      this.#reconnect.unref();
    };
    client.on('error', reconnect);
    client.on('end', reconnect);
    client.on('notification', () => this.#signal.notify());
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch {
      reconnect();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#listener = client;
    // Commits made while no one listened were not heard: read again.
    this.#signal.notify();
  }

  async #retryOrConflict(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    knownCurrent?: bigint,
  ): Promise<AppendResult> {
    const [placementRows, current] = await Promise.all([
      this.query<PlacementRow>('wfnet-placements', PLACEMENTS, [events.map((e) => e.id)]),
      knownCurrent ??
        this.query<{ revision: string }>('wfnet-current', CURRENT_REVISION, [streamId]).then((rows) =>
          BigInt(rows[0]?.revision ?? -1),
        ),
    ]);
    const placements = new Map<string, Placement>(
      placementRows.map((row) => [
        row.id,
        { streamId: row.stream_id, revision: BigInt(row.revision), position: BigInt(row.position) },
      ]),
    );
    const retry = matchRetry(streamId, events, expected, current, (id) => placements.get(id));
    if (retry === undefined) throw concurrencyError(streamId, expected, current);
    return retry;
  }

  /** Creates the tables once per store; a failure (a server not up yet) is tried again by the next call. */
  #ready(): Promise<void> {
    this.#schema ??= this.#createSchema().catch((error: unknown) => {
      this.#schema = undefined;
      throw this.#unavailable('cannot open', error);
    });
    return this.#schema;
  }

  async #createSchema(): Promise<void> {
    // Tables already there need no DDL: a read-only server (a standby) still serves reads.
    const { rows: found } = await this.#pool.query<{ present: boolean }>(TABLES_PRESENT);
    if (!found[0]?.present) await this.#pool.query(SCHEMA);
    const { rows } = await this.#pool.query<{ ahead: boolean }>(POSITIONS_AHEAD);
    if (rows[0]?.ahead) {
      throw new StoreUnavailableError(
        `the event store ${this.description} holds positions beyond the transaction ids of its server, ` +
          'as a database restored on another server does: new events would go below the last ones, where ' +
          "followers have passed. Raise the server's transaction id epoch above the last position's " +
          '(pg_resetwal --epoch, on the stopped server) before opening it',
      );
    }
  }

  /** One prepared statement on the pool, once the tables exist; the snapshot store of the database shares it. */
  async query<Row extends pg.QueryResultRow>(
    name: string,
    text: string,
    values: readonly unknown[],
    doing = 'cannot read',
  ): Promise<Row[]> {
    this.#checkOpen();
    await this.#ready();
    try {
      return (await this.#pool.query<Row>({ name, text, values: [...values] })).rows;
    } catch (error) {
      throw this.#unavailable(doing, error);
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreUnavailableError(`the event store ${this.description} is closed`);
  }

  #unavailable(doing: string, cause: unknown): Error {
    if (cause instanceof StoreUnavailableError || cause instanceof ConcurrencyError) return cause;
    if (this.#closed) return new StoreUnavailableError(`the event store ${this.description} is closed`);
    const detail =
      cause instanceof Error ? cause.message || String((cause as { code?: unknown }).code) : String(cause);
    return new StoreUnavailableError(`${doing} the event store ${this.description}: ${detail}`, { cause });
  }
}

function violates(error: unknown, constraint: string): boolean {
  const { code, constraint: name } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && name === constraint;
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    metadata: row.metadata === null ? undefined : (JSON.parse(row.metadata) as unknown),
    recordedAt: row.recorded_at.toISOString(),
  };
}

const LOAD_SNAPSHOT = 'SELECT revision, state FROM wfnet_snapshots WHERE stream_id = $1';
const SAVE_SNAPSHOT = `
  INSERT INTO wfnet_snapshots (stream_id, revision, state, saved_at) VALUES ($1, $2, $3, $4)
  ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, state = excluded.state, saved_at = excluded.saved_at
  WHERE excluded.revision > wfnet_snapshots.revision
`;

/** Snapshots in a table of the event store's database, through its pool. The event store closes the pool. */
export class PostgresSnapshotStore implements SnapshotStore {
  constructor(private readonly store: PostgresEventStore) {}

  async load(streamId: string): Promise<Snapshot | undefined> {
    const [row] = await this.store.query<{ revision: string; state: string }>(
      'wfnet-load-snapshot',
      LOAD_SNAPSHOT,
      [streamId],
      'cannot load a snapshot from',
    );
    return row && { revision: BigInt(row.revision), state: JSON.parse(row.state) as unknown };
  }

  async save(streamId: string, revision: bigint, state: unknown): Promise<void> {
    const json = JSON.stringify(state);
    await this.store.query(
      'wfnet-save-snapshot',
      SAVE_SNAPSHOT,
      [streamId, revision.toString(), json, new Date().toISOString()],
      'cannot save a snapshot to',
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
