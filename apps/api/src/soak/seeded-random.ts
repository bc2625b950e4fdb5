/** A random number in [0, 1) from a seeded generator (mulberry32): the same seed gives the same sequence. */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pickFrom = <T>(random: Random, items: readonly T[]): T | undefined =>
  items[Math.floor(random() * items.length)];

/** A random integer in [min, max]. */
export const between = (random: Random, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));

/**
 * `count` instants spread over [fromMs, toMs]: one at random in each of `count` equal slices, in a
 * random order, so that every part of the range is hit whatever the seed.
 */
export function spreadInstants(random: Random, count: number, fromMs: number, toMs: number): number[] {
  const width = (toMs - fromMs) / count;
  const instants = Array.from({ length: count }, (_, i) => Math.round(fromMs + width * (i + random())));
  for (let i = instants.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [instants[i], instants[j]] = [instants[j]!, instants[i]!];
  }
  return instants;
}
