import type { WorkflowDefinition } from '../net/definition.js';
import type { Arc } from '../net/definition.js';
import { placeTransitionJoin, placeTransitionSplit } from '../net/kinds.js';
import type { TransitionInput } from '../net/normalize.js';
import { normalizeWorkflow } from '../net/normalize.js';

// Small sound and unsound workflow nets of the workflow-net literature (van der Aalst, "The application
// of Petri nets to workflow management", 1998; "Verification of workflow nets", 1997), for the verifier.

/** A net from `from → to` arcs: places are the nodes not named as transitions; joins and splits follow the arcs. */
function net(
  id: string,
  transitionIds: readonly string[],
  arcs: readonly (readonly [string, string])[],
): WorkflowDefinition {
  const transitions = new Set(transitionIds);
  const places = new Set<string>();
  for (const [from, to] of arcs) {
    if (!transitions.has(from)) places.add(from);
    if (!transitions.has(to)) places.add(to);
  }
  const count = (ends: (arc: readonly [string, string]) => boolean): number => arcs.filter(ends).length;
  return normalizeWorkflow({
    id,
    places: [...places].map((placeId) => ({
      id: placeId,
      type: placeId === 'start' ? 'start' : placeId === 'end' ? 'end' : 'normal',
    })),
    transitions: transitionIds.map((transitionId): TransitionInput => ({
      id: transitionId,
      executor: 'manual',
      joinType: placeTransitionJoin(count(([, to]) => to === transitionId)),
      splitType: placeTransitionSplit(count(([from]) => from === transitionId)),
    })),
    arcs: arcs.map(([from, to]): Arc => ({ from, to })),
  });
}

/** An and split whose branches both lead to end, with no join: a token reaches end while the other runs on. */
export function missingJoinNet(): WorkflowDefinition {
  return net(
    'missing-join',
    ['split', 'left', 'right'],
    [
      ['start', 'split'],
      ['split', 'a'],
      ['split', 'b'],
      ['a', 'left'],
      ['b', 'right'],
      ['left', 'end'],
      ['right', 'end'],
    ],
  );
}

/** A choice (`x` or `y`) joined by an and join: the join waits forever for the branch not taken. */
export function choiceAndJoinNet(): WorkflowDefinition {
  return net(
    'choice-and-join',
    ['x', 'y', 'join'],
    [
      ['start', 'x'],
      ['start', 'y'],
      ['x', 'l'],
      ['y', 'r'],
      ['l', 'join'],
      ['r', 'join'],
      ['join', 'end'],
    ],
  );
}

/**
 * Sound but for one dead transition: each branch of a choice can end on its own, and the and join of
 * both branches can never fire.
 */
export function deadJoinNet(): WorkflowDefinition {
  return net(
    'dead-join',
    ['x', 'y', 'finish-l', 'finish-r', 'join'],
    [
      ['start', 'x'],
      ['start', 'y'],
      ['x', 'l'],
      ['y', 'r'],
      ['l', 'finish-l'],
      ['r', 'finish-r'],
      ['finish-l', 'end'],
      ['finish-r', 'end'],
      ['l', 'join'],
      ['r', 'join'],
      ['join', 'end'],
    ],
  );
}

/**
 * A loop `p ⇄ q` left only by an and join with `g`, which only the choice `a2` provides: after `a` the
 * case cycles forever and never ends, although something is always enabled.
 */
export function livelockNet(): WorkflowDefinition {
  return net(
    'livelock',
    ['a', 'a2', 'b', 'c', 'x'],
    [
      ['start', 'a'],
      ['start', 'a2'],
      ['a', 'p'],
      ['a2', 'p'],
      ['a2', 'g'],
      ['p', 'b'],
      ['b', 'q'],
      ['q', 'c'],
      ['c', 'p'],
      ['q', 'x'],
      ['g', 'x'],
      ['x', 'end'],
    ],
  );
}

/**
 * `produce` puts a token back in `p` and one more in `buf` each time it fires, and `consume` takes only
 * one of them: `buf` is unbounded. Stopping before producing leaves `consume` waiting: a deadlock.
 */
export function producerLoopNet(): WorkflowDefinition {
  return net(
    'producer-loop',
    ['init', 'produce', 'stop', 'consume'],
    [
      ['start', 'init'],
      ['init', 'p'],
      ['p', 'produce'],
      ['produce', 'p'],
      ['produce', 'buf'],
      ['p', 'stop'],
      ['stop', 'done'],
      ['done', 'consume'],
      ['buf', 'consume'],
      ['consume', 'end'],
    ],
  );
}

/**
 * Sound, not free-choice and not safe: two tokens meet in `m` and are taken one after the other, in turn
 * with the control places `s1` and `s2`. The reduction rules cannot remove everything here.
 */
export function twoTokensInTurnNet(): WorkflowDefinition {
  return net(
    'two-tokens-in-turn',
    ['split', 'ta', 'tb', 'k1', 'k2'],
    [
      ['start', 'split'],
      ['split', 'a'],
      ['split', 'b'],
      ['split', 's1'],
      ['a', 'ta'],
      ['b', 'tb'],
      ['ta', 'm'],
      ['tb', 'm'],
      ['m', 'k1'],
      ['s1', 'k1'],
      ['k1', 's2'],
      ['m', 'k2'],
      ['s2', 'k2'],
      ['k2', 'end'],
    ],
  );
}

/**
 * `branches` parallel branches of `length` steps each between an and split and an and join: sound, with
 * `(length + 1) ^ branches` reachable markings inside the block.
 */
export function wideParallelNet(branches: number, length: number): WorkflowDefinition {
  const arcs: [string, string][] = [['start', 'split']];
  const transitions = ['split', 'join'];
  for (let b = 0; b < branches; b++) {
    arcs.push(['split', `b${b}-0`]);
    for (let s = 0; s < length; s++) {
      const step = `b${b}-t${s}`;
      transitions.push(step);
      arcs.push([`b${b}-${s}`, step], [step, `b${b}-${s + 1}`]);
    }
    arcs.push([`b${b}-${length}`, 'join']);
  }
  arcs.push(['join', 'end']);
  return net(`wide-parallel-${branches}x${length}`, transitions, arcs);
}

// The example nets too, so tests outside the domain reach every named net through `@wfnet/domain/testing`.
export { approvalNet, parallelNet, sequentialNet, trafficLightNet } from '../net/fixtures.js';
