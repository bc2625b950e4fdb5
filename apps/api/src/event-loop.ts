/**
 * Calls `callback` once the event loop has gone round: the timers that fell due and the I/O that came in
 * meanwhile have run first. One `setImmediate` is not that when it is set from an I/O callback: it runs in
 * the same round's check phase, before either.
 */
export function afterLoopRound(callback: () => void): void {
  setImmediate(() => setImmediate(callback));
}

/** Resolves once the event loop has gone round (see `afterLoopRound`). */
export const loopRound = (): Promise<void> => new Promise((resolve) => afterLoopRound(resolve));
