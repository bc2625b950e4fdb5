/**
 * A child process for the projection int tests: runs the projection runner on an embedded store file,
 * with the read models in the same file.
 *   node projection-runner-child.js <file> [--batch-size N] [--parallel N] [--follow]
 *       catches up, prints `caught-up <position>`, then exits (or, with --follow, keeps following);
 *       with --parallel, on worker threads in ranges of N positions
 *   node projection-runner-child.js <file> --crash-at-commit C --crash-after-writes W [--batch-size N]
 *       SIGKILLs itself inside the C-th commit's transaction, after W of its document writes
 */
import type { Document } from '@wfnet/projections';
import { SqliteEventStore } from '../event-store/sqlite-event-store.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import type { DocumentWrite, ListedRow, ListQuery, ReadStore } from '../projections/read-store.js';
import { SqliteReadStore } from '../projections/sqlite-read-store.js';

const [file, ...flags] = process.argv.slice(2);
const option = (name: string): number | undefined => {
  const index = flags.indexOf(name);
  return index < 0 ? undefined : Number(flags[index + 1]);
};
if (file === undefined) {
  console.error(
    'usage: projection-runner-child.js <file> [--batch-size N] [--follow] [--crash-at-commit C --crash-after-writes W]',
  );
  process.exit(2);
}

/** Passes everything through, except that the chosen commit kills the process midway through its writes. */
class CrashingReadStore implements ReadStore {
  #commits = 0;

  constructor(
    private readonly inner: ReadStore,
    private readonly crashAtCommit: number,
    private readonly crashAfterWrites: number,
  ) {}

  get description(): string {
    return this.inner.description;
  }
  checkpoint(): bigint {
    return this.inner.checkpoint();
  }
  load(followerId: string): Promise<bigint | undefined> {
    return this.inner.load(followerId);
  }
  save(followerId: string, position: bigint): Promise<void> {
    return this.inner.save(followerId, position);
  }
  get<D extends Document>(table: string, id: string): D | undefined {
    return this.inner.get<D>(table, id);
  }
  list<D extends Document>(table: string, query: ListQuery): ListedRow<D>[] {
    return this.inner.list<D>(table, query);
  }
  commit(writes: readonly DocumentWrite[], checkpoint: bigint): void {
    this.#commits += 1;
    if (this.#commits !== this.crashAtCommit) return this.inner.commit(writes, checkpoint);
    const crashAfter = this.crashAfterWrites;
    const dying = [...writes];
    // The store's transaction iterates the writes: the kill lands between two of its statements.
    dying[Symbol.iterator] = function* () {
      let written = 0;
      for (const write of writes) {
        if (written++ === crashAfter) process.kill(process.pid, 'SIGKILL');
        yield write;
      }
    } as unknown as () => ArrayIterator<DocumentWrite>;
    this.inner.commit(dying, checkpoint);
  }
  reset(options?: { readonly deferIndexes?: boolean }): void {
    this.inner.reset(options);
  }
  buildIndexes(): void {
    this.inner.buildIndexes();
  }
  close(): void {
    this.inner.close();
  }
}

const store = SqliteEventStore.open(file, { synchronous: 'normal' });
const sqlite = SqliteReadStore.open(file);
const crashAtCommit = option('--crash-at-commit');
const readStore =
  crashAtCommit === undefined
    ? sqlite
    : new CrashingReadStore(sqlite, crashAtCommit, option('--crash-after-writes') ?? 0);
const rangeSize = option('--parallel');
const runner = new ProjectionRunner(store, readStore, {
  batchSize: option('--batch-size') ?? 500,
  parallelReplay: rangeSize === undefined ? false : { rangeSize, minEvents: 0 },
});
await runner.start();
process.stdout.write(`caught-up ${runner.position}\n`);
if (!flags.includes('--follow')) {
  await runner.stop();
  sqlite.close();
  await store.close();
}
