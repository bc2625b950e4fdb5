import type { WorkflowDefinition } from './definition.js';
import { decisionWarnings } from './decision-warnings.js';
import type { SoundnessWarning } from './decision-warnings.js';
import { indexNet, isFreeChoice } from './indexed-net.js';
import type { IndexedNet } from './indexed-net.js';
import { isHiddenPlace } from './marking.js';
import type { Marking } from './marking.js';
import { isTrivialNet, reduceNet } from './reduce.js';
import { findBadRun } from './runs.js';
import { exploreStateSpace, hasProblems } from './state-space.js';
import type { SparseMarking, StateSpace } from './state-space.js';
import { assertValidNet } from './validate.js';

/**
 * A firing sequence from the genesis marking (one token in start) and the marking it leads to. A firing
 * that chose is named by the arcs it took (`firingName`): `t#p` for a deciding split that marked `p`,
 * `t#p+t#q` for an `or` split that marked both, `j#a+j#b` for an `or` join that took the branches ending in
 * `a` and `b`. Markings leave out the hidden places of control tokens.
 */
export interface Counterexample {
  readonly firingSequence: readonly string[];
  readonly marking: Marking;
}

/**
 * Why `place` is unbounded: `firingSequence` leads to `marking`, from which `pumpingSequence` leads to
 * `pumpedMarking`, which has at least as many tokens everywhere and more in `place`. By monotonicity the
 * pumping sequence can then be fired again and again, adding tokens each time (Karp–Miller).
 */
export interface UnboundedPlace {
  readonly place: string;
  readonly firingSequence: readonly string[];
  readonly marking: Marking;
  readonly pumpingSequence: readonly string[];
  readonly pumpedMarking: Marking;
}

/**
 * `reduction`: reduced to `start → t → end` by the rules, no state explored; `reduced-state-space`: the
 * reduced net's states were explored; `state-space`: the net's own states (what every counterexample
 * comes from).
 */
export type SoundnessMethod = 'reduction' | 'reduced-state-space' | 'state-space';

/**
 * Soundness (van der Aalst): from every reachable marking the case can finish, it finishes with exactly
 * one token in end, and no transition is dead. `sound` is `"undecided"` when the state budget ran out
 * before any problem showed up; problems found before it ran out still make the net unsound.
 */
export interface SoundnessReport {
  readonly sound: boolean | 'undecided';
  /** Reachable markings where nothing is enabled and end has no token. */
  readonly deadlocks: readonly Counterexample[];
  /** The first marking on a run where end has a token and that is not exactly one token in end. */
  readonly improperCompletions: readonly Counterexample[];
  readonly unboundedPlaces: readonly UnboundedPlace[];
  /** Transitions no reachable marking enables (known only when the whole state space was explored). */
  readonly deadTransitions: readonly string[];
  /** Markings inside a cycle the case can never leave and that never puts a token in end. */
  readonly livelocks: readonly Counterexample[];
  readonly method: SoundnessMethod;
  readonly freeChoice: boolean;
  readonly statesExplored: number;
  /** False when the state budget ran out: the lists may then be incomplete. */
  readonly complete: boolean;
  /**
   * What the free choice of decisions cannot see: the verifier takes every route of a decision as
   * possible, whatever its condition. A warning never makes a net unsound.
   */
  readonly warnings: readonly SoundnessWarning[];
}

export interface VerifyOptions {
  /** Markings to explore before answering `undecided` (per exploration). */
  readonly maxStates?: number;
  /** The most counterexamples listed per kind of problem. */
  readonly maxCounterexamples?: number;
  /** False to skip the reduction rules and always explore the net's own states. */
  readonly reduce?: boolean;
  /**
   * Asked now and then while exploring: true ends the exploration as the state budget does (`undecided`
   * unless a problem was found already). The domain reads no clock: a time limit comes in here.
   */
  readonly shouldStop?: () => boolean;
}

export const DEFAULT_MAX_STATES = 100_000;
export const DEFAULT_MAX_COUNTEREXAMPLES = 10;

/**
 * Checks a workflow net for soundness under the engine's firing rules. Throws `invalid_net` first when the
 * definition is not a valid workflow net. Sound nets are mostly proven by reduction without exploring
 * any state; an unsound net's counterexamples always come from its own state space, so they name its
 * transitions and replay on it.
 */
export function verifySoundness(
  definition: WorkflowDefinition,
  options: VerifyOptions = {},
): SoundnessReport {
  assertValidNet(definition);
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  const maxCounterexamples = options.maxCounterexamples ?? DEFAULT_MAX_COUNTEREXAMPLES;
  const warnings = decisionWarnings(definition);
  const net = indexNet(definition);
  const freeChoice = isFreeChoice(net);
  let statesExplored = 0;
  let reducedUnsound = false;

  if (options.reduce !== false) {
    const reduced = reduceNet(net);
    if (isTrivialNet(reduced)) return soundReport('reduction', freeChoice, 0, warnings);
    if (
      reduced.placeIds.length < net.placeIds.length ||
      reduced.transitionIds.length < net.transitionIds.length
    ) {
      const space = exploreStateSpace(reduced, {
        maxStates,
        maxCounterexamples: 0,
        coverageOnlyWhenUnsafe: isFreeChoice(reduced),
        ...(options.shouldStop && { shouldStop: options.shouldStop }),
      });
      statesExplored += space.states;
      if (space.complete && !hasProblems(space)) {
        return soundReport('reduced-state-space', freeChoice, statesExplored, warnings);
      }
      reducedUnsound = hasProblems(space);
    }
  }

  const space = exploreStateSpace(net, {
    maxStates,
    maxCounterexamples,
    coverageOnlyWhenUnsafe: freeChoice,
    ...(options.shouldStop && { shouldStop: options.shouldStop }),
  });
  statesExplored += space.states;
  const unsound = reducedUnsound || hasProblems(space);
  const found = counterexamples(net, space);
  return {
    sound: unsound ? false : space.complete ? true : 'undecided',
    ...(unsound && !hasProblems(space) ? withBadRun(net, found) : found),
    method: 'state-space',
    freeChoice,
    statesExplored,
    complete: space.complete,
    warnings,
  };
}

type Problems = Pick<
  SoundnessReport,
  'deadlocks' | 'improperCompletions' | 'unboundedPlaces' | 'deadTransitions' | 'livelocks'
>;

/** Runs to the end tried before giving up; each costs about what exploring its length in states does. */
const BAD_RUNS = 200;

/**
 * The reduced net proved the net unsound but its own states ran out before a counterexample: a run to the
 * end, which does not pay for the interleavings a breadth-first exploration does, usually finds one.
 */
function withBadRun(net: IndexedNet, found: Problems): Problems {
  const run = findBadRun(net, BAD_RUNS, 4 * (net.placeIds.length + net.transitionIds.length) + 16);
  if (!run) return found;
  const marking: Record<string, number> = {};
  run.marking.forEach((count, p) => {
    const placeId = net.placeIds[p]!;
    if (count > 0 && !isHiddenPlace(placeId)) marking[placeId] = count;
  });
  const counterexample = { firingSequence: run.firings.map((t) => net.firingNames[t]!), marking };
  return run.kind === 'deadlock'
    ? { ...found, deadlocks: [counterexample] }
    : { ...found, improperCompletions: [counterexample] };
}

function soundReport(
  method: SoundnessMethod,
  freeChoice: boolean,
  statesExplored: number,
  warnings: readonly SoundnessWarning[],
): SoundnessReport {
  return {
    sound: true,
    deadlocks: [],
    improperCompletions: [],
    unboundedPlaces: [],
    deadTransitions: [],
    livelocks: [],
    method,
    freeChoice,
    statesExplored,
    complete: true,
    warnings,
  };
}

function counterexamples(net: IndexedNet, space: StateSpace): Problems {
  const markingOf = (sparse: SparseMarking): Marking => {
    const marking: Record<string, number> = {};
    for (let k = 0; k < sparse.length; k += 2) {
      const placeId = net.placeIds[sparse[k]!]!;
      if (!isHiddenPlace(placeId)) marking[placeId] = sparse[k + 1]!;
    }
    return marking;
  };
  const sequence = (transitions: readonly number[]): string[] => transitions.map((t) => net.firingNames[t]!);
  // A transition is dead when none of its ways fires. The ways of a split share their inputs, so they
  // are dead together; an `or` join's way dead alone leaves a case stuck in its block, reported as such.
  const counterexample = (node: number): Counterexample => ({
    firingSequence: sequence(space.path(node)),
    marking: markingOf(space.marking(node)),
  });
  const visiblePumps = space.pumps.filter(({ place }) => !isHiddenPlace(net.placeIds[place]!));
  const deadWays = new Set(space.deadTransitions);
  const firing = new Set(net.transitionIds.filter((_, t) => !deadWays.has(t)));
  return {
    deadlocks: space.deadlocks.map(counterexample),
    improperCompletions: space.improperCompletions.map(counterexample),
    // A control token grows only with the tokens of the branches its split chose, which are named instead.
    unboundedPlaces: visiblePumps.map(({ place, ancestor, node, transition, pumped }) => {
      const prefix = space.path(ancestor);
      return {
        place: net.placeIds[place]!,
        firingSequence: sequence(prefix),
        marking: markingOf(space.marking(ancestor)),
        pumpingSequence: sequence([...space.path(node).slice(prefix.length), transition]),
        pumpedMarking: markingOf(pumped),
      };
    }),
    deadTransitions: [...new Set(space.deadTransitions.map((t) => net.transitionIds[t]!))].filter(
      (id) => !firing.has(id),
    ),
    livelocks: space.livelocks.map(counterexample),
  };
}
