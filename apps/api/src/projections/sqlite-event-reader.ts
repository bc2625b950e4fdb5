import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { EventStore, RecordedEvent } from '@wfnet/domain';

/** A store that keeps its events in the `events` table of a SQLite file other threads may read. */
interface InSqliteFile {
  readonly sqliteEventsFile: string | undefined;
}

/** The SQLite file `store` keeps its events in, if it is such a store. */
export function sqliteEventsFileOf(store: EventStore): string | undefined {
  const file = (store as Partial<InSqliteFile>).sqliteEventsFile;
  return typeof file === 'string' ? file : undefined;
}

/**
 * Which of `shares` shares a stream belongs to: a pure function of its id (its last two characters and
 * its length, never null), so all of a stream's events fall in one share.
 */
const SHARE_OF_STREAM =
  '(coalesce(unicode(substr(stream_id, -1)), 0) + 7 * coalesce(unicode(substr(stream_id, -2, 1)), 0) + length(stream_id))';

type ProjectableRow = [bigint, bigint, string, string];

/**
 * Reads a store's events over a connection of its own that never writes, for threads that replay a
 * share of the streams beside the process that owns the store. It sees what the owner has committed.
 */
export class SqliteEventReader {
  readonly #db: Database.Database;
  readonly #readShare: Statement<[bigint, bigint, bigint, bigint], ProjectableRow>;

  constructor(file: string) {
    this.#db = new Database(file, { readonly: true, fileMustExist: true });
    this.#readShare = this.#db
      .prepare<[bigint, bigint, bigint, bigint], ProjectableRow>(
        `SELECT position, revision, type, data FROM events
         WHERE position > ? AND position <= ? AND ${SHARE_OF_STREAM} % ? = ? ORDER BY position`,
      )
      .raw(true)
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

  close(): void {
    this.#db.close();
  }
}
