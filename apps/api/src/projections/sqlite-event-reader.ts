import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { StoreUnavailableError } from '@wfnet/domain';
import type { EventStore, ReadAllOptions, RecordedEvent, SubscribeOptions } from '@wfnet/domain';
import { DEFAULT_READ_ALL_PAGE } from '../event-store/append-rules.js';
import { CatchUpSubscription, CommitSignal } from '../event-store/catch-up-subscription.js';
import type { EventRow, FileIdentity } from '../event-store/sqlite-event-store.js';
import {
  COLUMNS,
  identityOf,
  replacedWhileOpen,
  shownPath,
  toRecorded,
} from '../event-store/sqlite-event-store.js';
import type { ReadStore } from './read-store.js';
import { SqliteReadStore } from './sqlite-read-store.js';

/** A store that keeps its events in the `events` table of a SQLite file other threads may read. */
interface InSqliteFile {
  readonly sqliteEventsFile: string | undefined;
}

/** The SQLite file `store` keeps its events in, if it is such a store. */
function sqliteEventsFileOf(store: object): string | undefined {
  const file = (store as Partial<InSqliteFile>).sqliteEventsFile;
  return typeof file === 'string' ? file : undefined;
}

/** The events' file and the read store, when both are SQLite files (the read store not in memory). */
export function sqliteFilesOf(
  store: object,
  readStore: ReadStore,
): { readonly eventsFile: string; readonly readStore: SqliteReadStore } | undefined {
  const eventsFile = sqliteEventsFileOf(store);
  if (eventsFile === undefined || !(readStore instanceof SqliteReadStore)) return undefined;
  return readStore.file === ':memory:' ? undefined : { eventsFile, readStore };
}

/**
 * Which of `shares` shares a stream belongs to: a pure function of its id (its last two characters and
 * its length, never null), so all of a stream's events fall in one share.
 */
const SHARE_OF_STREAM =
  '(coalesce(unicode(substr(stream_id, -1)), 0) + 7 * coalesce(unicode(substr(stream_id, -2, 1)), 0) + length(stream_id))';

type ProjectableRow = [bigint, bigint, string, string];

/** What a follower of the store reads: the events in position order, the head, and a subscription. */
export type FollowedEvents = Pick<EventStore, 'readAll' | 'headPosition' | 'subscribe'>;

/**
 * Reads a store's events over a connection of its own that never writes, for threads beside the process
 * that owns the store: those that replay a share of the streams, and the one that follows it live. It
 * sees what the owner has committed.
 */
export class SqliteEventReader implements FollowedEvents {
  readonly #db: Database.Database;
  readonly #readShare: Statement<[bigint, bigint, bigint, bigint], ProjectableRow>;
  readonly #readAll: Statement<[bigint, number], EventRow>;
  readonly #head: Statement<[], { position: bigint | null }>;
  /** Told of the owner's commits by `committed`: it wakes the subscriptions. */
  readonly #signal = new CommitSignal();
  readonly #identity: FileIdentity;

  constructor(readonly sqliteEventsFile: string) {
    this.#db = new Database(sqliteEventsFile, { readonly: true, fileMustExist: true });
    this.#identity = identityOf(sqliteEventsFile);
    this.#readShare = this.#db
      .prepare<[bigint, bigint, bigint, bigint], ProjectableRow>(
        `SELECT position, revision, type, data FROM events
         WHERE position > ? AND position <= ? AND ${SHARE_OF_STREAM} % ? = ? ORDER BY position`,
      )
      .raw(true)
      .safeIntegers(true);
    this.#readAll = this.#db
      .prepare<[bigint, number], EventRow>(
        `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .safeIntegers(true);
    this.#head = this.#db
      .prepare<[], { position: bigint | null }>('SELECT max(position) AS position FROM events')
      .safeIntegers(true);
  }

  /**
   * The events past `after` up to `upTo` of the streams in share `share` of `shares`, in position order;
   * only what a view reads of them.
   */
  readShare(
    after: bigint,
    upTo: bigint,
    share: number,
    shares: number,
  ): Pick<RecordedEvent, 'type' | 'data' | 'revision' | 'position'>[] {
    return this.#readShare.all(after, upTo, BigInt(shares), BigInt(share)).map((row) => ({
      position: row[0],
      revision: row[1],
      type: row[2],
      data: JSON.parse(row[3]) as unknown,
    }));
  }

  /** Fails once the file at the path is no longer the one open, as the owner's store then does. */
  readAll({ after = 0n, maxCount = DEFAULT_READ_ALL_PAGE }: ReadAllOptions = {}): Promise<
    readonly RecordedEvent[]
  > {
    return new Promise((resolve) => {
      this.#checkFile();
      resolve(this.#readAll.all(after, maxCount).map(toRecorded));
    });
  }

  headPosition(): Promise<bigint> {
    return new Promise((resolve) => {
      this.#checkFile();
      resolve(this.#head.get()?.position ?? 0n);
    });
  }

  subscribe(options: SubscribeOptions = {}): CatchUpSubscription {
    return new CatchUpSubscription((o) => this.readAll(o), this.#signal, options);
  }

  /** The owner committed: subscriptions waiting for more read again. */
  committed(): void {
    this.#signal.notify();
  }

  #checkFile(): void {
    const lost = replacedWhileOpen(this.sqliteEventsFile, this.#identity);
    if (lost === undefined) return;
    throw new StoreUnavailableError(`the SQLite event store ${shownPath(this.sqliteEventsFile)} ${lost}`);
  }

  close(): void {
    this.#signal.close();
    this.#db.close();
  }
}
