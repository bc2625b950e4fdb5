import type { WorkflowDefinition } from './definition.js';
import { joinKinds, splitKinds } from './kinds.js';
import { isEnabled, netOf, splitOutputs } from './net.js';
import { orBlocksOf } from './or-blocks.js';
import type { OrBlock } from './or-blocks.js';

/**
 * Tokens per place, as the net sees them (no token states): places without a token are left out. An `or`
 * block's control token is counted in a hidden place per route (`isHiddenPlace`), since which branches
 * the join waits for is part of the state.
 */
export type Marking = { readonly [placeId: string]: number };

/**
 * A place no definition declares: `#` is outside the id pattern. Only control tokens are held there; a
 * counterexample shown to people leaves them out (`visibleMarking`).
 */
export const isHiddenPlace = (placeId: string): boolean => placeId.includes('#');

/** The hidden place of the control token an `or` split issues when it takes `route` (its output places). */
export const controlTokenPlace = (block: OrBlock, route: readonly string[]): string =>
  `${block.controlPlace}(${route.join('+')})`;

/**
 * The name of one way a transition fires, as a firing sequence spells it: its id when it chose nothing,
 * else the arcs it took as `<transitionId>#<placeId>` joined by `+` — the input places an `or` join took
 * (the branches its split chose), then the output places a deciding split marked.
 */
export const firingName = (transitionId: string, taken: readonly string[]): string =>
  taken.length === 0 ? transitionId : taken.map((placeId) => `${transitionId}#${placeId}`).join('+');

/** The transition a firing name fires. */
export const transitionOfFiring = (firing: string): string => firing.split(/[#+]/, 1)[0]!;

/** One way a transition fires: the tokens it takes and the tokens it gives. */
export interface FiringWay {
  readonly name: string;
  readonly transitionId: string;
  readonly consumes: readonly string[];
  readonly produces: readonly string[];
}

const waysByDefinition = new WeakMap<WorkflowDefinition, ReadonlyMap<string, readonly FiringWay[]>>();

/**
 * Every way each transition can fire by the engine's rules, in definition order: one per route of a
 * deciding split (`firings` of its kind), and for an `or` join one per route its split may have taken,
 * each waiting for that route's control token and the chosen branches only.
 */
export function firingWays(definition: WorkflowDefinition): ReadonlyMap<string, readonly FiringWay[]> {
  let ways = waysByDefinition.get(definition);
  if (!ways) {
    ways = buildFiringWays(definition);
    waysByDefinition.set(definition, ways);
  }
  return ways;
}

function buildFiringWays(definition: WorkflowDefinition): ReadonlyMap<string, readonly FiringWay[]> {
  const net = netOf(definition);
  const { blocks } = orBlocksOf(definition);
  const blockOfSplit = new Map([...blocks.values()].map((block) => [block.split, block]));
  const ways = new Map<string, FiringWay[]>();
  for (const { id, joinType, splitType } of definition.transitions) {
    const joinWays: { taken: readonly string[]; consumes: readonly string[] }[] = [];
    if (joinKinds[joinType].pairedWithSplit) {
      const block = blocks.get(id);
      if (!block) throw new Error(`or join ${id} closes no block of an or split (validate the net first)`);
      const split = splitKinds[net.transition(block.split).splitType];
      for (const route of split.firings(block.branches.map((b) => b.output))) {
        const inputs = block.branches.filter((b) => route.includes(b.output)).map((b) => b.input);
        joinWays.push({ taken: inputs, consumes: [...inputs, controlTokenPlace(block, route)] });
      }
    } else {
      joinWays.push({ taken: [], consumes: net.joinPlaces(id) });
    }
    const split = splitKinds[splitType];
    const block = blockOfSplit.get(id);
    const outputPlaces = net.outputPlaces(id).filter((placeId) => !isHiddenPlace(placeId));
    const splitWays =
      split.decides === 'none'
        ? [{ taken: [], produces: splitOutputs(net, id) }]
        : split.firings(outputPlaces).map((route) => ({
            taken: route,
            produces: [...splitOutputs(net, id, route), ...(block ? [controlTokenPlace(block, route)] : [])],
          }));
    ways.set(
      id,
      joinWays.flatMap((join) =>
        splitWays.map((way) => ({
          name: firingName(id, [...join.taken, ...way.taken]),
          transitionId: id,
          consumes: join.consumes,
          produces: way.produces,
        })),
      ),
    );
  }
  return ways;
}

const hasToken = (marking: Marking) => (placeId: string) => (marking[placeId] ?? 0) > 0;

function isWayEnabled(definition: WorkflowDefinition, way: FiringWay, marking: Marking): boolean {
  const net = netOf(definition);
  return joinKinds[net.transition(way.transitionId).joinType].pairedWithSplit
    ? way.consumes.every(hasToken(marking))
    : isEnabled(net, way.transitionId, hasToken(marking));
}

/** One token in the start place: where every case begins. */
export function genesisMarking(definition: WorkflowDefinition): Marking {
  return { [netOf(definition).startPlaceId]: 1 };
}

/** The firings enabled at the marking, by name, in definition order. */
export function enabledFirings(definition: WorkflowDefinition, marking: Marking): readonly string[] {
  return [...firingWays(definition).values()].flatMap((ways) =>
    ways.filter((way) => isWayEnabled(definition, way, marking)).map((way) => way.name),
  );
}

/** The transitions the join rule enables at the marking, in definition order. */
export function enabledTransitions(definition: WorkflowDefinition, marking: Marking): readonly string[] {
  return [...new Set(enabledFirings(definition, marking).map(transitionOfFiring))];
}

/**
 * One firing by the engine's rules, named as `firingName` does: a token from each place the join takes,
 * a token to each place the split marks. Throws when the firing is not enabled or names no way the
 * transition fires, so a replayed firing sequence cannot silently go wrong.
 */
export function fireTransition(definition: WorkflowDefinition, marking: Marking, firing: string): Marking {
  const transitionId = transitionOfFiring(firing);
  netOf(definition).transition(transitionId);
  const ways = firingWays(definition).get(transitionId) ?? [];
  const parts = (name: string): string => name.split('+').sort().join('+');
  const way = ways.find((w) => parts(w.name) === parts(firing));
  if (!way) {
    throw new Error(
      `${firing} is no way transition ${transitionId} fires (it fires as ${ways.map((w) => w.name).join(', ')})`,
    );
  }
  if (!isWayEnabled(definition, way, marking)) {
    throw new Error(`transition ${firing} is not enabled at ${JSON.stringify(marking)}`);
  }
  const next: Record<string, number> = { ...marking };
  for (const placeId of way.consumes) next[placeId] = (next[placeId] ?? 0) - 1;
  for (const placeId of way.produces) next[placeId] = (next[placeId] ?? 0) + 1;
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

/** Proper completion: exactly one token, in the end place (a control token left over is one too many). */
export function isProperCompletion(definition: WorkflowDefinition, marking: Marking): boolean {
  const entries = Object.entries(marking).filter(([, count]) => count > 0);
  return entries.length === 1 && entries[0]?.[0] === netOf(definition).endPlaceId && entries[0][1] === 1;
}

/**
 * Zero counts dropped, places in definition order and hidden places after them by name, so equal
 * markings compare equal as JSON.
 */
export function normalizeMarking(definition: WorkflowDefinition, marking: Marking): Marking {
  const normalized: Record<string, number> = {};
  for (const { id } of definition.places) {
    const count = marking[id] ?? 0;
    if (count > 0) normalized[id] = count;
  }
  for (const id of Object.keys(marking).filter(isHiddenPlace).sort()) {
    const count = marking[id] ?? 0;
    if (count > 0) normalized[id] = count;
  }
  return normalized;
}

/** The marking without its hidden places: what a counterexample shows. */
export function visibleMarking(marking: Marking): Marking {
  return Object.fromEntries(Object.entries(marking).filter(([placeId]) => !isHiddenPlace(placeId)));
}
