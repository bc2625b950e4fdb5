import type { IndexedNet } from './indexed-net.js';

/** A run that ended badly: the firings it took (indices into the net's transitions) and where it stopped. */
export interface BadRun {
  readonly kind: 'deadlock' | 'improper-completion';
  readonly firings: readonly number[];
  readonly marking: readonly number[];
}

/**
 * Runs the net from its genesis marking to the end, `runs` times, each time choosing among the enabled
 * transitions by a fixed pseudo-random sequence, and answers the first run that stops in a deadlock
 * (nothing enabled, no token in end) or completes improperly (a token in end and others left). A breadth-
 * first exploration that runs out of states on a highly concurrent net may never reach such markings,
 * while any run to the end does when the net goes wrong on every run; a run is at most `maxSteps` long.
 */
export function findBadRun(net: IndexedNet, runs: number, maxSteps: number): BadRun | undefined {
  let seed = 0x9e3779b9;
  const next = (bound: number): number => {
    // xorshift32: deterministic, so a verification answers the same each time.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % bound;
  };
  const isEnabled = (marking: number[], t: number): boolean =>
    net.inputs[t]!.every((p) => (marking[p] ?? 0) > 0);
  for (let run = 0; run < runs; run++) {
    const marking = new Array<number>(net.placeIds.length).fill(0);
    marking[net.start] = 1;
    const firings: number[] = [];
    for (let step = 0; step < maxSteps; step++) {
      if ((marking[net.end] ?? 0) > 0) {
        const others = marking.reduce((sum, count) => sum + count, 0) - 1;
        if (others > 0 || marking[net.end]! > 1) return { kind: 'improper-completion', firings, marking };
        break;
      }
      const enabled: number[] = [];
      for (let t = 0; t < net.transitionIds.length; t++) if (isEnabled(marking, t)) enabled.push(t);
      if (enabled.length === 0) return { kind: 'deadlock', firings, marking };
      const t = enabled[next(enabled.length)]!;
      for (const p of net.inputs[t]!) marking[p]! -= 1;
      for (const p of net.outputs[t]!) marking[p]! += 1;
      firings.push(t);
    }
  }
  return undefined;
}
