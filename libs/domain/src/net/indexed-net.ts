import type { WorkflowDefinition } from './definition.js';
import { joinKinds, splitKinds } from './kinds.js';
import { netOf } from './net.js';

/**
 * A place/transition net over array indices, with the join and split rules already applied: the form the
 * analyses (reduction, state space) work on. Each way a transition can fire (its split's `firings`) is one
 * transition here, so a transition that can fire in several ways appears once per way in `transitionIds`.
 * Arcs have weight one; the start place holds the one initial token.
 */
export interface IndexedNet {
  readonly placeIds: readonly string[];
  readonly transitionIds: readonly string[];
  /** Input places of each transition, ascending. */
  readonly inputs: readonly (readonly number[])[];
  /** Places that receive a token when each transition fires, ascending. */
  readonly outputs: readonly (readonly number[])[];
  readonly start: number;
  readonly end: number;
}

/** The net of a valid definition, firing as the engine does (`isEnabled`, `splitOutputs`). */
export function indexNet(definition: WorkflowDefinition): IndexedNet {
  const net = netOf(definition);
  const placeIds = definition.places.map((p) => p.id);
  const placeIndex = new Map(placeIds.map((id, i) => [id, i]));
  const indexOf = (placeId: string): number => {
    const index = placeIndex.get(placeId);
    if (index === undefined) throw new Error(`workflow ${definition.id} has no place ${placeId}`);
    return index;
  };
  const sorted = (ids: readonly string[]): number[] => ids.map(indexOf).sort((a, b) => a - b);
  const transitionIds: string[] = [];
  const inputs: number[][] = [];
  const outputs: number[][] = [];
  for (const { id, joinType, splitType } of definition.transitions) {
    if (!joinKinds[joinType].placeTransition) {
      throw new Error(`transition ${id}: a ${joinType} join has no place/transition form to verify`);
    }
    const required = sorted(net.joinPlaces(id));
    for (const marked of splitKinds[splitType].firings(net.outputPlaces(id))) {
      transitionIds.push(id);
      inputs.push(required);
      outputs.push(sorted(marked));
    }
  }
  return {
    placeIds,
    transitionIds,
    inputs,
    outputs,
    start: indexOf(net.startPlaceId),
    end: indexOf(net.endPlaceId),
  };
}

/**
 * Free choice (the strict form): whenever two transitions share an input place, each has that place as its
 * only input, so a choice is never influenced by tokens elsewhere.
 */
export function isFreeChoice(net: IndexedNet): boolean {
  const consumerCount = new Array<number>(net.placeIds.length).fill(0);
  for (const inputs of net.inputs) for (const p of inputs) consumerCount[p] = (consumerCount[p] ?? 0) + 1;
  return net.inputs.every((inputs) => inputs.length === 1 || inputs.every((p) => consumerCount[p] === 1));
}
