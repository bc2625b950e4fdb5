// The join and split kinds of a transition, one entry each: everything the engine, the verifier, the
// validation, the HTTP contract, PNML and the diagram know about a kind is read from these two tables.

/** How many arcs a kind allows on its side of a transition, and what `invalid_net` says otherwise. */
export interface ArcCount {
  readonly min: number;
  readonly max: number;
  /** The detail's message; its rule is `<kind>_join_inputs` or `<kind>_split_outputs`. */
  readonly message: (transitionId: string, count: number) => string;
}

/** A strip on one side of a transition box: group class `<className>-join` or `<className>-split`. */
export interface Marker {
  /** Drawn in the strip, in text class `className`. */
  readonly symbol: string;
  readonly className: string;
  readonly width: number;
}

/** How the diagram shows a kind on its side of a transition box. */
export interface Drawing {
  /** The kind in the transition's accessible title, e.g. `and-split`. */
  readonly label: string;
  /** Kinds without one draw a plain box side. */
  readonly marker?: Marker;
}

export interface JoinBehaviour {
  readonly inputArcs: ArcCount;
  /**
   * Closes the block of the `or` split named by the transition's `orJoin`: it waits for the branches that
   * split chose, read from the control token the split issued, instead of for `required`.
   */
  readonly pairedWithSplit: boolean;
  /** The input places that must each offer a token for a task to be enabled; a firing takes one from each. */
  readonly required: (inputPlaces: readonly string[]) => readonly string[];
  /**
   * Fires as a transition of a place/transition net: it needs and takes a token from every input arc. The
   * verifier's state space and reduction rules rely on it, and PNML from other tools reads as such a kind.
   */
  readonly placeTransition: boolean;
  readonly drawing: Drawing;
}

export interface SplitBehaviour {
  readonly outputArcs: ArcCount;
  /**
   * How the arcs' conditions choose where the tokens go, evaluated in arc order: `first` takes the first
   * arc whose condition holds, `every` each one that holds; either takes the default arc when none holds.
   * `none`: every firing marks `outputs`, no condition is read. A split that decides reads the route in
   * `outputs`.
   */
  readonly decides: 'none' | 'first' | 'every';
  /** The output places that get a token when a task completes; `route` is the places a condition chose. */
  readonly outputs: (outputPlaces: readonly string[], route?: readonly string[]) => readonly string[];
  /**
   * The verifier's abstraction of a firing: every way it can go, each as the output places it marks. Each
   * is one transition of the place/transition net the verifier explores (a choice becomes a free choice).
   */
  readonly firings: (outputPlaces: readonly string[]) => readonly (readonly string[])[];
  /** Fires as a transition of a place/transition net: a token to every output arc (see `JoinBehaviour`). */
  readonly placeTransition: boolean;
  readonly drawing: Drawing;
}

const AND_MARKER = { symbol: '∧', className: 'and', width: 14 } as const;
const XOR_MARKER = { symbol: '×', className: 'xor', width: 14 } as const;
const OR_MARKER = { symbol: '∨', className: 'or', width: 14 } as const;

/** The most branches an `or` split may have: the verifier fires it once per non-empty subset of them. */
export const MAX_OR_BRANCHES = 6;

/** Every non-empty subset of the places, in a stable order (by bit pattern over arc order). */
function nonEmptySubsets(places: readonly string[]): (readonly string[])[] {
  const subsets: string[][] = [];
  for (let bits = 1; bits < 1 << places.length; bits++) {
    subsets.push(places.filter((_, i) => (bits & (1 << i)) !== 0));
  }
  return subsets;
}

const joins = {
  none: {
    inputArcs: {
      min: 1,
      max: 1,
      message: (id, count) => `transition ${id} (none join) needs one input place, has ${count}`,
    },
    required: (inputPlaces) => inputPlaces,
    pairedWithSplit: false,
    placeTransition: true,
    drawing: { label: 'single input' },
  },
  and: {
    inputArcs: {
      min: 1,
      max: Infinity,
      message: (id) => `transition ${id} (and join) has no input place`,
    },
    required: (inputPlaces) => inputPlaces,
    pairedWithSplit: false,
    placeTransition: true,
    drawing: { label: 'and-join', marker: AND_MARKER },
  },
  or: {
    inputArcs: {
      min: 1,
      max: MAX_OR_BRANCHES,
      message: (id, count) =>
        `transition ${id} (or join) needs 1 to ${MAX_OR_BRANCHES} input places, has ${count}`,
    },
    required: (inputPlaces) => inputPlaces,
    pairedWithSplit: true,
    placeTransition: false,
    drawing: { label: 'or-join', marker: OR_MARKER },
  },
} as const satisfies Record<string, JoinBehaviour>;

const splits = {
  none: {
    outputArcs: {
      min: 1,
      max: 1,
      message: (id, count) => `transition ${id} (none split) needs one output place, has ${count}`,
    },
    decides: 'none',
    outputs: (outputPlaces) => outputPlaces.slice(0, 1),
    firings: (outputPlaces) => [outputPlaces.slice(0, 1)],
    placeTransition: true,
    drawing: { label: 'single output' },
  },
  and: {
    outputArcs: {
      min: 1,
      max: Infinity,
      message: (id) => `transition ${id} (and split) has no output place`,
    },
    decides: 'none',
    outputs: (outputPlaces) => outputPlaces,
    firings: (outputPlaces) => [outputPlaces],
    placeTransition: true,
    drawing: { label: 'and-split', marker: AND_MARKER },
  },
  xor: {
    outputArcs: {
      min: 1,
      max: Infinity,
      message: (id) => `transition ${id} (xor split) has no output place`,
    },
    decides: 'first',
    outputs: (_, route) => route ?? [],
    firings: (outputPlaces) => outputPlaces.map((placeId) => [placeId]),
    placeTransition: false,
    drawing: { label: 'xor-split', marker: XOR_MARKER },
  },
  or: {
    outputArcs: {
      min: 1,
      max: MAX_OR_BRANCHES,
      message: (id, count) =>
        `transition ${id} (or split) needs 1 to ${MAX_OR_BRANCHES} output places, has ${count}`,
    },
    decides: 'every',
    outputs: (_, route) => route ?? [],
    firings: nonEmptySubsets,
    placeTransition: false,
    drawing: { label: 'or-split', marker: OR_MARKER },
  },
} as const satisfies Record<string, SplitBehaviour>;

export type JoinType = keyof typeof joins;
export type SplitType = keyof typeof splits;

/** The join kinds, in the order the contract lists them. */
export const joinKinds: Readonly<Record<JoinType, JoinBehaviour>> = joins;
/** The split kinds, in the order the contract lists them. */
export const splitKinds: Readonly<Record<SplitType, SplitBehaviour>> = splits;

export const DEFAULT_JOIN_TYPE: JoinType = 'none';
export const DEFAULT_SPLIT_TYPE: SplitType = 'none';

export const joinTypes = Object.keys(joinKinds) as readonly JoinType[];
export const splitTypes = Object.keys(splitKinds) as readonly SplitType[];

export const isJoinType = (value: unknown): value is JoinType =>
  typeof value === 'string' && Object.hasOwn(joinKinds, value);
export const isSplitType = (value: unknown): value is SplitType =>
  typeof value === 'string' && Object.hasOwn(splitKinds, value);

/** Whether `count` arcs are within what a kind allows. */
export const admits = (arcs: ArcCount, count: number): boolean => count >= arcs.min && count <= arcs.max;

/**
 * The join a place/transition net's transition with `inputCount` input arcs reads as (a net from another
 * tool): the first kind that fires as such a transition and allows that many arcs, else the default.
 */
export function placeTransitionJoin(inputCount: number): JoinType {
  const fits = ({ placeTransition, inputArcs }: JoinBehaviour): boolean =>
    placeTransition && admits(inputArcs, inputCount);
  return joinTypes.find((type) => fits(joinKinds[type])) ?? DEFAULT_JOIN_TYPE;
}

/** The split a place/transition net's transition with `outputCount` output arcs reads as (see the join). */
export function placeTransitionSplit(outputCount: number): SplitType {
  const fits = ({ placeTransition, outputArcs }: SplitBehaviour): boolean =>
    placeTransition && admits(outputArcs, outputCount);
  return splitTypes.find((type) => fits(splitKinds[type])) ?? DEFAULT_SPLIT_TYPE;
}
