import type { Transition, WorkflowDefinition } from './definition.js';

/** Index of a (valid) workflow definition: the structure queries the engine asks while a case runs. */
export interface Net {
  readonly definition: WorkflowDefinition;
  readonly startPlaceId: string;
  readonly endPlaceId: string;
  transition(transitionId: string): Transition;
  /** Input places of a transition, in arc order. */
  inputPlaces(transitionId: string): readonly string[];
  /** Output places of a transition, in arc order. */
  outputPlaces(transitionId: string): readonly string[];
  /** Transitions that have the place as input, in arc order. */
  consumers(placeId: string): readonly string[];
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
  const consumers = new Map<string, string[]>();
  const push = (index: Map<string, string[]>, key: string, value: string): void => {
    const list = index.get(key);
    if (list) list.push(value);
    else index.set(key, [value]);
  };
  for (const { from, to } of definition.arcs) {
    if (transitions.has(to)) {
      push(inputs, to, from);
      push(consumers, from, to);
    } else if (transitions.has(from)) {
      push(outputs, from, to);
    }
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
    consumers: (placeId) => consumers.get(placeId) ?? [],
  };
}

/**
 * The join rule: a `none` join needs its one input place offered, an `and` join every input place.
 * (Validation guarantees a `none` join has exactly one input place, so both read "every input place".)
 */
export function isEnabled(net: Net, transitionId: string, isOffered: (placeId: string) => boolean): boolean {
  const inputs = net.inputPlaces(transitionId);
  return inputs.length > 0 && inputs.every(isOffered);
}

/** The split rule: the places that receive a token when the transition fires. */
export function splitOutputs(net: Net, transitionId: string): readonly string[] {
  const outputs = net.outputPlaces(transitionId);
  return net.transition(transitionId).splitType === 'none' ? outputs.slice(0, 1) : outputs;
}

/**
 * Token selection for a firing: one candidate from each input place (the first in the given order),
 * or `undefined` when some input place has no candidate.
 */
export function selectTokens<T extends { readonly placeId: string }>(
  net: Net,
  transitionId: string,
  candidates: readonly T[],
): readonly T[] | undefined {
  const selected: T[] = [];
  for (const placeId of net.inputPlaces(transitionId)) {
    const token = candidates.find((c) => c.placeId === placeId);
    if (!token) return undefined;
    selected.push(token);
  }
  return selected;
}
