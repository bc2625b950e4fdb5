import type { WorkflowDefinition } from './definition.js';
import { firingWays } from './marking.js';
import { netOf } from './net.js';

/**
 * A place/transition net over array indices, with the join and split rules already applied: the form the
 * analyses (reduction, state space) work on. Each way a transition can fire (`firingWays`: a route of a
 * deciding split, a route an `or` join waits for) is one transition here, so a transition that can fire
 * in several ways appears once per way in `transitionIds`, and `firingNames` tells the ways apart. A
 * decision is thus a free choice among its routes. The places after the definition's are the hidden
 * places of control tokens (one per route of a paired `or` split), linking a split's route to the join
 * that waits for exactly that route. Arcs have weight one; the start place holds the one initial token.
 */
export interface IndexedNet {
  readonly placeIds: readonly string[];
  readonly transitionIds: readonly string[];
  /** How a firing sequence names each transition's way of firing (`firingName`). */
  readonly firingNames: readonly string[];
  /** Input places of each transition, ascending. */
  readonly inputs: readonly (readonly number[])[];
  /** Places that receive a token when each transition fires, ascending. */
  readonly outputs: readonly (readonly number[])[];
  readonly start: number;
  readonly end: number;
}

/** The net of a valid definition, firing as the engine does (`firingWays`). */
export function indexNet(definition: WorkflowDefinition): IndexedNet {
  const net = netOf(definition);
  const placeIds = definition.places.map((p) => p.id);
  const placeIndex = new Map(placeIds.map((id, i) => [id, i]));
  const indexOf = (placeId: string): number => {
    let index = placeIndex.get(placeId);
    if (index === undefined) {
      index = placeIds.length;
      placeIds.push(placeId);
      placeIndex.set(placeId, index);
    }
    return index;
  };
  const sorted = (ids: readonly string[]): number[] => ids.map(indexOf).sort((a, b) => a - b);
  const transitionIds: string[] = [];
  const firingNames: string[] = [];
  const inputs: number[][] = [];
  const outputs: number[][] = [];
  for (const ways of firingWays(definition).values()) {
    for (const { name, transitionId, consumes, produces } of ways) {
      transitionIds.push(transitionId);
      firingNames.push(name);
      inputs.push(sorted(consumes));
      outputs.push(sorted(produces));
    }
  }
  return {
    placeIds,
    transitionIds,
    firingNames,
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
