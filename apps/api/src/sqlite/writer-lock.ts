import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';

/** The file a path names, symbolic links resolved; a file yet to be made, in its folder's real path. */
export function realFile(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    try {
      return join(realpathSync(dirname(file)), basename(file));
    } catch {
      return resolve(file);
    }
  }
}

/** What a writer lock throws: `busy` when another connection holds it, `failed` for any other error. */
export interface WriterLockRefusals {
  readonly busy: (cause: unknown) => Error;
  readonly failed?: (cause: unknown) => Error;
}

/**
 * Holds an exclusive SQLite lock on `lockFile` for as long as the returned connection is open, so that
 * one process at a time writes what the lock guards. Name `lockFile` after the guarded file's real path,
 * or a symbolic link would lock another name. SQLite's locks are POSIX file locks, which the kernel drops
 * when the process dies however it dies, so a crash leaves no stale lock.
 */
export function acquireWriterLock(lockFile: string, refusals: WriterLockRefusals): Database.Database {
  let lock: Database.Database | undefined;
  try {
    lock = new Database(lockFile, { timeout: 0 });
    lock.exec('BEGIN EXCLUSIVE');
    return lock;
  } catch (error) {
    lock?.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') throw refusals.busy(error);
    throw refusals.failed ? refusals.failed(error) : error;
  }
}
