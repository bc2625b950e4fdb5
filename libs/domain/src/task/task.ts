import type { IllegalStateCode } from '../core/errors.js';
import type { Net } from '../net/net.js';
import { isEnabled } from '../net/net.js';
import type { Task, Token, Workitem } from '../case/state.js';
import { hasEnded } from '../workitem/workitem.js';

export const isLive = (task: Task): boolean =>
  task.state === 'started' || task.state === 'allocated' || task.state === 'executing';

/** A `started` task allocates once its offered tokens satisfy its transition's join rule. */
export function canAllocate(net: Net, task: Task, tokenOf: (id: string) => Token): boolean {
  if (task.state !== 'started') return false;
  const offeredPlaces = new Set(task.offered.map((id) => tokenOf(id).placeId));
  return isEnabled(net, task.transitionId, (placeId) => offeredPlaces.has(placeId));
}

export type LockSelection =
  | { readonly ok: true; readonly tokenIds: readonly string[] }
  | { readonly ok: false; readonly code: IllegalStateCode; readonly message: string };

/**
 * Preexecute's all-or-nothing choice: one offered token still free from each place the join needs. A
 * place with no offered token makes the task not enabled; a place whose offered tokens are all taken by
 * others makes the tokens not available.
 */
export function selectTokensToLock(net: Net, task: Task, tokenOf: (id: string) => Token): LockSelection {
  if (task.state !== 'allocated') {
    return {
      ok: false,
      code: 'task_not_enabled',
      message: `task ${task.id} is ${task.state}, not allocated`,
    };
  }
  const offered = task.offered.map(tokenOf);
  const tokenIds: string[] = [];
  for (const placeId of net.joinPlaces(task.transitionId)) {
    const inPlace = offered.filter((token) => token.placeId === placeId);
    if (inPlace.length === 0) {
      return {
        ok: false,
        code: 'task_not_enabled',
        message: `task ${task.id} has no token offered from place ${placeId}`,
      };
    }
    const free = inPlace.find((token) => token.state === 'free');
    if (!free) {
      return {
        ok: false,
        code: 'tokens_not_available',
        message: `the tokens offered to task ${task.id} from place ${placeId} are taken by another task`,
      };
    }
    tokenIds.push(free.id);
  }
  return { ok: true, tokenIds };
}

/**
 * What a live task's workitems call for: it completes once all have ended and at least one completed
 * (its tokens locked), it is abandoned once all have been abandoned, otherwise it waits.
 */
export function settledOutcome(task: Task, workitems: readonly Workitem[]): 'complete' | 'abandon' | 'wait' {
  if (workitems.length === 0 || !workitems.every(hasEnded)) return 'wait';
  if (workitems.some((w) => w.state === 'completed')) return task.state === 'executing' ? 'complete' : 'wait';
  return 'abandon';
}
