import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
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
import {
  checkBatch,
  concurrencyError,
  DEFAULT_READ_ALL_PAGE,
  expectationHolds,
  matchRetry,
  NO_STREAM,
} from './append-rules.js';
import type { Placement } from './append-rules.js';
import { CatchUpSubscription, CommitSignal, settle } from './catch-up-subscription.js';
import type { FollowingRead } from './catch-up-subscription.js';
import { DECODE_BUDGET, RecentEvents, withoutData } from './recent-events.js';
import { loopRound } from '../event-loop.js';
import { StartupError } from '../startup-error.js';
import { acquireWriterLock, realFile } from '../sqlite/writer-lock.js';
import type { CommittedEvent } from './recent-events.js';

export interface SqliteEventStoreOptions {
  /**
   * `full` (default) syncs the WAL on every commit, so an acknowledged append survives a power loss;
   * `normal` (WFNET_SQLITE_SYNC=normal) survives a process crash but may lose the last commits on power loss.
   */
  readonly synchronous?: 'full' | 'normal';
  /** Position of the first event of a new database (1 by default); tests start past 2^53. */
  readonly firstPosition?: bigint;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    -- AUTOINCREMENT: a position is never handed out twice, even after the last events are gone.
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT,
    recorded_at TEXT NOT NULL,
    UNIQUE (stream_id, revision)
  );
  CREATE TABLE IF NOT EXISTS streams (
    stream_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL
  ) WITHOUT ROWID;
  -- One row, rewritten when a health check must prove the file still takes a write.
  CREATE TABLE IF NOT EXISTS write_checks (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TEXT NOT NULL
  );
`;

/** How long a health check's write waits for a lock: a moment, for it holds the event loop meanwhile. */
const WRITE_CHECK_BUSY_MS = 200;
/** What every write waits for a lock (better-sqlite3's default). */
const BUSY_MS = 5000;

export const COLUMNS = 'position, stream_id, revision, id, type, data, metadata, recorded_at';

export interface EventRow {
  readonly position: bigint;
  readonly stream_id: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string | null;
  readonly recorded_at: string;
}

/** An event as it goes into its row: serialized before it joins a batch, so bad data fails only its own append. */
interface EventRowToInsert {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string | null;
}

interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly EventRowToInsert[];
  readonly expected: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: Error) => void;
}

type Outcome = { readonly result: AppendResult } | { readonly error: Error };

/** Which file a path leads to: the same device and inode are the same file, whatever its names. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/**
 * The embedded event store: one SQLite file in WAL mode, written by one process. Appends that arrive
 * in the same turn of the event loop are written in one transaction (group commit, one fsync), each
 * inside its own savepoint so that a conflict fails only its own append.
 */
export class SqliteEventStore implements EventStore {
  readonly description: string;
  /** The file as messages name it: never the folders above the working directory. */
  readonly #shown: string;
  /** The file itself, symbolic links resolved. */
  readonly #realFile: string;
  readonly #identity: FileIdentity | undefined;
  /** The write-ahead log's, taken once it exists: SQLite keeps it while the file is open. */
  #walIdentity: FileIdentity | undefined;
  readonly #db: Database.Database;
  readonly #lock: Database.Database | undefined;
  /** Set once the file at the path is no longer the one open: nothing is acknowledged after that. */
  #lost: StoreUnavailableError | undefined;
  readonly #signal = new CommitSignal();
  readonly #recent = new RecentEvents(10_000, () => this.#signal.notify());
  readonly #commitListeners = new Set<(head: bigint) => void>();
  /** The position of the last event this process committed. */
  #committedHead = 0n;
  /** Events inserted by the batch transaction under way; they join `#recent` once it commits. */
  #inserted: CommittedEvent[] = [];
  #queue: PendingAppend[] = [];
  #transactions = 0;
  #appends = 0;
  #flushScheduled = false;
  #closed = false;

  readonly #selectStream: Statement<[string], { revision: bigint }>;
  readonly #selectById: Statement<[string], { stream_id: string; revision: bigint; position: bigint }>;
  readonly #insertEvent: Statement<[string, bigint, string, string, string, string | null, string]>;
  readonly #upsertStream: Statement<[string, bigint]>;
  readonly #readStream: Statement<[string, bigint, number], EventRow>;
  readonly #readAll: Statement<[bigint, number], EventRow>;
  readonly #head: Statement<[], { position: bigint | null }>;
  readonly #writeCheck: Statement<[string]>;
  readonly #writeBatch: (batch: readonly PendingAppend[]) => Outcome[];
  readonly #insertAll: (
    streamId: string,
    events: readonly EventRowToInsert[],
    current: bigint,
  ) => AppendResult;

  static open(file: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    return new SqliteEventStore(file, options);
  }

  private constructor(
    readonly file: string,
    options: SqliteEventStoreOptions,
  ) {
    const synchronous = options.synchronous ?? 'full';
    const inMemory = file === ':memory:';
    this.#shown = shownPath(file);
    this.description = `sqlite:${this.#shown} (synchronous=${synchronous})`;
    this.#realFile = inMemory ? file : realFile(file);
    this.#lock = inMemory ? undefined : lockWriter(file, this.#realFile);
    try {
      if (!inMemory) claimFile(file, this.#realFile);
      this.#db = new Database(this.#realFile, { timeout: BUSY_MS });
      this.#db.pragma('journal_mode = WAL');
      // better-sqlite3 leaves WAL databases at NORMAL: say FULL explicitly unless relaxed on purpose.
      this.#db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.#db.exec(SCHEMA);
      if (options.firstPosition !== undefined) this.#startPositionsAt(options.firstPosition);
      this.#identity = inMemory ? undefined : identityOf(this.#realFile);
      this.#walIdentity = inMemory ? undefined : walIdentityOf(this.#realFile);
    } catch (error) {
      this.#lock?.close();
      if (error instanceof StartupError) throw error;
      if (!writable(this.#realFile)) {
        throw new StartupError(
          `the SQLite event store ${file} is read-only to this process: give it write access to the file and its folder`,
          { cause: error },
        );
      }
      throw unavailable(`cannot open the SQLite event store ${file}`, error);
    }
    const db = this.#db;
    this.#selectStream = db.prepare<[string], { revision: bigint }>(
      'SELECT revision FROM streams WHERE stream_id = ?',
    );
    this.#selectById = db.prepare('SELECT stream_id, revision, position FROM events WHERE id = ?');
    this.#insertEvent = db.prepare(
      'INSERT INTO events (stream_id, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#upsertStream = db.prepare(
      'INSERT INTO streams (stream_id, revision) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision',
    );
    this.#readStream = db.prepare(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    );
    this.#readAll = db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`);
    this.#head = db.prepare('SELECT max(position) AS position FROM events');
    this.#writeCheck = db.prepare(
      'INSERT INTO write_checks (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at',
    );
    for (const statement of [
      this.#selectStream,
      this.#selectById,
      this.#insertEvent,
      this.#readStream,
      this.#readAll,
      this.#head,
    ]) {
      statement.safeIntegers(true);
    }
    // Nested in #writeBatch's transaction, better-sqlite3 runs this one as a savepoint.
    this.#insertAll = db.transaction(
      (streamId: string, events: readonly EventRowToInsert[], current: bigint) =>
        this.#insertEvents(streamId, events, current),
    );
    this.#writeBatch = db.transaction((batch: readonly PendingAppend[]) =>
      batch.map((pending) => this.#appendOne(pending)),
    );
  }

  /** The file threads of this process may read the events from (parallel replays); none in memory. */
  get sqliteEventsFile(): string | undefined {
    return this.file === ':memory:' ? undefined : this.file;
  }

  /** The synchronous mode SQLite reports for the connection (not merely the one asked for). */
  get synchronous(): 'full' | 'normal' | 'other' {
    const mode = this.#db.pragma('synchronous', { simple: true });
    return mode === 2 ? 'full' : mode === 1 ? 'normal' : 'other';
  }

  /** Transactions written and appends they carried: their ratio shows how well group commit batches. */
  get stats(): { readonly transactions: number; readonly appends: number } {
    return { transactions: this.#transactions, appends: this.#appends };
  }

  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      // A throw here rejects the promise.
      if (this.#closed) throw this.#closedError();
      if (this.#lost) throw this.#lost;
      checkBatch(streamId, events);
      const rows = events.map((event) => ({
        id: event.id,
        type: event.type,
        data: JSON.stringify(event.data),
        metadata: event.metadata === undefined ? null : JSON.stringify(event.metadata),
      }));
      this.#queue.push({ streamId, events: rows, expected, resolve, reject });
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      // setImmediate rather than a microtask: writers woken by the previous commit get to queue first.
      setImmediate(() => this.#flush());
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    const rows = await this.#read(() =>
      this.#readStream.all(streamId, options.fromRevision ?? 0n, options.maxCount ?? -1),
    );
    return decodeInRounds(rows).catch((error: unknown) => {
      throw unavailable(`cannot read the SQLite event store ${this.#shown}`, error);
    });
  }

  readAll(options: ReadAllOptions = {}): Promise<readonly RecordedEvent[]> {
    return this.#readAllAs(options, false);
  }

  /** Fails when the file at the path is no longer the one open. */
  headPosition(): Promise<bigint> {
    return this.#read(() => {
      this.#checkFile();
      return this.#head.get()?.position ?? 0n;
    });
  }

  /**
   * Fails as `headPosition` does, or when the file takes no write: it writes one row to find out, as a
   * read-only file or folder, a full or failing disk let reads through.
   */
  checkWritable(): Promise<void> {
    return this.#read(() => {
      this.#checkFile();
      this.#tryWrite();
    });
  }

  /**
   * Calls `listener` with the last position this process committed after each commit, for followers in
   * other threads, and once more when the file is found lost (so they read again and fail with the
   * reason); returns what stops it.
   */
  onCommit(listener: (head: bigint) => void): () => void {
    this.#commitListeners.add(listener);
    return () => this.#commitListeners.delete(listener);
  }

  /** A subscription may be answered nothing while recent events wait for this round's decoding budget. */
  subscribe(options: SubscribeOptions = {}): EventSubscription {
    return new CatchUpSubscription((o) => this.#readAllAs(o, true), this.#signal, options);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#flush();
    this.#closed = true;
    this.#signal.close();
    this.#db.close();
    this.#lock?.close();
    return Promise.resolve();
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#inserted = [];
    this.#queue = [];
    let outcomes: Outcome[];
    try {
      if (this.#lost) throw this.#lost;
      outcomes = this.#writeBatch(batch);
      // Committed to a file no longer at its path is lost: it must not be acknowledged.
      this.#checkFile();
      this.#transactions += 1;
      this.#appends += batch.length;
      this.#recent.add(this.#inserted);
    } catch (error) {
      const failure = unavailable(`cannot write to the SQLite event store ${this.#shown}`, error);
      for (const pending of batch) pending.reject(failure);
      return;
    }
    outcomes.forEach((outcome, i) => {
      const pending = batch[i] as PendingAppend;
      if ('result' in outcome) pending.resolve(outcome.result);
      else pending.reject(outcome.error);
    });
    this.#signal.notify();
    this.#committedHead = this.#inserted.at(-1)?.position ?? this.#committedHead;
    for (const listener of this.#commitListeners) listener(this.#committedHead);
  }

  /** One append inside the batch transaction; only its own refusal is caught, a failing file fails the batch. */
  #appendOne({ streamId, events, expected }: PendingAppend): Outcome {
    const current = this.#selectStream.get(streamId)?.revision ?? NO_STREAM;
    try {
      if (!expectationHolds(expected, current)) {
        // A retry fails its expectation: its own events moved the stream on.
        return { result: this.#retryOrConflict(streamId, events, expected, current) };
      }
      try {
        return { result: this.#insertAll(streamId, events, current) };
      } catch (error) {
        // An id already recorded: a retry (with `any` or `stream_exists`) or ids reused elsewhere.
        if (!isUniqueIdViolation(error)) throw error;
        return { result: this.#retryOrConflict(streamId, events, expected, current) };
      }
    } catch (error) {
      if (error instanceof ConcurrencyError) return { error };
      throw error;
    }
  }

  #retryOrConflict(
    streamId: string,
    events: readonly EventRowToInsert[],
    expected: ExpectedRevision,
    current: bigint,
  ): AppendResult {
    const retry = matchRetry(streamId, events, expected, current, (id) => this.#placement(id));
    if (retry === undefined) throw concurrencyError(streamId, expected, current);
    return retry;
  }

  #insertEvents(streamId: string, events: readonly EventRowToInsert[], current: bigint): AppendResult {
    const recordedAt = new Date().toISOString();
    let revision = current;
    let position = 0n;
    const inserted: CommittedEvent[] = [];
    for (const event of events) {
      revision += 1n;
      const { lastInsertRowid } = this.#insertEvent.run(
        streamId,
        revision,
        event.id,
        event.type,
        event.data,
        event.metadata,
        recordedAt,
      );
      position = BigInt(lastInsertRowid);
      inserted.push(new InsertedEvent(streamId, revision, position, event, recordedAt));
    }
    this.#upsertStream.run(streamId, revision);
    // Only now: a savepoint that failed half-way rolled its rows back.
    for (const committed of inserted) this.#inserted.push(committed);
    return { nextRevision: revision, position };
  }

  #placement(id: string): Placement | undefined {
    const row = this.#selectById.get(id);
    return row && { streamId: row.stream_id, revision: row.revision, position: row.position };
  }

  /** Makes AUTOINCREMENT hand out `firstPosition` next, on a database that has no events yet. */
  #startPositionsAt(firstPosition: bigint): void {
    const used = this.#db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get();
    if (used !== undefined) return;
    this.#db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)").run(firstPosition - 1n);
  }

  #readAllAs(options: FollowingRead, follower: boolean): Promise<readonly RecordedEvent[]> {
    const after = options.after ?? 0n;
    const maxCount = options.maxCount ?? DEFAULT_READ_ALL_PAGE;
    const { decodes } = options;
    return this.#read(
      () =>
        this.#recent.after(after, maxCount, follower, decodes) ??
        this.#readAll
          .all(after, maxCount)
          .map((row) =>
            decodes === undefined || decodes(row.type, row.stream_id) ? toRecorded(row) : rowWithoutData(row),
          ),
    );
  }

  #read<T>(read: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#lost) return Promise.reject(this.#lost);
    return settle(() => {
      try {
        return read();
      } catch (error) {
        throw unavailable(`cannot read the SQLite event store ${this.#shown}`, error);
      }
    });
  }

  /** Throws, for good, once the path leads to another file than the one open, or to none. */
  #checkFile(): void {
    if (this.#identity === undefined || this.#lost) return;
    let lost: string | undefined;
    try {
      lost = replacedWhileOpen(this.#realFile, this.#identity);
    } catch (error) {
      throw unavailable(`cannot find the SQLite event store ${this.#shown}`, error);
    }
    if (lost === undefined) {
      const wal = walIdentityOf(this.#realFile);
      this.#walIdentity ??= wal;
      if (this.#walIdentity && (wal?.dev !== this.#walIdentity.dev || wal.ino !== this.#walIdentity.ino)) {
        lost = `lost its write-ahead log: ${basename(this.#realFile)}-wal was deleted or replaced while open (the commits since the last checkpoint are only there)`;
      }
    }
    if (lost === undefined) return;
    this.#lost = new StoreUnavailableError(
      `the SQLite event store ${this.#shown} ${lost}: ` +
        'no write is acknowledged any more; put the file back or restart on a restored copy',
    );
    // Followers waiting for the next commit read again, and fail with the reason.
    this.#signal.notify();
    for (const listener of this.#commitListeners) listener(this.#committedHead);
    throw this.#lost;
  }

  #tryWrite(): void {
    if (this.#identity === undefined) return;
    this.#db.pragma(`busy_timeout = ${WRITE_CHECK_BUSY_MS}`);
    try {
      this.#writeCheck.run(new Date().toISOString());
    } catch (error) {
      throw unavailable(`cannot write to the SQLite event store ${this.#shown}`, error);
    } finally {
      this.#db.pragma(`busy_timeout = ${BUSY_MS}`);
    }
  }

  #closedError(): StoreUnavailableError {
    return new StoreUnavailableError(`the SQLite event store ${this.#shown} is closed`);
  }
}

/**
 * `file` as messages show it (`/health`, errors that reach a workitem's `lastError`): its path from the
 * working directory when below it, else its name alone; never the folders above.
 */
export function shownPath(file: string): string {
  if (file === ':memory:') return file;
  const fromHere = relative(process.cwd(), resolve(file));
  return fromHere === '' || fromHere.startsWith('..') || isAbsolute(fromHere) ? basename(file) : fromHere;
}

/** Whether this process may write `file` (when it exists) and create files beside it (when its folder exists). */
function writable(file: string): boolean {
  try {
    if (existsSync(file)) accessSync(file, constants.W_OK);
    if (existsSync(dirname(file))) accessSync(dirname(file), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function identityOf(file: string): FileIdentity {
  const { dev, ino } = statSync(file);
  return { dev, ino };
}

/** How the file at `file` is no longer the one open as `identity`, or undefined while it still is. */
export function replacedWhileOpen(file: string, identity: FileIdentity): string | undefined {
  const now = statSync(file, { throwIfNoEntry: false });
  if (now?.dev === identity.dev && now.ino === identity.ino) return undefined;
  return `was deleted or replaced while open (${now ? 'another file is at its path' : 'no file is at its path'})`;
}

function walIdentityOf(file: string): FileIdentity | undefined {
  const wal = statSync(`${file}-wal`, { throwIfNoEntry: false });
  return wal && { dev: wal.dev, ino: wal.ino };
}

function inUse(file: string, by: string, cause: unknown): StartupError {
  return new StartupError(
    `the SQLite event store ${file} is in use by another process, which has it open${by}: ` +
      'stop that one or give this one its own file',
    { cause },
  );
}

/**
 * Holds an exclusive lock on `<real file>.lock` for as long as the store is open, so that two processes
 * starting at once on one file cannot both pass `claimFile`.
 */
function lockWriter(file: string, real: string): Database.Database {
  return acquireWriterLock(`${real}.lock`, {
    busy: (cause) => inUse(file, ' for writing', cause),
    failed: (cause) => unavailable(`cannot lock the SQLite event store ${file}`, cause),
  });
}

/**
 * Refuses the file while any other process has it open, by whatever name: a symbolic link, a hard link,
 * or after its lock file was deleted. The lock file alone cannot see those: it is found by name, the
 * database by its inode. Every SQLite connection in WAL mode holds a shared lock on the database file
 * itself from its first read until it closes, so a connection in exclusive locking mode that gets its
 * exclusive lock proves no other connection is open (of another process, or of this one: SQLite counts
 * its own). Once the store's connection is open, its shared lock refuses the next claimant in turn, while
 * readers of other processes and the other connections of this one (read models, snapshots) are let in.
 * The probe is closed before the store's connection opens, since its exclusive lock would refuse that
 * one too; two processes that claim the same inode by different names within that instant are the one
 * case left to the lock file, which sees them only by the same name.
 */
function claimFile(file: string, real: string): void {
  const probe = new Database(real, { timeout: 0 });
  try {
    probe.pragma('locking_mode = EXCLUSIVE');
    probe.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw inUse(file, '', error);
    throw error;
  } finally {
    probe.close();
  }
}

function isUniqueIdViolation(error: unknown): boolean {
  return (
    (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    (error as Error).message.includes('events.id')
  );
}

function unavailable(message: string, cause: unknown): Error {
  if (cause instanceof StoreUnavailableError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreUnavailableError(`${message}: ${detail}`, { cause });
}

/** A row this process inserted, kept as written until a reader asks for it. */
class InsertedEvent implements CommittedEvent {
  constructor(
    readonly streamId: string,
    private readonly revision: bigint,
    readonly position: bigint,
    private readonly row: EventRowToInsert,
    private readonly recordedAt: string,
  ) {}

  get encodedLength(): number {
    return this.row.data.length + (this.row.metadata?.length ?? 0);
  }

  get type(): string {
    return this.row.type;
  }

  withoutData(): RecordedEvent {
    return withoutData(
      this.row.id,
      this.streamId,
      this.revision,
      this.position,
      this.row.type,
      this.recordedAt,
    );
  }

  decode(): RecordedEvent {
    return {
      id: this.row.id,
      streamId: this.streamId,
      revision: this.revision,
      position: this.position,
      type: this.row.type,
      data: JSON.parse(this.row.data) as unknown,
      metadata: this.row.metadata === null ? undefined : (JSON.parse(this.row.metadata) as unknown),
      recordedAt: this.recordedAt,
    };
  }
}

/**
 * The rows' events, decoded a round of the event loop per `DECODE_BUDGET` of encoded JSON (one event at
 * least): a stream of large events is not decoded in one stretch.
 */
async function decodeInRounds(rows: readonly EventRow[]): Promise<readonly RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let budget = DECODE_BUDGET;
  for (const row of rows) {
    const cost = row.data.length + (row.metadata?.length ?? 0);
    if (cost > budget && budget < DECODE_BUDGET) {
      await loopRound();
      budget = DECODE_BUDGET;
    }
    budget -= cost;
    events.push(toRecorded(row));
  }
  return events;
}

const rowWithoutData = (row: EventRow): RecordedEvent =>
  withoutData(row.id, row.stream_id, row.revision, row.position, row.type, row.recorded_at);

export function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    metadata: row.metadata === null ? undefined : (JSON.parse(row.metadata) as unknown),
    recordedAt: row.recorded_at,
  };
}
