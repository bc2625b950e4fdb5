import type { IllegalStateCode } from '../core/errors.js';
import type { Net } from '../net/net.js';
import { isEnabled } from '../net/net.js';
import { awaitedInputs } from '../net/or-blocks.js';
import type { Task, Token, Workitem } from '../case/state.js';
import { hasEnded } from '../workitem/workitem.js';

export const isLive = (task: Task): boolean =>
  task.state === 'started' || task.state === 'allocated' || task.state === 'executing';

/**
 * The places a task needs a token from. An `or` join needs its first offered control token's place and the
 * inputs of the branches that token names, so it never waits for a branch its split did not choose;
 * without a control token it needs one, which `undefined` says. Every other join needs its join places.
 */
export function requiredPlaces(
  net: Net,
  task: Task,
  offered: readonly Token[],
): readonly string[] | undefined {
  const block = net.orBlockOf(task.transitionId, 'join');
  if (!block) return net.joinPlaces(task.transitionId);
  const control = offered.find((token) => token.placeId === block.controlPlace);
  return control && [block.controlPlace, ...awaitedInputs(block, control.payload)];
}

/** A `started` task allocates once its offered tokens satisfy its transition's join rule. */
export function canAllocate(net: Net, task: Task, tokenOf: (id: string) => Token): boolean {
  if (task.state !== 'started') return false;
  const offered = task.offered.map(tokenOf);
  const offeredPlaces = new Set(offered.map((token) => token.placeId));
  if (!net.orBlockOf(task.transitionId, 'join')) {
    return isEnabled(net, task.transitionId, (placeId) => offeredPlaces.has(placeId));
  }
  return requiredPlaces(net, task, offered)?.every((placeId) => offeredPlaces.has(placeId)) === true;
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
  const required = requiredPlaces(net, task, offered);
  if (!required) {
    return { ok: false, code: 'task_not_enabled', message: `task ${task.id} has no control token offered` };
  }
  const tokenIds: string[] = [];
  for (const placeId of required) {
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
