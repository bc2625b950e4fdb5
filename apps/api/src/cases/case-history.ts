import type { CaseData, CaseEvent, EventStore, EventSubscription, RecordedEvent, Route } from '@wfnet/domain';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  NotFoundError,
  ValidationError,
  caseStreamId,
  foldCaseWithEnded,
  initialCaseState,
} from '@wfnet/domain';

export interface CaseAtRevision {
  readonly state: CaseData;
  readonly revision: bigint;
  /** The global position of the event at that revision. */
  readonly position: bigint;
  /** The route of the last completion of each transition whose split decides, by transition id. */
  readonly routes: ReadonlyMap<string, Route>;
}

/** A case's history so far and, unless the case has ended, its events from there on as they are recorded. */
export interface CaseFollow {
  readonly history: readonly RecordedEvent[];
  readonly live: EventSubscription | undefined;
}

/** Events of a history page read in one turn of the event loop at first, and how long a turn may take. */
const FIRST_SLICE = 100;
const SLICE_MS = 10;

const ENDS_CASE = new Set<string>(['CaseFinished', 'CaseTerminated']);

export const endsCase = (event: RecordedEvent): boolean => ENDS_CASE.has(event.type);

/** A state keeps no route, its history does: `state` holds every task (ended ones too) of `events`. */
function lastRoutes(state: CaseData, events: readonly CaseEvent[]): ReadonlyMap<string, Route> {
  const routes = new Map<string, Route>();
  for (const event of events) {
    if (event.type !== 'TaskCompleted' || event.data.route === undefined) continue;
    const transitionId = state.tasks.get(event.data.taskId)?.transitionId;
    if (transitionId !== undefined) routes.set(transitionId, event.data.route);
  }
  return routes;
}

/**
 * The reads of a case that go to its own stream rather than to a read model: its history, the case as it
 * was at a revision, and its events as they happen. Live follows are tracked so that a shutdown can end
 * them: the HTTP server only closes once every response has ended, so a client following a case would
 * otherwise keep the process from stopping.
 */
export class CaseHistory {
  readonly #live = new Set<EventSubscription>();
  #ended = false;

  constructor(private readonly store: EventStore) {}

  /**
   * Up to `limit` events from `fromRevision` on; a case that does not exist is a `NotFoundError`. Read a
   * slice at a time, a turn of the event loop each, the slices halved while one takes longer than
   * `SLICE_MS`: a page of 1,000 events of large payloads would otherwise be decoded in one stretch.
   */
  async page(caseId: string, fromRevision: bigint, limit: number): Promise<readonly RecordedEvent[]> {
    const streamId = caseStreamId(caseId);
    const events: RecordedEvent[] = [];
    let slice = FIRST_SLICE;
    for (let from = fromRevision; events.length < limit;) {
      if (events.length > 0) await nextTurn();
      const wanted = Math.min(slice, limit - events.length);
      const started = performance.now();
      const read = await this.store.readStream(streamId, { fromRevision: from, maxCount: wanted });
      events.push(...read);
      if (read.length < wanted) break;
      from = read[read.length - 1]!.revision + 1n;
      if (performance.now() - started > SLICE_MS) slice = Math.max(1, slice >> 1);
    }
    if (events.length === 0 && (await this.store.readStream(streamId, { maxCount: 1 })).length === 0)
      throw new NotFoundError('case', caseId);
    return events;
  }

  /**
   * The case as it was right after the event at `revision` (0-based) of its stream, or as it is now
   * when no revision is given: its events up to there, folded straight from the store, with what had
   * ended by then (the diagram counts completed tasks and finished tokens). A revision
   * past the stream's end is refused with 400 `validation_failed` (the message names the last
   * revision), so a client never takes the present for the past it asked for.
   */
  async atRevision(caseId: string, revision?: bigint): Promise<CaseAtRevision> {
    const maxCount =
      revision !== undefined && revision < BigInt(Number.MAX_SAFE_INTEGER) ? Number(revision) + 1 : undefined;
    const events = await this.store.readStream(caseStreamId(caseId), { maxCount });
    const last = events[events.length - 1];
    if (!last) throw new NotFoundError('case', caseId);
    if (revision !== undefined && last.revision < revision) {
      throw new ValidationError(
        'validation_failed',
        `case ${caseId} has no revision ${revision}: its last is ${last.revision}`,
        [{ path: 'atRevision', message: `must be at most ${last.revision}` }],
      );
    }
    const caseEvents = events.map((event) => ({ type: event.type, data: event.data }) as CaseEvent);
    const state = foldCaseWithEnded(initialCaseState(), caseEvents);
    if (state.status === 'none') throw new NotFoundError('case', caseId);
    return { state, revision: last.revision, position: last.position, routes: lastRoutes(state, caseEvents) };
  }

  /** After `endLiveReads`, a new follow gets its history with a live part that delivers nothing. */
  async follow(caseId: string): Promise<CaseFollow> {
    const streamId = caseStreamId(caseId);
    const history = await this.store.readStream(streamId);
    const last = history[history.length - 1];
    if (!last) throw new NotFoundError('case', caseId);
    if (endsCase(last)) return { history, live: undefined };
    const subscription = this.store.subscribe({ after: last.position, streamPrefixes: [streamId] });
    if (this.#ended) void subscription.close();
    else this.#live.add(subscription);
    const live: EventSubscription = {
      [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
      close: () => {
        this.#live.delete(subscription);
        return subscription.close();
      },
    };
    return { history, live };
  }

  /** Ends every live follow, and any opened later, so that an HTTP server can close. */
  async endLiveReads(): Promise<void> {
    this.#ended = true;
    const live = [...this.#live];
    this.#live.clear();
    await Promise.all(live.map((subscription) => subscription.close()));
  }
}
