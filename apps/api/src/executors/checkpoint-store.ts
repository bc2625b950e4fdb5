import Database from 'better-sqlite3';
import type { CheckpointStore } from './dispatcher.js';

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly positions = new Map<string, bigint>();

  load(name: string): Promise<bigint | undefined> {
    return Promise.resolve(this.positions.get(name));
  }

  save(name: string, position: bigint): Promise<void> {
    this.positions.set(name, position);
    return Promise.resolve();
  }

  close(): void {}
}

/** Named checkpoints in a table of their own, in the read store's SQLite file. */
export class SqliteCheckpointStore implements CheckpointStore {
  private readonly db: Database.Database;
  private readonly select: Database.Statement<[string], { position: bigint }>;
  private readonly upsert: Database.Statement<[string, bigint]>;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
    this.select = this.db
      .prepare<[string], { position: bigint }>('SELECT position FROM checkpoints WHERE name = ?')
      .safeIntegers(true);
    this.upsert = this.db.prepare<[string, bigint]>(
      'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
    );
  }

  load(name: string): Promise<bigint | undefined> {
    return Promise.resolve(this.select.get(name)?.position);
  }

  save(name: string, position: bigint): Promise<void> {
    this.upsert.run(name, position);
    return Promise.resolve();
  }

  close(): void {
    this.db.close();
  }
}
