import { Worker } from 'node:worker_threads';
import type { CheckpointStore } from '../followers/checkpoint-store.js';
import type { CatchUpProgress } from './read-model-runner.js';
import { ReadModelRunner } from './read-model-runner.js';
import type { ProjectionRunnerOptions } from './projection-runner.js';
import type { ReadStore } from './read-store.js';
import { sqliteFilesOf } from './sqlite-event-reader.js';
import type { SqliteReadStore } from './sqlite-read-store.js';
import { threadScript } from './thread-script.js';
import { realFile } from '../sqlite/writer-lock.js';

/** What the thread's runner is given: its options that are data. */
export type ThreadRunnerOptions = Omit<
  ProjectionRunnerOptions,
  'views' | 'log' | 'warn' | 'onPosition' | 'settleTo'
>;

export interface ProjectionThreadData {
  readonly eventsFile: string;
  readonly readModelsFile: string;
  readonly runner: ThreadRunnerOptions;
}

/** What the main thread asks of the thread, each answered by a `reply` of the same id. */
export type ThreadCall =
  | { readonly type: 'start' | 'stop' | 'rebuild' }
  | { readonly type: 'save'; readonly followerId: string; readonly position: bigint };

export type ThreadRequest =
  | (ThreadCall & { readonly id: number })
  /** The main thread committed events: the thread's subscription reads again. */
  | { readonly type: 'committed' };

export type ThreadReply =
  | {
      readonly type: 'state';
      readonly position: bigint;
      readonly following: boolean;
      readonly lastError: string | undefined;
    }
  | { readonly type: 'progress'; readonly id: number; readonly progress: CatchUpProgress }
  | { readonly type: 'log' | 'warn'; readonly line: string }
  | { readonly type: 'reply'; readonly id: number; readonly result?: unknown; readonly error?: string };

/** An event store that tells of its commits in this thread (the embedded SQLite store). */
export interface CommitsTold {
  onCommit(listener: (head: bigint) => void): () => void;
}

export interface ProjectionThreadOptions extends ThreadRunnerOptions {
  readonly log?: (line: string) => void;
  readonly warn?: (line: string) => void;
  /** Pause before starting the thread again after it died. */
  readonly restartDelayMs?: number;
}

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly onProgress: ((progress: CatchUpProgress) => void) | undefined;
}

/**
 * Keeps the read models up to date on a thread of its own, so that projecting and writing them takes
 * nothing from the thread that decides and appends: the embedded store's other core does it. It needs
 * the events and the read models in two SQLite files: one writer per file, and neither waits for the
 * other's locks. Reads stay on this thread's connection to the read models, which sees each of the
 * thread's commits once made; the position moves when the thread says it committed.
 */
export class ProjectionThread extends ReadModelRunner implements CheckpointStore {
  readonly #data: ProjectionThreadData;
  readonly #log: (line: string) => void;
  readonly #warn: (line: string) => void;
  readonly #restartDelayMs: number;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #stopCommits: (() => void) | undefined;
  #nextId = 1;
  /** The last position committed in this thread, as the store told. */
  #committed = 0n;
  #following = false;
  #lastError: Error | undefined;
  /** Between `start` and `stop`: a thread that dies then is started again. */
  #wanted = false;
  #restart: NodeJS.Timeout | undefined;

  /** The thread for these stores, when the events and the read models are two SQLite files. */
  static for(
    store: object,
    readStore: ReadStore,
    options: ProjectionThreadOptions = {},
  ): ProjectionThread | undefined {
    const files = sqliteFilesOf(store, readStore);
    if (files === undefined || !isCommitsTold(store)) return undefined;
    if (sameFile(files.eventsFile, files.readStore.file)) return undefined;
    return new ProjectionThread(store, files.readStore, files.eventsFile, options);
  }

  /** `for` says when a thread is right for two stores. */
  constructor(
    private readonly store: CommitsTold,
    private readonly readStore: SqliteReadStore,
    eventsFile: string,
    options: ProjectionThreadOptions,
  ) {
    super(readStore.checkpoint());
    const { log, warn, restartDelayMs, ...runner } = options;
    this.#data = { eventsFile, readModelsFile: readStore.file, runner };
    this.#log = log ?? (() => undefined);
    this.#warn = warn ?? this.#log;
    this.#restartDelayMs = restartDelayMs ?? 1000;
  }

  get following(): boolean {
    return this.#following;
  }

  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** The thread running now, if any. */
  protected get worker(): Worker | undefined {
    return this.#worker;
  }

  start(onProgress?: (progress: CatchUpProgress) => void): Promise<void> {
    return this.serially(async () => {
      this.#wanted = true;
      const adopted = this.readStore.adoptCheckpoints(this.#data.eventsFile);
      if (adopted.length > 0)
        this.#log(`read models: took the checkpoints of ${adopted.join(', ')} from ${this.#data.eventsFile}`);
      try {
        await this.#startThread(onProgress);
      } catch (error) {
        this.#wanted = false;
        await this.#abandonThread();
        throw error;
      }
    });
  }

  stop(): Promise<void> {
    return this.serially(async () => {
      this.#wanted = false;
      clearTimeout(this.#restart);
      await this.#stopThread();
      this.failWaiters('the projection runner stopped');
    });
  }

  rebuild(onProgress?: (progress: CatchUpProgress) => void): Promise<CatchUpProgress> {
    return this.serially(async () => {
      if (this.#worker === undefined) await this.#startThread(undefined, false);
      try {
        return (await this.#request({ type: 'rebuild' }, onProgress)) as CatchUpProgress;
      } finally {
        if (!this.#wanted) await this.#stopThread();
      }
    });
  }

  protected override settleTarget(): bigint | undefined {
    return this.#worker === undefined ? undefined : this.#committed;
  }

  load(followerId: string): Promise<bigint | undefined> {
    return this.readStore.load(followerId);
  }

  /** Through the thread while it runs: it is then the read models' file's one writer. */
  async save(followerId: string, position: bigint): Promise<void> {
    if (this.#worker === undefined) return this.readStore.save(followerId, position);
    await this.#request({ type: 'save', followerId, position });
  }

  async #startThread(onProgress?: (progress: CatchUpProgress) => void, follow = true): Promise<void> {
    if (this.#worker !== undefined) return;
    const worker = new Worker(threadScript('projection-worker.js'), {
      workerData: this.#data,
      // As the replay threads: a batch's documents outlive a small young generation.
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
    this.#worker = worker;
    worker.on('message', (reply: ThreadReply) => this.#receive(reply));
    worker.on('error', (error) => this.#died(worker, error));
    worker.on('exit', (code) =>
      this.#died(worker, new Error(`the read models thread exited (code ${code})`)),
    );
    this.#stopCommits = this.store.onCommit((head) => {
      this.#committed = head;
      worker.postMessage({ type: 'committed' });
    });
    if (follow) await this.#request({ type: 'start' }, onProgress);
  }

  async #stopThread(): Promise<void> {
    if (this.#worker === undefined) return;
    try {
      await this.#request({ type: 'stop' });
    } finally {
      await this.#abandonThread();
      this.#following = false;
    }
  }

  /** Ends the thread without asking it to stop (after a stop, or a failed start). */
  async #abandonThread(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#detach(worker);
    await worker.terminate();
  }

  #detach(worker: Worker): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#stopCommits?.();
    this.#stopCommits = undefined;
    worker.removeAllListeners();
  }

  #died(worker: Worker, error: Error): void {
    if (this.#worker !== worker) return;
    this.#detach(worker);
    this.#following = false;
    this.#lastError = error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    if (this.#wanted) this.#scheduleRestart(error);
  }

  #scheduleRestart(error: Error): void {
    this.#warn(`read models: ${error.message}; starting the thread again in ${this.#restartDelayMs} ms`);
    this.#restart = setTimeout(() => {
      this.serially(async () => {
        if (!this.#wanted || this.#worker !== undefined) return;
        try {
          await this.#startThread();
        } catch (failure) {
          await this.#abandonThread();
          this.#lastError = failure instanceof Error ? failure : new Error(String(failure));
          if (this.#wanted) this.#scheduleRestart(this.#lastError);
        }
      }).catch(() => undefined);
    }, this.#restartDelayMs);
  }

  #receive(reply: ThreadReply): void {
    switch (reply.type) {
      case 'state':
        this.#following = reply.following;
        this.#lastError = reply.lastError === undefined ? undefined : new Error(reply.lastError);
        this.moveTo(reply.position);
        return;
      case 'progress':
        this.#pending.get(reply.id)?.onProgress?.(reply.progress);
        return;
      case 'log':
        this.#log(reply.line);
        return;
      case 'warn':
        this.#warn(reply.line);
        return;
      case 'reply': {
        const pending = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        if (reply.error === undefined) pending?.resolve(reply.result);
        else pending?.reject(new Error(reply.error));
        return;
      }
    }
  }

  #request(request: ThreadCall, onProgress?: (progress: CatchUpProgress) => void): Promise<unknown> {
    const worker = this.#worker;
    if (worker === undefined) return Promise.reject(new Error('the read models thread is not running'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      worker.postMessage({ ...request, id });
    });
  }
}

function isCommitsTold(store: object): store is CommitsTold {
  return typeof (store as Partial<CommitsTold>).onCommit === 'function';
}

function sameFile(a: string, b: string): boolean {
  return realFile(a) === realFile(b);
}
