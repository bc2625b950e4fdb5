import type { CaseData, CaseEvent } from '@wfnet/domain';
import {
  NotFoundError,
  ValidationError,
  caseStreamId,
  foldCaseWithEnded,
  initialCaseState,
} from '@wfnet/domain';
import type { Engine } from '../engine/engine.js';

export interface CaseAtRevision {
  readonly state: CaseData;
  readonly revision: bigint;
  /** The global position of the event at that revision. */
  readonly position: bigint;
}

/**
 * The case as it was right after the event at `revision` (0-based) of its stream, or as it is now
 * when no revision is given: its events up to there, folded straight from the store, with what had
 * ended by then (the diagram counts completed tasks and finished tokens). A revision
 * past the stream's end is refused with 400 `validation_failed` (the message names the last
 * revision), so a client never takes the present for the past it asked for.
 */
export async function caseAtRevision(
  engine: Engine,
  caseId: string,
  revision?: bigint,
): Promise<CaseAtRevision> {
  const maxCount =
    revision !== undefined && revision < BigInt(Number.MAX_SAFE_INTEGER) ? Number(revision) + 1 : undefined;
  const events = await engine.store.readStream(caseStreamId(caseId), { maxCount });
  if (events.length === 0) throw new NotFoundError('case', caseId);
  const last = events[events.length - 1]!;
  if (revision !== undefined && last.revision < revision) {
    throw new ValidationError(
      'validation_failed',
      `case ${caseId} has no revision ${revision}: its last is ${last.revision}`,
      [{ path: 'atRevision', message: `must be at most ${last.revision}` }],
    );
  }
  const state = foldCaseWithEnded(
    initialCaseState(),
    events.map((event) => ({ type: event.type, data: event.data }) as CaseEvent),
  );
  if (state.status === 'none') throw new NotFoundError('case', caseId);
  return { state, revision: last.revision, position: last.position };
}
