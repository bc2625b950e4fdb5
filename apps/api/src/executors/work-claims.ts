/**
 * Who runs a piece of work (a workitem's execution, a timer's firing) when several processes follow one
 * store: each process asks for a claim before it runs, and runs only while it holds one. A claim is a
 * lease: it ends when released, or when its time runs out, so a process that dies gives its claims back.
 */
export interface WorkClaims {
  /**
   * Claims `key` for `leaseMs` unless another process holds an unexpired claim on it; answers whether
   * this process holds it now. Claiming a key this process already holds renews the lease.
   */
  claim(key: string, leaseMs: number): Promise<boolean>;
  /** Ends this process's claim on `key`, if it holds one. */
  release(key: string): Promise<void>;
  close(): Promise<void>;
}

/** One process alone on its store: every claim is granted, and there is nothing to keep. */
export const SOLE_PROCESS_CLAIMS: WorkClaims = {
  claim: () => Promise.resolve(true),
  release: () => Promise.resolve(),
  close: () => Promise.resolve(),
};
