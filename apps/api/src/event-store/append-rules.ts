import { ConcurrencyError } from '@wfnet/domain';
import type { AppendResult, EventToAppend, ExpectedRevision } from '@wfnet/domain';

/** The revision of a stream that does not exist yet: its first event gets revision 0. */
export const NO_STREAM = -1n;

/** Page size of `readAll` when the caller names none. */
export const DEFAULT_READ_ALL_PAGE = 1000;

/** Refuses an append that no adapter could store the same way: an empty batch or an id given twice. */
export function checkBatch(streamId: string, events: readonly EventToAppend[]): void {
  if (streamId.length === 0) throw new RangeError('append: the stream id is empty');
  if (events.length === 0) throw new RangeError(`append to ${streamId}: no events given`);
  const ids = new Set(events.map((e) => e.id));
  if (ids.size !== events.length) throw new RangeError(`append to ${streamId}: an event id appears twice`);
}

export function expectationHolds(expected: ExpectedRevision, current: bigint): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === NO_STREAM;
    case 'stream_exists':
      return current !== NO_STREAM;
    default:
      return current === expected;
  }
}

export function describeRevision(revision: ExpectedRevision): string {
  return revision === NO_STREAM ? 'no_stream' : revision.toString();
}

export function concurrencyError(
  streamId: string,
  expected: ExpectedRevision,
  current: bigint,
): ConcurrencyError {
  return new ConcurrencyError(streamId, describeRevision(expected), describeRevision(current));
}

/** Where an already recorded event is. */
export interface Placement {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
}

/**
 * Decides whether an append is the retry of one already recorded: every id of the batch sits in this
 * stream at consecutive revisions, starting where the expected revision said. Answers the original
 * result, `undefined` when none of the ids is recorded, and throws when only some are or they sit
 * elsewhere (the caller reused ids for different events).
 */
export function matchRetry(
  streamId: string,
  events: readonly { readonly id: string }[],
  expected: ExpectedRevision,
  current: bigint,
  find: (id: string) => Placement | undefined,
): AppendResult | undefined {
  const placements = events.map((e) => find(e.id));
  if (placements.every((p) => p === undefined)) return undefined;
  const first = placements[0];
  const start =
    expected === 'no_stream' ? 0n : typeof expected === 'bigint' ? expected + 1n : first?.revision;
  const linesUp =
    first !== undefined &&
    first.revision === start &&
    placements.every(
      (p, i) => p !== undefined && p.streamId === streamId && p.revision === first.revision + BigInt(i),
    );
  if (!linesUp) throw concurrencyError(streamId, expected, current);
  const last = placements[placements.length - 1] as Placement;
  return { nextRevision: last.revision, position: last.position };
}
