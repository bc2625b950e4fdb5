import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { StoreUnavailableError } from '@wfnet/domain';
import { v7 } from 'uuid';
import { settle } from './catch-up-subscription.js';
import { shownPath } from './sqlite-event-store.js';
import {
  appendOptions,
  appendResult,
  fromResolved,
  isStreamNotFound,
  SNAPSHOT_STREAM_PREFIX,
  streamReadOptions,
  toEventData,
  toStoreError,
} from './esdb-client.js';
import type { EsdbRawClient } from './esdb-client.js';

export interface Snapshot {
  /** The revision of the last event folded into the state. */
  readonly revision: bigint;
  /** The state as JSON data, as the aggregate's codec made it. */
  readonly state: unknown;
}

/**
 * Where the repository keeps the latest snapshot of each long stream. Only a cache of the stream:
 * losing a snapshot costs a longer replay, never a fact.
 */
export interface SnapshotStore {
  load(streamId: string): Promise<Snapshot | undefined>;
  /** Keeps the snapshot unless a later one is already there. */
  save(streamId: string, revision: bigint, state: unknown): Promise<void>;
  close(): Promise<void>;
}

export class MemorySnapshotStore implements SnapshotStore {
  readonly #snapshots = new Map<string, { revision: bigint; json: string }>();

  load(streamId: string): Promise<Snapshot | undefined> {
    const found = this.#snapshots.get(streamId);
    return Promise.resolve(found && { revision: found.revision, state: JSON.parse(found.json) as unknown });
  }

  save(streamId: string, revision: bigint, state: unknown): Promise<void> {
    return settle(() => {
      const found = this.#snapshots.get(streamId);
      if (found === undefined || found.revision < revision) {
        this.#snapshots.set(streamId, { revision, json: JSON.stringify(state) });
      }
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Snapshots in a table of the event store's SQLite file, through a connection of their own: it runs at
 * synchronous=NORMAL because a snapshot lost to a power cut is merely rebuilt, and an fsync per snapshot
 * would be paid by the command that crossed the threshold.
 */
export class SqliteSnapshotStore implements SnapshotStore {
  readonly #db: Database.Database;
  readonly #load: Statement<[string], { revision: bigint; state: string }>;
  readonly #save: Statement<[string, bigint, string, string]>;

  static open(file: string): SqliteSnapshotStore {
    return new SqliteSnapshotStore(file);
  }

  private constructor(readonly file: string) {
    try {
      this.#db = new Database(file);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.exec(`CREATE TABLE IF NOT EXISTS snapshots (
        stream_id TEXT PRIMARY KEY,
        revision INTEGER NOT NULL,
        state TEXT NOT NULL,
        saved_at TEXT NOT NULL
      ) WITHOUT ROWID`);
    } catch (error) {
      throw new StoreUnavailableError(`cannot open the snapshots of ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.#load = this.#db.prepare<[string], { revision: bigint; state: string }>(
      'SELECT revision, state FROM snapshots WHERE stream_id = ?',
    );
    this.#load.safeIntegers(true);
    this.#save = this.#db.prepare(
      `INSERT INTO snapshots (stream_id, revision, state, saved_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, state = excluded.state, saved_at = excluded.saved_at
       WHERE excluded.revision > snapshots.revision`,
    );
  }

  load(streamId: string): Promise<Snapshot | undefined> {
    return this.#run(() => {
      const row = this.#load.get(streamId);
      return row && { revision: row.revision, state: JSON.parse(row.state) as unknown };
    });
  }

  save(streamId: string, revision: bigint, state: unknown): Promise<void> {
    return this.#run(() => {
      this.#save.run(streamId, revision, JSON.stringify(state), new Date().toISOString());
    });
  }

  close(): Promise<void> {
    if (this.#db.open) this.#db.close();
    return Promise.resolve();
  }

  #run<T>(operation: () => T): Promise<T> {
    return settle(() => {
      if (!this.#db.open)
        throw new StoreUnavailableError(`the snapshots of ${shownPath(this.file)} are closed`);
      try {
        return operation();
      } catch (error) {
        throw new StoreUnavailableError(`snapshots of ${shownPath(this.file)}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    });
  }
}

/**
 * Snapshots on EventStoreDB: the latest event of a `snapshot-{streamId}` stream, which keeps only one
 * (`$maxCount` 1). Two processes saving at once may leave the older snapshot last: loading then replays
 * a longer tail, still to the right state.
 */
export class EsdbSnapshotStore implements SnapshotStore {
  /** Shares the client of the event store, which closes it. */
  constructor(private readonly client: EsdbRawClient) {}

  async load(streamId: string): Promise<Snapshot | undefined> {
    const stream = SNAPSHOT_STREAM_PREFIX + streamId;
    try {
      for await (const resolved of this.client.readStream(
        stream,
        streamReadOptions({ direction: 'backwards', maxCount: 1 }),
      )) {
        const data = fromResolved(resolved, { snapshots: true })?.data as
          { revision: string; state: unknown } | undefined;
        if (data !== undefined) return { revision: BigInt(data.revision), state: data.state };
      }
      return undefined;
    } catch (error) {
      if (isStreamNotFound(error)) return undefined;
      throw toStoreError(error, stream);
    }
  }

  async save(streamId: string, revision: bigint, state: unknown): Promise<void> {
    const stream = SNAPSHOT_STREAM_PREFIX + streamId;
    const snapshot = toEventData({
      id: v7(),
      type: 'Snapshot',
      data: { revision: revision.toString(), state },
    });
    try {
      const { nextRevision } = appendResult(
        await this.client.appendToStream(stream, [snapshot], appendOptions('any')),
      );
      if (nextRevision === 0n) await this.client.setStreamMetadata(stream, { maxCount: 1 });
    } catch (error) {
      throw toStoreError(error, stream);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
