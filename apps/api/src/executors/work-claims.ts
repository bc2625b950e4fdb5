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

/** How long a claim lasts unless renewed, when `WFNET_CLAIM_LEASE_MS` does not say. */
export const DEFAULT_CLAIM_LEASE_MS = 30_000;

/** One process alone on its store: every claim is granted, and there is nothing to keep. */
export const SOLE_PROCESS_CLAIMS: WorkClaims = {
  claim: () => Promise.resolve(true),
  release: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

interface Lease {
  readonly holder: string;
  /** Milliseconds, by the clock of the table. */
  readonly expiresAt: number;
}

/**
 * Claims kept in this process, for tests of several dispatchers or schedulers on one memory store: each
 * stands for a process (`holder`) and `forProcess` gives another process a view of the same table.
 */
export class MemoryWorkClaims implements WorkClaims {
  constructor(
    readonly holder: string,
    /** The time leases are measured by, in milliseconds: the one clock all holders share, as a database's. */
    private readonly now: () => number = Date.now,
    private readonly leases = new Map<string, Lease>(),
  ) {}

  /** The claims of another process on the same table. */
  forProcess(holder: string): MemoryWorkClaims {
    return new MemoryWorkClaims(holder, this.now, this.leases);
  }

  /** Who holds an unexpired claim on `key`, if anyone. */
  holderOf(key: string): string | undefined {
    const lease = this.leases.get(key);
    return lease !== undefined && lease.expiresAt >= this.now() ? lease.holder : undefined;
  }

  claim(key: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    const lease = this.leases.get(key);
    if (lease !== undefined && lease.holder !== this.holder && lease.expiresAt >= now) {
      return Promise.resolve(false);
    }
    this.leases.set(key, { holder: this.holder, expiresAt: now + leaseMs });
    return Promise.resolve(true);
  }

  release(key: string): Promise<void> {
    if (this.leases.get(key)?.holder === this.holder) this.leases.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
