import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ReadStore, TableSpec } from './read-store.js';
import { sqliteFilesOf } from './sqlite-event-reader.js';
import type { PreparedWrites } from './sqlite-read-store.js';
import type { SqliteReadStore } from './sqlite-read-store.js';
import { threadScript } from './thread-script.js';

export interface ReplayWorkerData {
  readonly eventsFile: string;
  readonly readModelsFile: string;
  readonly share: number;
  readonly shares: number;
  readonly tables: readonly TableSpec[];
  readonly cacheSize: number;
}

export type ReplayRequest =
  | { readonly type: 'project'; readonly after: bigint; readonly upTo: bigint }
  /** The writer committed every range up to here. */
  | { readonly type: 'committed'; readonly upTo: bigint };

export type ReplayReply =
  | {
      readonly type: 'projected';
      readonly upTo: bigint;
      readonly events: number;
      /** In the order of their first change. */
      readonly writes: PreparedWrites;
      /** For each write, the position of the event that first changed its document. */
      readonly at: BigInt64Array<ArrayBuffer>;
      /** For each write, where it starts in `writes`. */
      readonly starts: Uint32Array<ArrayBuffer>;
    }
  | { readonly type: 'failed'; readonly message: string };

export interface ParallelReplayOptions {
  /** Worker threads, each projecting one share of the streams; the calling thread writes. */
  readonly threads?: number;
  /** Positions per range: each range is one transaction of the writer. */
  readonly rangeSize?: number;
  /** Ranges a thread may run ahead of the writer. */
  readonly lookahead?: number;
  /** Documents each thread keeps per read model between ranges. */
  readonly cacheSize?: number;
  /** Fewer events than this behind are replayed on the calling thread: starting threads costs. */
  readonly minEvents?: number;
}

/** One worker thread and the replies it sent, in order. */
class ReplayThread {
  readonly #worker: Worker;
  readonly #replies: ReplayReply[] = [];
  #waiting: { resolve: (reply: ReplayReply) => void; reject: (error: Error) => void } | undefined;
  #failure: Error | undefined;

  constructor(data: ReplayWorkerData) {
    // A range's documents outlive a small young generation; promoted, they die in the old one and bring on
    // full collections, the more so under `npm start`'s --heap-growing-percent=100. 192 MB is a 64 MB
    // semi-space, as `npm run rebuild` gives its own thread.
    this.#worker = new Worker(threadScript('replay-worker.js'), {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: 192 },
    });
    this.#worker.on('message', (reply: ReplayReply) => {
      if (this.#waiting) {
        this.#waiting.resolve(reply);
        this.#waiting = undefined;
      } else this.#replies.push(reply);
    });
    const fail = (error: Error): void => {
      this.#failure ??= error;
      this.#waiting?.reject(error);
      this.#waiting = undefined;
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`a replay thread exited (code ${code})`)));
  }

  send(request: ReplayRequest): void {
    this.#worker.postMessage(request);
  }

  next(): Promise<ReplayReply> {
    const reply = this.#replies.shift();
    if (reply) return Promise.resolve(reply);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  async stop(): Promise<void> {
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }
}

/**
 * Replays the embedded event store into SQLite read models on several threads. Documents are fed by one
 * stream each, so each worker thread projects a share of the streams, reading the events itself; this
 * thread, the read store's one writer, merges each range's writes back into position order (creation
 * order stays what a replay on one thread gives) and commits them with the range's end as checkpoint.
 */
export class ParallelReplay {
  readonly minEvents: number;
  readonly threads: number;
  readonly #rangeSize: bigint;
  readonly #lookahead: number;
  readonly #cacheSize: number;

  /** A replay for these stores, when both are SQLite files; undefined otherwise. */
  static for(
    store: object,
    readStore: ReadStore,
    options: ParallelReplayOptions = {},
  ): ParallelReplay | undefined {
    const files = sqliteFilesOf(store, readStore);
    return files && new ParallelReplay(files.eventsFile, files.readStore, options);
  }

  private constructor(
    private readonly eventsFile: string,
    private readonly readStore: SqliteReadStore,
    options: ParallelReplayOptions,
  ) {
    this.threads = options.threads ?? Math.min(4, Math.max(2, availableParallelism()));
    this.#rangeSize = BigInt(options.rangeSize ?? 50_000);
    this.#lookahead = options.lookahead ?? 2;
    this.#cacheSize = options.cacheSize ?? 10_000;
    this.minEvents = options.minEvents ?? 100_000;
  }

  /**
   * Projects the events past `after` up to `upTo`, committing range by range and telling `committed`
   * each time. A failure leaves the read models at the last committed range.
   */
  async run(
    after: bigint,
    upTo: bigint,
    committed: (position: bigint, events: number) => void,
  ): Promise<void> {
    const ranges: { readonly after: bigint; readonly upTo: bigint }[] = [];
    for (let from = after; from < upTo; from += this.#rangeSize) {
      ranges.push({ after: from, upTo: from + this.#rangeSize < upTo ? from + this.#rangeSize : upTo });
    }
    const threads = Array.from(
      { length: this.threads },
      (_, share) =>
        new ReplayThread({
          eventsFile: this.eventsFile,
          readModelsFile: this.readStore.file,
          share,
          shares: this.threads,
          tables: this.readStore.tables,
          cacheSize: this.#cacheSize,
        }),
    );
    let sent = 0;
    const sendAhead = (done: number): void => {
      for (; sent < ranges.length && sent <= done + this.#lookahead; sent++) {
        const range = ranges[sent] as (typeof ranges)[number];
        for (const thread of threads) thread.send({ type: 'project', ...range });
      }
    };
    try {
      sendAhead(0);
      for (const [done, range] of ranges.entries()) {
        const replies = await Promise.all(threads.map((thread) => thread.next()));
        const projected = replies.map((reply) => {
          if (reply.type === 'failed') throw new Error(`a replay thread failed: ${reply.message}`);
          if (reply.upTo !== range.upTo)
            throw new Error(`a replay thread answered ${reply.upTo} for ${range.upTo}`);
          return reply;
        });
        this.readStore.commitPrepared(mergeInPositionOrder(projected), range.upTo);
        for (const thread of threads) thread.send({ type: 'committed', upTo: range.upTo });
        committed(
          range.upTo,
          projected.reduce((sum, reply) => sum + reply.events, 0),
        );
        sendAhead(done + 1);
      }
    } finally {
      await Promise.all(threads.map((thread) => thread.stop()));
    }
  }
}

type Projected = Extract<ReplayReply, { type: 'projected' }>;

/** The writes of every share, by the position of their first change; each share's are in that order already. */
function mergeInPositionOrder(shares: readonly Projected[]): PreparedWrites {
  const merged: PreparedWrites = [];
  const next = shares.map(() => 0);
  for (;;) {
    let pick: Projected | undefined;
    let pickShare = -1;
    for (const [share, projected] of shares.entries()) {
      const i = next[share] as number;
      if (i >= projected.at.length) continue;
      if (
        pick === undefined ||
        (projected.at[i] as bigint) < (pick.at[next[pickShare] as number] as bigint)
      ) {
        pick = projected;
        pickShare = share;
      }
    }
    if (pick === undefined) return merged;
    const i = next[pickShare] as number;
    const end = i + 1 < pick.starts.length ? (pick.starts[i + 1] as number) : pick.writes.length;
    for (let k = pick.starts[i] as number; k < end; k++) merged.push(pick.writes[k] as string | null);
    next[pickShare] = i + 1;
  }
}
