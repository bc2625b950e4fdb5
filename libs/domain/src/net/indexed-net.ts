import type { WorkflowDefinition } from './definition.js';
import { netOf, splitOutputs } from './net.js';

/**
 * A place/transition net over array indices, with the split rule already applied to the outputs: the form
 * the analyses (reduction, state space) work on. Arcs have weight one; the start place holds the one
 * initial token.
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
  const transitionIds = definition.transitions.map((t) => t.id);
  const sorted = (ids: readonly string[]): number[] => ids.map(indexOf).sort((a, b) => a - b);
  return {
    placeIds,
    transitionIds,
    inputs: transitionIds.map((id) => sorted(net.inputPlaces(id))),
    outputs: transitionIds.map((id) => sorted(splitOutputs(net, id))),
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
