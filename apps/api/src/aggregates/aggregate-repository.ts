import { ConcurrencyError } from '@wfnet/domain';
import type { Command, Decider, Event, EventStore, EventToAppend } from '@wfnet/domain';
import type { SnapshotStore } from '../event-store/snapshot-store.js';
import { eventIds } from './event-ids.js';

/** What the repository needs to know of an aggregate besides its decider. */
export interface AggregateCodec<C, S> {
  /** The stream a command goes to, e.g. `case-{caseId}`. */
  streamId(command: C): string;
  /** The state as JSON data; `fromSnapshot(JSON round trip of it)` must give the state back. */
  toSnapshot(state: S): unknown;
  fromSnapshot(json: unknown): S;
  /** A state no command can change any more (a finished case): not worth a place in the cache. */
  isFinal?(state: S): boolean;
}

export interface AggregateRepositoryOptions {
  /** A snapshot is saved each time a stream passes a multiple of this many events (500). */
  readonly snapshotEvery?: number;
  /** How many streams' states stay in memory (1000); the least recently used goes first. */
  readonly cacheSize?: number;
  /** How many times a command is decided before a conflict is given up (5). */
  readonly maxAttempts?: number;
  /** Where a snapshot that could not be saved is reported; the command still succeeds. */
  readonly onSnapshotError?: (error: unknown, streamId: string) => void;
  /**
   * Other processes write the same streams: a cached state is brought up to date with its stream's tail
   * before each use, so that no answer (a refusal, a command that decides nothing, a workitem to run)
   * rests on a state another process has moved on.
   */
  readonly sharedStore?: boolean;
}

export interface LoadedAggregate<S> {
  readonly state: S;
  /** The revision of the last event folded in; -1 when the stream does not exist. */
  readonly revision: bigint;
  readonly source: 'cache' | 'snapshot' | 'replay';
  /** How many events were read and folded to get here. */
  readonly replayed: number;
}

export type AppendedEvent<E extends Event> = E & { readonly id: string; readonly revision: bigint };

export interface CommandResult<E extends Event, S> {
  /** The events the command recorded, in order; empty when the decider decided none. */
  readonly events: readonly AppendedEvent<E>[];
  /** The state the command was decided on. */
  readonly before: S;
  /** The state after the command. */
  readonly state: S;
  /** The stream's revision after the command; -1 when the stream still does not exist. */
  readonly nextRevision: bigint;
  /** The global position of the last event appended; undefined when nothing was appended. */
  readonly position: bigint | undefined;
}

interface CacheEntry<S> {
  readonly state: S;
  readonly revision: bigint;
}

const NO_STREAM = -1n;

/**
 * The one command path of every aggregate: load (cache, else snapshot + tail, else replay), decide,
 * append at the expected revision, and on a conflict reload and decide again a bounded number of times.
 */
export class AggregateRepository<C extends Command, E extends Event, S> {
  readonly #snapshotEvery: bigint;
  readonly #cacheSize: number;
  readonly #maxAttempts: number;
  readonly #sharedStore: boolean;
  readonly #onSnapshotError: (error: unknown, streamId: string) => void;
  /** A Map iterates in insertion order: re-inserting on use makes its first key the least recently used. */
  readonly #cache = new Map<string, CacheEntry<S>>();

  constructor(
    private readonly store: EventStore,
    private readonly snapshots: SnapshotStore,
    private readonly decider: Decider<C, E, S>,
    private readonly codec: AggregateCodec<C, S>,
    options: AggregateRepositoryOptions = {},
  ) {
    this.#snapshotEvery = BigInt(options.snapshotEvery ?? 500);
    this.#cacheSize = options.cacheSize ?? 1000;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#sharedStore = options.sharedStore ?? false;
    this.#onSnapshotError =
      options.onSnapshotError ??
      ((error, streamId) => console.warn(`snapshot of ${streamId} not saved: ${String(error)}`));
    if (this.#snapshotEvery < 1n || this.#cacheSize < 0 || this.#maxAttempts < 1) {
      throw new RangeError('snapshotEvery and maxAttempts must be at least 1, cacheSize at least 0');
    }
  }

  /** How many streams' states are cached. */
  get cached(): number {
    return this.#cache.size;
  }

  async load(streamId: string): Promise<LoadedAggregate<S>> {
    const cached = this.#cache.get(streamId);
    if (cached !== undefined) {
      if (this.#sharedStore) return this.#caughtUp(streamId, cached);
      this.#cache.delete(streamId);
      this.#cache.set(streamId, cached);
      return { ...cached, source: 'cache', replayed: 0 };
    }
    const loaded = await this.#loadFromStore(streamId);
    this.#remember(streamId, loaded);
    return loaded;
  }

  async handle(command: C): Promise<CommandResult<E, S>> {
    const streamId = this.codec.streamId(command);
    for (let attempt = 1; ; attempt++) {
      const { state, revision } = await this.load(streamId);
      const { events: decided, state: after } = this.#decideAndFold(command, state);
      if (decided.length === 0)
        return { events: [], before: state, state, nextRevision: revision, position: undefined };
      const ids = eventIds(decided.length);
      const toAppend = decided.map((event, i): EventToAppend => ({
        id: ids[i] as string,
        type: event.type,
        data: event.data,
      }));
      try {
        const { nextRevision, position } = await this.store.append(
          streamId,
          toAppend,
          revision === NO_STREAM ? 'no_stream' : revision,
        );
        this.#remember(streamId, { state: after, revision: nextRevision });
        await this.#snapshotIfDue(streamId, revision, nextRevision, after);
        const events = decided.map((event, i) => ({
          ...event,
          id: (toAppend[i] as EventToAppend).id,
          revision: revision + 1n + BigInt(i),
        }));
        return { events, before: state, state: after, nextRevision, position };
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        // Someone else wrote the stream: what we hold is stale.
        this.#cache.delete(streamId);
        if (attempt >= this.#maxAttempts) throw error;
      }
    }
  }

  /** The decider's `decideAndFold`, or its `decide` and then its `fold`. */
  #decideAndFold(command: C, state: S): { readonly events: readonly E[]; readonly state: S } {
    if (this.decider.decideAndFold) return this.decider.decideAndFold(command, state);
    const events = this.decider.decide(command, state);
    return { events, state: this.decider.fold(state, events) };
  }

  async #caughtUp(streamId: string, cached: CacheEntry<S>): Promise<LoadedAggregate<S>> {
    const tail = await this.store.readStream(streamId, { fromRevision: cached.revision + 1n });
    const entry = {
      state: this.decider.fold(
        cached.state,
        tail.map((recorded) => ({ type: recorded.type, data: recorded.data }) as E),
      ),
      revision: tail[tail.length - 1]?.revision ?? cached.revision,
    };
    this.#remember(streamId, entry);
    return { ...entry, source: 'cache', replayed: tail.length };
  }

  async #loadFromStore(streamId: string): Promise<LoadedAggregate<S>> {
    let state = this.decider.initialState();
    let revision = NO_STREAM;
    let source: 'snapshot' | 'replay' = 'replay';
    const snapshot = await this.snapshots.load(streamId);
    if (snapshot !== undefined) {
      try {
        state = this.codec.fromSnapshot(snapshot.state);
        revision = snapshot.revision;
        source = 'snapshot';
      } catch {
        // A snapshot of an older state shape: replaying the stream is always correct.
        state = this.decider.initialState();
      }
    }
    const tail = await this.store.readStream(streamId, { fromRevision: revision + 1n });
    state = this.decider.fold(
      state,
      tail.map((recorded) => ({ type: recorded.type, data: recorded.data }) as E),
    );
    revision = tail[tail.length - 1]?.revision ?? revision;
    return { state, revision, source, replayed: tail.length };
  }

  #remember(streamId: string, entry: CacheEntry<S>): void {
    const cached = this.#cache.get(streamId);
    // A slower command of ours may finish after a faster one: never replace a newer state.
    if (cached !== undefined && cached.revision > entry.revision) return;
    this.#cache.delete(streamId);
    if (this.#cacheSize === 0 || this.codec.isFinal?.(entry.state)) return;
    this.#cache.set(streamId, { state: entry.state, revision: entry.revision });
    if (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value as string);
  }

  async #snapshotIfDue(streamId: string, before: bigint, after: bigint, state: S): Promise<void> {
    // Event counts are revision + 1; a snapshot is due when the append passed a multiple of N.
    if ((before + 1n) / this.#snapshotEvery === (after + 1n) / this.#snapshotEvery) return;
    try {
      await this.snapshots.save(streamId, after, this.codec.toSnapshot(state));
    } catch (error) {
      this.#onSnapshotError(error, streamId);
    }
  }
}
