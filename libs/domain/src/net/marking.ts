import type { WorkflowDefinition } from './definition.js';
import { isEnabled, netOf, splitOutputs } from './net.js';

/** Tokens per place, as the net sees them (no token states): places without a token are left out. */
export type Marking = { readonly [placeId: string]: number };

/** One token in the start place: where every case begins. */
export function genesisMarking(definition: WorkflowDefinition): Marking {
  return { [netOf(definition).startPlaceId]: 1 };
}

/** The transitions the join rule enables at the marking, in definition order. */
export function enabledTransitions(definition: WorkflowDefinition, marking: Marking): readonly string[] {
  const net = netOf(definition);
  const hasToken = (placeId: string): boolean => (marking[placeId] ?? 0) > 0;
  return definition.transitions.map((t) => t.id).filter((id) => isEnabled(net, id, hasToken));
}

/**
 * One firing by the engine's rules: a token from each place of the join, a token to each place of the split.
 * Throws when the transition is not enabled, so a replayed firing sequence cannot silently go wrong.
 */
export function fireTransition(
  definition: WorkflowDefinition,
  marking: Marking,
  transitionId: string,
): Marking {
  const net = netOf(definition);
  net.transition(transitionId);
  if (!isEnabled(net, transitionId, (placeId) => (marking[placeId] ?? 0) > 0)) {
    throw new Error(`transition ${transitionId} is not enabled at ${JSON.stringify(marking)}`);
  }
  const next: Record<string, number> = { ...marking };
  for (const placeId of net.joinPlaces(transitionId)) next[placeId] = (next[placeId] ?? 0) - 1;
  for (const placeId of splitOutputs(net, transitionId)) next[placeId] = (next[placeId] ?? 0) + 1;
  return normalizeMarking(definition, next);
}

/** The marking after firing the sequence from `from` (the genesis marking when absent). */
export function replayFiringSequence(
  definition: WorkflowDefinition,
  firingSequence: readonly string[],
  from: Marking = genesisMarking(definition),
): Marking {
  return firingSequence.reduce((marking, id) => fireTransition(definition, marking, id), from);
}

/** Proper completion: exactly one token, in the end place. */
export function isProperCompletion(definition: WorkflowDefinition, marking: Marking): boolean {
  const entries = Object.entries(marking).filter(([, count]) => count > 0);
  return entries.length === 1 && entries[0]?.[0] === netOf(definition).endPlaceId && entries[0][1] === 1;
}

/** Zero counts dropped and places in definition order, so equal markings compare equal as JSON. */
export function normalizeMarking(definition: WorkflowDefinition, marking: Marking): Marking {
  const normalized: Record<string, number> = {};
  for (const { id } of definition.places) {
    const count = marking[id] ?? 0;
    if (count > 0) normalized[id] = count;
  }
  return normalized;
}
