export interface ReadinessInput {
  /** The store's head position; undefined when the store could not be reached. */
  readonly head: bigint | undefined;
  readonly projectionPosition: bigint;
  /** Whether the projection runner is following the store (it stops only on shutdown or a fault). */
  readonly following: boolean;
  readonly maxLag: number;
}

export type Readiness =
  | { readonly ready: true; readonly lag: bigint }
  | {
      readonly ready: false;
      readonly code: 'store_unavailable' | 'projection_lagging';
      readonly message: string;
      readonly lag?: bigint;
    };

/** Ready means: the store answers, and the read models follow it no more than `maxLag` events behind. */
export function readiness({ head, projectionPosition, following, maxLag }: ReadinessInput): Readiness {
  if (head === undefined)
    return { ready: false, code: 'store_unavailable', message: 'the event store is unreachable' };
  // A read store restored from a newer copy than the event store is ahead, not behind.
  const lag = head > projectionPosition ? head - projectionPosition : 0n;
  if (!following) {
    return {
      ready: false,
      code: 'projection_lagging',
      message: 'the read models are not following the event store',
      lag,
    };
  }
  if (lag > BigInt(maxLag)) {
    return {
      ready: false,
      code: 'projection_lagging',
      message: `the read models are ${lag} events behind the store (at most ${maxLag} allowed)`,
      lag,
    };
  }
  return { ready: true, lag };
}
