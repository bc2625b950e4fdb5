import { stronglyConnected } from './graph.js';
import type { IndexedNet } from './indexed-net.js';

/**
 * Shrinks a workflow net by rules that keep the short-circuited net (the net plus a transition from end
 * back to start) live and bounded exactly when the original one is, so the result is sound exactly when
 * the net is (van der Aalst: a workflow net is sound iff its short-circuited net is live and bounded).
 * Start and end are never merged away, so the result is again a workflow net. The rules:
 *
 * - abstraction (Desel & Esparza's φA, which covers Murata's fusion of series places and of series
 *   transitions): a place `s` whose one consumer `t` has `s` as its only input is removed with `t`, and
 *   every producer of `s` produces `t`'s outputs instead;
 * - fusion of parallel places and of parallel transitions (same inputs, same outputs): one is kept;
 * - elimination of a self-loop transition (`•t = t• = {p}`) when `p` has another consumer;
 * - fusion of a cycle of one-input one-output transitions: a token can move freely around it, so its
 *   places act as one place.
 *
 * Every rule is skipped where it would put two arcs between the same place and transition, so the nets
 * stay ordinary. Each rule removes a node, so reduction ends after at most as many steps as there are nodes.
 * A sound net built from sequences, choices, loops and parallel blocks reduces to `start → t → end`.
 */
export function reduceNet(net: IndexedNet): IndexedNet {
  const placeCount = net.placeIds.length;
  const transitionCount = net.transitionIds.length;
  const placeAlive = new Uint8Array(placeCount).fill(1);
  const transitionAlive = new Uint8Array(transitionCount).fill(1);
  const inputs = net.inputs.map((places) => new Set(places));
  const outputs = net.outputs.map((places) => new Set(places));
  const producers = Array.from({ length: placeCount }, () => new Set<number>());
  const consumers = Array.from({ length: placeCount }, () => new Set<number>());
  for (let t = 0; t < transitionCount; t++) {
    for (const p of inputs[t]!) consumers[p]!.add(t);
    for (const p of outputs[t]!) producers[p]!.add(t);
  }
  const isFixed = (p: number): boolean => p === net.start || p === net.end;
  const only = (set: ReadonlySet<number>): number | undefined =>
    set.size === 1 ? set.values().next().value : undefined;

  const removeTransition = (t: number): void => {
    for (const p of inputs[t]!) consumers[p]!.delete(t);
    for (const p of outputs[t]!) producers[p]!.delete(t);
    inputs[t]!.clear();
    outputs[t]!.clear();
    transitionAlive[t] = 0;
  };
  const removePlace = (p: number): void => {
    for (const t of producers[p]!) outputs[t]!.delete(p);
    for (const t of consumers[p]!) inputs[t]!.delete(p);
    producers[p]!.clear();
    consumers[p]!.clear();
    placeAlive[p] = 0;
  };

  const abstract = (s: number): boolean => {
    if (placeAlive[s] === 0 || isFixed(s) || producers[s]!.size === 0) return false;
    const t = only(consumers[s]!);
    if (t === undefined || inputs[t]!.size !== 1 || producers[s]!.has(t)) return false;
    const targets = [...outputs[t]!];
    const sources = [...producers[s]!];
    if (sources.some((u) => targets.some((q) => outputs[u]!.has(q)))) return false;
    removeTransition(t);
    removePlace(s);
    for (const u of sources) {
      for (const q of targets) {
        outputs[u]!.add(q);
        producers[q]!.add(u);
      }
    }
    return true;
  };

  const eliminateSelfLoop = (t: number): boolean => {
    if (transitionAlive[t] === 0) return false;
    const p = only(inputs[t]!);
    if (p === undefined || only(outputs[t]!) !== p || consumers[p]!.size < 2) return false;
    removeTransition(t);
    return true;
  };

  const signature = (before: ReadonlySet<number>, after: ReadonlySet<number>): string =>
    `${[...before].sort((a, b) => a - b).join(',')}|${[...after].sort((a, b) => a - b).join(',')}`;

  const fuseParallelPlaces = (): boolean => {
    const seen = new Set<string>();
    let changed = false;
    for (let p = 0; p < placeCount; p++) {
      if (placeAlive[p] === 0 || isFixed(p)) continue;
      const key = signature(producers[p]!, consumers[p]!);
      if (seen.has(key)) {
        removePlace(p);
        changed = true;
      } else {
        seen.add(key);
      }
    }
    return changed;
  };

  const fuseParallelTransitions = (): boolean => {
    const seen = new Set<string>();
    let changed = false;
    for (let t = 0; t < transitionCount; t++) {
      if (transitionAlive[t] === 0) continue;
      const key = signature(inputs[t]!, outputs[t]!);
      if (seen.has(key)) {
        removeTransition(t);
        changed = true;
      } else {
        seen.add(key);
      }
    }
    return changed;
  };

  const fuseCycles = (): boolean => {
    const moves: number[][] = Array.from({ length: placeCount }, () => []);
    for (let t = 0; t < transitionCount; t++) {
      const from = only(inputs[t]!);
      const to = only(outputs[t]!);
      if (transitionAlive[t] === 1 && from !== undefined && to !== undefined && from !== to) {
        moves[from]!.push(to);
      }
    }
    let changed = false;
    for (const cycle of stronglyConnected(placeCount, (p) => moves[p]!)) {
      if (cycle.length < 2) continue;
      const members = new Set(cycle);
      const touching = new Set(cycle.flatMap((p) => [...producers[p]!, ...consumers[p]!]));
      const inCycle = (places: ReadonlySet<number>): number =>
        [...places].filter((p) => members.has(p)).length;
      if ([...touching].some((t) => inCycle(inputs[t]!) > 1 || inCycle(outputs[t]!) > 1)) continue;
      const kept = cycle.reduce((a, b) => Math.min(a, b));
      for (const p of cycle) {
        if (p === kept) continue;
        for (const t of producers[p]!) {
          outputs[t]!.add(kept);
          producers[kept]!.add(t);
        }
        for (const t of consumers[p]!) {
          inputs[t]!.add(kept);
          consumers[kept]!.add(t);
        }
        removePlace(p);
      }
      changed = true;
    }
    return changed;
  };

  let changed = true;
  while (changed) {
    changed = false;
    for (let s = 0; s < placeCount; s++) if (abstract(s)) changed = true;
    for (let t = 0; t < transitionCount; t++) if (eliminateSelfLoop(t)) changed = true;
    if (fuseParallelPlaces()) changed = true;
    if (fuseParallelTransitions()) changed = true;
    // The costliest rule, and needed only once the local ones are stuck.
    if (!changed && fuseCycles()) changed = true;
  }

  const places = [...placeAlive.keys()].filter((p) => placeAlive[p] === 1);
  const placeIndex = new Map(places.map((p, i) => [p, i]));
  const renumber = (set: ReadonlySet<number>): number[] =>
    [...set].map((p) => placeIndex.get(p)!).sort((a, b) => a - b);
  const transitions = [...transitionAlive.keys()].filter((t) => transitionAlive[t] === 1);
  return {
    placeIds: places.map((p) => net.placeIds[p]!),
    transitionIds: transitions.map((t) => net.transitionIds[t]!),
    firingNames: transitions.map((t) => net.firingNames[t]!),
    inputs: transitions.map((t) => renumber(inputs[t]!)),
    outputs: transitions.map((t) => renumber(outputs[t]!)),
    start: placeIndex.get(net.start)!,
    end: placeIndex.get(net.end)!,
  };
}

/** `start → t → end` (with any number of such `t`): sound, so every net that reduces to it is sound. */
export function isTrivialNet(net: IndexedNet): boolean {
  return (
    net.placeIds.length === 2 &&
    net.transitionIds.length > 0 &&
    net.inputs.every((places) => places.length === 1 && places[0] === net.start) &&
    net.outputs.every((places) => places.length === 1 && places[0] === net.end)
  );
}
