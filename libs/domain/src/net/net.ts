import type { Arc, Transition, WorkflowDefinition } from './definition.js';
import { joinKinds, splitKinds } from './kinds.js';
import type { OrBlock } from './or-blocks.js';
import { orBlocksOf } from './or-blocks.js';

/** Index of a (valid) workflow definition: the structure queries the engine asks while a case runs. */
export interface Net {
  readonly definition: WorkflowDefinition;
  readonly startPlaceId: string;
  readonly endPlaceId: string;
  transition(transitionId: string): Transition;
  /** Input places of a transition, in arc order; an `or` join's control place comes last. */
  inputPlaces(transitionId: string): readonly string[];
  /** Output places of a transition, in arc order. */
  outputPlaces(transitionId: string): readonly string[];
  /** Output arcs of a transition, in arc order: where a split that decides reads its conditions. */
  outputArcs(transitionId: string): readonly Arc[];
  /** Transitions that have the place as input, in arc order; the `or` join for its control place. */
  consumers(placeId: string): readonly string[];
  /** The `or` block the transition opens (as its split) or closes (as its join), if any. */
  orBlockOf(transitionId: string, as: 'split' | 'join'): OrBlock | undefined;
  /** Input places the transition's join needs a token from, in arc order; a firing takes one from each. */
  joinPlaces(transitionId: string): readonly string[];
  /** Output places the transition's split marks, in arc order; `undefined` for a split that decides. */
  fixedOutputs(transitionId: string): readonly string[] | undefined;
}

const nets = new WeakMap<WorkflowDefinition, Net>();

/** The index of a definition, built once per definition object. */
export function netOf(definition: WorkflowDefinition): Net {
  let net = nets.get(definition);
  if (!net) {
    net = buildNet(definition);
    nets.set(definition, net);
  }
  return net;
}

function buildNet(definition: WorkflowDefinition): Net {
  const transitions = new Map(definition.transitions.map((t) => [t.id, t]));
  const inputs = new Map<string, string[]>();
  const outputs = new Map<string, string[]>();
  const outputArcs = new Map<string, Arc[]>();
  const consumers = new Map<string, string[]>();
  const push = (index: Map<string, string[]>, key: string, value: string): void => {
    const list = index.get(key);
    if (list) list.push(value);
    else index.set(key, [value]);
  };
  for (const arc of definition.arcs) {
    const { from, to } = arc;
    if (transitions.has(to)) {
      push(inputs, to, from);
      push(consumers, from, to);
    } else if (transitions.has(from)) {
      push(outputs, from, to);
      const list = outputArcs.get(from);
      if (list) list.push(arc);
      else outputArcs.set(from, [arc]);
    }
  }
  // Precomputed: the engine asks these on every offer and every completion.
  const joinPlaces = new Map<string, readonly string[]>();
  const fixedOutputs = new Map<string, readonly string[]>();
  for (const { id, joinType, splitType } of definition.transitions) {
    joinPlaces.set(id, joinKinds[joinType].required(inputs.get(id) ?? []));
    const split = splitKinds[splitType];
    if (split.decides === 'none') fixedOutputs.set(id, split.outputs(outputs.get(id) ?? []));
  }
  const blocksBySplit = new Map<string, OrBlock>();
  const blocksByJoin = orBlocksOf(definition).blocks;
  for (const block of blocksByJoin.values()) {
    blocksBySplit.set(block.split, block);
    // The control token is offered to the join like any token of its inputs; `joinPlaces` leaves it out.
    push(inputs, block.join, block.controlPlace);
    push(consumers, block.controlPlace, block.join);
  }
  const placeOfType = (type: 'start' | 'end'): string => {
    const place = definition.places.find((p) => p.type === type);
    if (!place) throw new Error(`workflow ${definition.id} has no ${type} place`);
    return place.id;
  };
  return {
    definition,
    startPlaceId: placeOfType('start'),
    endPlaceId: placeOfType('end'),
    transition(transitionId) {
      const transition = transitions.get(transitionId);
      if (!transition) throw new Error(`workflow ${definition.id} has no transition ${transitionId}`);
      return transition;
    },
    inputPlaces: (transitionId) => inputs.get(transitionId) ?? [],
    outputPlaces: (transitionId) => outputs.get(transitionId) ?? [],
    outputArcs: (transitionId) => outputArcs.get(transitionId) ?? [],
    consumers: (placeId) => consumers.get(placeId) ?? [],
    orBlockOf: (transitionId, as) => (as === 'split' ? blocksBySplit : blocksByJoin).get(transitionId),
    joinPlaces: (transitionId) => joinPlaces.get(transitionId) ?? [],
    fixedOutputs: (transitionId) => fixedOutputs.get(transitionId),
  };
}

/** The join rule: every place the transition's join needs offers a token. */
export function isEnabled(net: Net, transitionId: string, isOffered: (placeId: string) => boolean): boolean {
  const places = net.joinPlaces(transitionId);
  return places.length > 0 && places.every(isOffered);
}

/**
 * The split rule: the places that receive a token when a task of the transition completes. `route` is the
 * output places a condition evaluator chose, read only by a split that decides.
 */
export function splitOutputs(net: Net, transitionId: string, route?: readonly string[]): readonly string[] {
  return (
    net.fixedOutputs(transitionId) ??
    splitKinds[net.transition(transitionId).splitType].outputs(net.outputPlaces(transitionId), route)
  );
}

/**
 * Token selection for a firing: one candidate from each place the join needs (the first in the given
 * order), or `undefined` when some such place has no candidate.
 */
export function selectTokens<T extends { readonly placeId: string }>(
  net: Net,
  transitionId: string,
  candidates: readonly T[],
): readonly T[] | undefined {
  const selected: T[] = [];
  for (const placeId of net.joinPlaces(transitionId)) {
    const token = candidates.find((c) => c.placeId === placeId);
    if (!token) return undefined;
    selected.push(token);
  }
  return selected;
}
