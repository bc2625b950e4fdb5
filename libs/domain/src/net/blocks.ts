import type { Arc, WorkflowDefinition } from './definition.js';
import { placeTransitionJoin, placeTransitionSplit } from './kinds.js';
import type { PlaceInput, TransitionInput } from './normalize.js';
import { normalizeWorkflow } from './normalize.js';

/**
 * The shape of a random net, built between an input and an output place. Block-structured nets are valid
 * by construction. Two blocks are valid but not sound, on purpose:
 * - `merge`: an and split whose branches end in the same place, which two steps then compete for, so
 *   several tokens meet in one place and are offered to several tasks;
 * - `race`: an and split into `a` and `x`; a block from `a` races an and join of `a` and of what a block
 *   from `x` yields, so an and join waits, `started`, on a token that a competitor may consume.
 */
export type NetBlock =
  | { readonly kind: 'step' }
  | { readonly kind: 'sequence'; readonly first: NetBlock; readonly second: NetBlock }
  | { readonly kind: 'parallel'; readonly left: NetBlock; readonly right: NetBlock }
  | { readonly kind: 'choice'; readonly left: NetBlock; readonly right: NetBlock }
  | { readonly kind: 'loop'; readonly body: NetBlock; readonly back: NetBlock }
  | { readonly kind: 'merge'; readonly left: NetBlock; readonly right: NetBlock }
  | { readonly kind: 'race'; readonly left: NetBlock; readonly right: NetBlock };

export type ExecutorName = 'auto' | 'manual';

/**
 * `start → t1 → p1`, then the block from `p1` to `end`. The first step keeps loops off `start` (no arc may
 * enter it). Transitions take their executor from `executors` in turn; an `auto` one outputs its own id.
 */
export function netFromBlock(
  block: NetBlock,
  executors: readonly ExecutorName[],
  id = 'random',
): WorkflowDefinition {
  const places: PlaceInput[] = [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end' },
  ];
  const transitions: TransitionInput[] = [];
  const arcs: Arc[] = [];
  const place = (): string => {
    const placeId = `p${places.length - 1}`;
    places.push({ id: placeId });
    return placeId;
  };
  const transition = (inputs: readonly string[], outputs: readonly string[]): void => {
    const transitionId = `t${transitions.length + 1}`;
    const executor = executors[transitions.length % executors.length] ?? 'auto';
    transitions.push({
      id: transitionId,
      executor,
      executorParams: executor === 'auto' ? { output: transitionId } : {},
      joinType: placeTransitionJoin(inputs.length),
      splitType: placeTransitionSplit(outputs.length),
    });
    for (const from of inputs) arcs.push({ from, to: transitionId });
    for (const to of outputs) arcs.push({ from: transitionId, to });
  };
  const build = (b: NetBlock, from: string, to: string): void => {
    switch (b.kind) {
      case 'step':
        transition([from], [to]);
        return;
      case 'sequence': {
        const middle = place();
        build(b.first, from, middle);
        build(b.second, middle, to);
        return;
      }
      case 'parallel': {
        const [left, right, leftDone, rightDone] = [place(), place(), place(), place()];
        transition([from], [left, right]);
        build(b.left, left, leftDone);
        build(b.right, right, rightDone);
        transition([leftDone, rightDone], [to]);
        return;
      }
      case 'choice':
        build(b.left, from, to);
        build(b.right, from, to);
        return;
      case 'loop': {
        const decide = place();
        build(b.body, from, decide);
        build(b.back, decide, from);
        transition([decide], [to]);
        return;
      }
      case 'merge': {
        const [left, right, met] = [place(), place(), place()];
        transition([from], [left, right]);
        build(b.left, left, met);
        build(b.right, right, met);
        transition([met], [to]);
        transition([met], [to]);
        return;
      }
      case 'race': {
        const [a, x, c] = [place(), place(), place()];
        transition([from], [a, x]);
        build(b.left, a, to);
        build(b.right, x, c);
        transition([a, c], [to]);
        return;
      }
      default: {
        const unknown: never = b;
        throw new Error(`unknown block ${JSON.stringify(unknown)}`);
      }
    }
  };
  const first = place();
  transition(['start'], [first]);
  build(block, first, 'end');
  return normalizeWorkflow({ id, places, transitions, arcs });
}
