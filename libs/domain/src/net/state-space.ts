import { stronglyConnected } from './graph.js';
import type { IndexedNet } from './indexed-net.js';

/**
 * Karp–Miller's ω: a place count that stands for "as many tokens as you like". Far above any count a
 * real firing can reach within a state budget, so it never meets a real count.
 */
export const OMEGA = 0x40000000;

/** A marking as ascending `place, count` pairs with count > 0 (OMEGA for ω). */
export type SparseMarking = Int32Array;

export interface ExploreOptions {
  /** Markings to keep before giving up with `complete: false`. */
  readonly maxStates: number;
  /** The most witnesses kept per kind of problem (the counts go on). */
  readonly maxCounterexamples: number;
  /**
   * Skip the ancestor checks that detect unboundedness for as long as every marking seen is safe. Only for
   * free-choice nets: a sound free-choice workflow net is safe, so the first unsafe marking already proves
   * a problem, and the checks start there (an unbounded net always gets there, so exploration still ends).
   */
  readonly coverageOnlyWhenUnsafe: boolean;
  /** Asked now and then while exploring: true gives up as the state budget does (a caller's time limit). */
  readonly shouldStop?: () => boolean;
}

/** New markings between two calls of `shouldStop`. */
const STOP_CHECK_EVERY = 512;

/** From the marking of `ancestor`, the path down to `node` then `transition` leads to `pumped`, which has more in `place` and no less anywhere. */
export interface Pump {
  readonly place: number;
  readonly ancestor: number;
  readonly node: number;
  readonly transition: number;
  readonly pumped: SparseMarking;
}

/**
 * The reachability graph from one token in start (a coverability graph once a place is found unbounded).
 * Nodes are numbered in breadth-first order, so the path to a node is a shortest firing sequence.
 */
export interface StateSpace {
  /** False when the state budget ran out: then the lists may be incomplete and dead transitions unknown. */
  readonly complete: boolean;
  readonly states: number;
  /** Some place is unbounded; markings beyond the first pump carry ω and give no witnesses. */
  readonly unbounded: boolean;
  /** Reachable dead markings with no token in end. */
  readonly deadlocks: readonly number[];
  readonly deadlockCount: number;
  /** The first marking on a path with a token in end that is not exactly one token in end. */
  readonly improperCompletions: readonly number[];
  readonly improperCompletionCount: number;
  /** One marking of each terminal cycle that has no token in end: the case runs forever, never ending. */
  readonly livelocks: readonly number[];
  readonly livelockCount: number;
  /** The first pump found for each place that one grows. */
  readonly pumps: readonly Pump[];
  /** Transitions enabled at no reachable marking; empty unless complete. */
  readonly deadTransitions: readonly number[];
  /** The transitions fired from the initial marking to the node. */
  path(node: number): number[];
  marking(node: number): SparseMarking;
}

export function hasProblems(space: StateSpace): boolean {
  return (
    space.unbounded ||
    space.deadlockCount > 0 ||
    space.improperCompletionCount > 0 ||
    space.livelockCount > 0 ||
    space.deadTransitions.length > 0
  );
}

export function valueAt(marking: SparseMarking, place: number): number {
  for (let k = 0; k < marking.length; k += 2) {
    const p = marking[k]!;
    if (p === place) return marking[k + 1]!;
    if (p > place) return 0;
  }
  return 0;
}

function isConcrete(marking: SparseMarking): boolean {
  for (let k = 1; k < marking.length; k += 2) if (marking[k] === OMEGA) return false;
  return true;
}

/** Every count of `smaller` is at most the count of the same place in the dense `larger`. */
function coveredBy(smaller: SparseMarking, larger: Int32Array): boolean {
  for (let k = 0; k < smaller.length; k += 2) if (larger[smaller[k]!]! < smaller[k + 1]!) return false;
  return true;
}

/** Explores breadth-first from one token in `net.start`, within the options' budget. */
export function exploreStateSpace(net: IndexedNet, options: ExploreOptions): StateSpace {
  const placeCount = net.placeIds.length;
  const transitionCount = net.transitionIds.length;
  const consumers: number[][] = Array.from({ length: placeCount }, () => []);
  net.inputs.forEach((inputs, t) => {
    for (const p of inputs) consumers[p]!.push(t);
  });

  const markings: SparseMarking[] = [];
  const parents: number[] = [];
  const vias: number[] = [];
  const sums: number[] = [];
  const concrete: boolean[] = [];
  const index = new Map<string, number>();
  // The graph in compressed rows: the successors of node n are edges[edgeStart[n] .. edgeStart[n + 1]).
  const edgeStart: number[] = [];
  const edges: number[] = [];
  const enabledEver = new Uint8Array(transitionCount);
  const deadlocks: number[] = [];
  const improperCompletions: number[] = [];
  const pumps: Pump[] = [];
  const pumpedPlaces = new Set<number>();
  let deadlockCount = 0;
  let improperCompletionCount = 0;
  let unbounded = false;
  let complete = true;
  let checkCoverage = !options.coverageOnlyWhenUnsafe;
  const keep = (list: number[], node: number): void => {
    if (list.length < options.maxCounterexamples) list.push(node);
  };

  const add = (marking: SparseMarking, key: string, sum: number, parent: number, via: number): number => {
    const node = markings.length;
    markings.push(marking);
    parents.push(parent);
    vias.push(via);
    sums.push(sum);
    concrete.push(isConcrete(marking));
    index.set(key, node);
    return node;
  };
  const root = Int32Array.of(net.start, 1);
  add(root, root.join(','), 1, -1, -1);

  const current = new Int32Array(placeCount);
  const next = new Int32Array(placeCount);
  const stamp = new Int32Array(transitionCount).fill(-1);
  const sparseOf = (places: readonly number[]): { marking: SparseMarking; sum: number } => {
    let size = 0;
    for (const p of places) if (next[p]! > 0) size++;
    const marking = new Int32Array(size * 2);
    let sum = 0;
    let k = 0;
    for (const p of places) {
      const count = next[p]!;
      if (count > 0) {
        marking[k++] = p;
        marking[k++] = count;
        sum += count;
      }
    }
    return { marking, sum };
  };

  explore: for (let node = 0; node < markings.length; node++) {
    edgeStart.push(edges.length);
    const marking = markings[node]!;
    for (let k = 0; k < marking.length; k += 2) current[marking[k]!] = marking[k + 1]!;
    const enabled: number[] = [];
    for (let k = 0; k < marking.length; k += 2) {
      for (const t of consumers[marking[k]!]!) {
        if (stamp[t] === node) continue;
        stamp[t] = node;
        if (net.inputs[t]!.every((p) => current[p]! > 0)) enabled.push(t);
      }
    }
    enabled.sort((a, b) => a - b);
    if (enabled.length === 0 && concrete[node] && valueAt(marking, net.end) === 0) {
      deadlockCount++;
      keep(deadlocks, node);
    }
    for (const t of enabled) {
      enabledEver[t] = 1;
      next.set(current);
      for (const p of net.inputs[t]!) if (next[p] !== OMEGA) next[p]!--;
      for (const p of net.outputs[t]!) if (next[p] !== OMEGA) next[p]!++;
      const places = supportWith(marking, net.outputs[t]!);
      let { marking: successor, sum } = sparseOf(places);
      let key = successor.join(',');
      let target = index.get(key);
      if (!checkCoverage && hasCountAbove(successor, 1)) checkCoverage = true;
      // Only a marking not seen before can extend a path without end, so only it needs the ancestor checks.
      if (target === undefined && checkCoverage) {
        const raw = successor;
        const rawSum = sum;
        let accelerated = false;
        for (let a = node; a !== -1; a = parents[a]!) {
          if (sums[a]! >= sum) continue;
          const ancestor = markings[a]!;
          if (!coveredBy(ancestor, next)) continue;
          unbounded = true;
          if (concrete[node] && concrete[a] && rawSum > sums[a]! && coversSparse(raw, ancestor)) {
            for (let k = 0; k < raw.length; k += 2) {
              const p = raw[k]!;
              if (raw[k + 1]! > valueAt(ancestor, p) && !pumpedPlaces.has(p)) {
                pumpedPlaces.add(p);
                pumps.push({ place: p, ancestor: a, node, transition: t, pumped: raw });
              }
            }
          }
          // Karp–Miller acceleration: repeating the path from the ancestor grows these places without bound.
          for (const p of places) {
            if (next[p] !== OMEGA && next[p]! > valueAt(ancestor, p)) {
              sum += OMEGA - next[p]!;
              next[p] = OMEGA;
            }
          }
          accelerated = true;
        }
        if (accelerated) {
          successor = sparseOf(places).marking;
          key = successor.join(',');
          target = index.get(key);
        }
      }
      if (target === undefined) {
        if (
          markings.length >= options.maxStates ||
          (markings.length % STOP_CHECK_EVERY === 0 && options.shouldStop?.() === true)
        ) {
          complete = false;
          break explore;
        }
        target = add(successor, key, sum, node, t);
        const endCount = valueAt(successor, net.end);
        if (
          concrete[target] &&
          endCount > 0 &&
          valueAt(marking, net.end) === 0 &&
          (endCount > 1 || successor.length > 2)
        ) {
          improperCompletionCount++;
          keep(improperCompletions, target);
        }
      }
      edges.push(target);
    }
    for (let k = 0; k < marking.length; k += 2) current[marking[k]!] = 0;
  }
  edgeStart.push(edges.length);

  const livelocks =
    complete && !unbounded
      ? terminalCycles(markings.length, edgeStart, edges, index.get(`${net.end},1`)).filter(
          (node) => valueAt(markings[node]!, net.end) === 0,
        )
      : [];
  const deadTransitions: number[] = [];
  if (complete) for (let t = 0; t < transitionCount; t++) if (enabledEver[t] === 0) deadTransitions.push(t);

  return {
    complete,
    states: markings.length,
    unbounded,
    deadlocks,
    deadlockCount,
    improperCompletions,
    improperCompletionCount,
    livelocks: livelocks.slice(0, options.maxCounterexamples),
    livelockCount: livelocks.length,
    pumps,
    deadTransitions,
    path(node) {
      const path: number[] = [];
      for (let n = node; parents[n]! !== -1; n = parents[n]!) path.push(vias[n]!);
      return path.reverse();
    },
    marking: (node) => markings[node]!,
  };
}

/** The places of `marking` and `extra`, ascending, each once. */
function supportWith(marking: SparseMarking, extra: readonly number[]): number[] {
  const places: number[] = [];
  for (let k = 0; k < marking.length; k += 2) places.push(marking[k]!);
  for (const p of extra) if (valueAt(marking, p) === 0) places.push(p);
  return places.sort((a, b) => a - b);
}

function hasCountAbove(marking: SparseMarking, bound: number): boolean {
  for (let k = 1; k < marking.length; k += 2) if (marking[k]! > bound) return true;
  return false;
}

function coversSparse(larger: SparseMarking, smaller: SparseMarking): boolean {
  for (let k = 0; k < smaller.length; k += 2) {
    if (valueAt(larger, smaller[k]!) < smaller[k + 1]!) return false;
  }
  return true;
}

/**
 * For each terminal strongly connected component that cannot reach the final marking and is a cycle (not
 * a lone dead marking, which is a deadlock or an improper completion), its first node.
 */
function terminalCycles(
  nodeCount: number,
  edgeStart: readonly number[],
  edges: readonly number[],
  finalNode: number | undefined,
): number[] {
  const successors = (n: number): readonly number[] => edges.slice(edgeStart[n], edgeStart[n + 1]);
  const canFinish = new Uint8Array(nodeCount);
  if (finalNode !== undefined) {
    const predecessorCount = new Int32Array(nodeCount + 1);
    for (const target of edges) predecessorCount[target + 1]!++;
    for (let n = 0; n < nodeCount; n++) predecessorCount[n + 1]! += predecessorCount[n]!;
    const predecessors = new Int32Array(edges.length);
    const fill = predecessorCount.slice();
    for (let n = 0; n < nodeCount; n++) {
      for (let e = edgeStart[n]!; e < edgeStart[n + 1]!; e++) predecessors[fill[edges[e]!]!++] = n;
    }
    const queue = [finalNode];
    canFinish[finalNode] = 1;
    for (let head = 0; head < queue.length; head++) {
      const n = queue[head]!;
      for (let e = predecessorCount[n]!; e < predecessorCount[n + 1]!; e++) {
        const p = predecessors[e]!;
        if (canFinish[p] === 0) {
          canFinish[p] = 1;
          queue.push(p);
        }
      }
    }
  }

  // Nodes that can finish get no successors here: their components are never terminal cycles that matter.
  const components = stronglyConnected(nodeCount, (n) => (canFinish[n] === 1 ? [] : successors(n)));
  const component = new Int32Array(nodeCount);
  components.forEach((members, id) => {
    for (const n of members) component[n] = id;
  });
  const witnesses: number[] = [];
  components.forEach((members, id) => {
    if (canFinish[members[0]!] === 1) return;
    let terminal = true;
    let cycle = members.length > 1;
    for (const n of members) {
      for (const target of successors(n)) {
        if (component[target] !== id) terminal = false;
        if (target === n) cycle = true;
      }
    }
    if (terminal && cycle) witnesses.push(members.reduce((a, b) => Math.min(a, b)));
  });
  return witnesses.sort((a, b) => a - b);
}
