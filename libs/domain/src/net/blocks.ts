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

/** Fresh places, and transitions with their arcs, for a net built block by block. */
export interface BlockNetBuilder {
  readonly place: () => string;
  /**
   * A transition from the inputs to the outputs (an and join or split where there are several), `more`
   * overriding its fields. With `conditions`, its outputs are a deciding split's: the first outputs carry
   * the conditions in turn and the last is the default arc. Answers the transition's id.
   */
  readonly transition: (
    inputs: readonly string[],
    outputs: readonly string[],
    more?: Partial<TransitionInput>,
    conditions?: readonly string[],
  ) => string;
}

/**
 * `start → t1 → p1`, then what `build` puts between `p1` and `end`. The first step keeps loops off `start`
 * (no arc may enter it). Transitions take their executor from `executors` in turn; an `auto` one outputs
 * its own id.
 */
export function blockNet(
  id: string,
  executors: readonly ExecutorName[],
  build: (net: BlockNetBuilder, from: string, to: string) => void,
): WorkflowDefinition {
  const places: PlaceInput[] = [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end' },
  ];
  const transitions: TransitionInput[] = [];
  const arcs: Arc[] = [];
  const net: BlockNetBuilder = {
    place: () => {
      const placeId = `p${places.length - 1}`;
      places.push({ id: placeId });
      return placeId;
    },
    transition: (inputs, outputs, more = {}, conditions) => {
      const transitionId = `t${transitions.length + 1}`;
      const executor = executors[transitions.length % executors.length] ?? 'auto';
      transitions.push({
        id: transitionId,
        executor,
        executorParams: executor === 'auto' ? { output: transitionId } : {},
        joinType: placeTransitionJoin(inputs.length),
        splitType: placeTransitionSplit(outputs.length),
        ...more,
      });
      for (const from of inputs) arcs.push({ from, to: transitionId });
      outputs.forEach((to, i) => {
        const condition = conditions?.[i];
        if (!conditions) arcs.push({ from: transitionId, to });
        else if (condition !== undefined) arcs.push({ from: transitionId, to, condition });
        else arcs.push({ from: transitionId, to, default: true });
      });
      return transitionId;
    },
  };
  const first = net.place();
  net.transition(['start'], [first]);
  build(net, first, 'end');
  return normalizeWorkflow({ id, places, transitions, arcs });
}

/** The blocks every kind of random net has: one step, a sequence, and an and split closed by an and join. */
export type SharedBlock<B> =
  | { readonly kind: 'step' }
  | { readonly kind: 'sequence'; readonly first: B; readonly second: B }
  | { readonly kind: 'parallel'; readonly left: B; readonly right: B };

/** Builds a shared block from `from` to `to`, its inner blocks by `build`. */
export function buildSharedBlock<B>(
  net: BlockNetBuilder,
  block: SharedBlock<B>,
  from: string,
  to: string,
  build: (block: B, from: string, to: string) => void,
): void {
  switch (block.kind) {
    case 'step':
      net.transition([from], [to]);
      return;
    case 'sequence': {
      const middle = net.place();
      build(block.first, from, middle);
      build(block.second, middle, to);
      return;
    }
    case 'parallel': {
      const [left, right, leftDone, rightDone] = [net.place(), net.place(), net.place(), net.place()];
      net.transition([from], [left, right]);
      build(block.left, left, leftDone);
      build(block.right, right, rightDone);
      net.transition([leftDone, rightDone], [to]);
      return;
    }
    default: {
      const unknown: never = block;
      throw new Error(`unknown block ${JSON.stringify(unknown)}`);
    }
  }
}

/** The net of a `NetBlock`, built by `blockNet`. */
export function netFromBlock(
  block: NetBlock,
  executors: readonly ExecutorName[],
  id = 'random',
): WorkflowDefinition {
  return blockNet(id, executors, (net, first, end) => {
    const { place, transition } = net;
    const build = (b: NetBlock, from: string, to: string): void => {
      switch (b.kind) {
        case 'step':
        case 'sequence':
        case 'parallel':
          buildSharedBlock(net, b, from, to, build);
          return;
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
    build(block, first, end);
  });
}
