export interface AdmissionOptions {
  /** Events the slowest follower may be behind the engine's last append before new cases wait; 0: never. */
  readonly maxLag: number;
  /** Positions of the store's followers in this process that follow it now. */
  readonly followers: () => readonly bigint[];
  /** Creations decided at once, so that a burst shows in the lag before more of it is let in. */
  readonly maxCreating?: number;
  /** A follower that has not moved for this long holds nothing back (an executor may take its time). */
  readonly stalledMs?: number;
  /** How often waiting creations look at the followers again. */
  readonly checkEveryMs?: number;
  readonly now?: () => number;
}

interface Seen {
  position: bigint;
  movedAt: number;
}

/**
 * Backpressure on new cases. A case costs most while it is in flight: its state is cached, its read-model
 * documents are being written, its workitems wait for the dispatcher. When creations outrun the followers,
 * every cache thrashes and the cost of each case grows with the backlog. So a `CreateCase` waits (in
 * order of arrival, before anything is decided or acknowledged) while a follower is more than `maxLag`
 * events behind; commands on existing cases never wait, so the work in flight drains.
 */
export class Admission {
  readonly #maxLag: bigint;
  readonly #maxCreating: number;
  readonly #stalledMs: number;
  readonly #checkEveryMs: number;
  readonly #now: () => number;
  readonly #waiting: (() => void)[] = [];
  #seen: Seen[] = [];
  #creating = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly head: () => bigint,
    private readonly options: AdmissionOptions,
  ) {
    this.#maxLag = BigInt(options.maxLag);
    this.#maxCreating = options.maxCreating ?? 100;
    this.#stalledMs = options.stalledMs ?? 2_000;
    this.#checkEveryMs = options.checkEveryMs ?? 2;
    this.#now = options.now ?? Date.now;
  }

  /** Creations waiting to be let in. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves when a new case may be decided; `leave` must follow once it has been. */
  enter(): Promise<void> {
    if (this.#waiting.length === 0 && this.#open()) {
      this.#creating++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#schedule();
    });
  }

  leave(): void {
    this.#creating--;
    this.#release();
  }

  #open(): boolean {
    if (this.options.maxLag === 0) return true;
    return this.#creating < this.#maxCreating && this.#lag() <= this.#maxLag;
  }

  /** How far the slowest follower that is still moving is behind the head. */
  #lag(): bigint {
    const now = this.#now();
    const head = this.head();
    const positions = this.options.followers();
    let lag = 0n;
    this.#seen = positions.map((position, i) => {
      const before = this.#seen[i];
      const seen = before?.position === position ? before : { position, movedAt: now };
      const behind = head - position;
      if (behind > lag && now - seen.movedAt < this.#stalledMs) lag = behind;
      return seen;
    });
    return lag;
  }

  #release(): void {
    while (this.#waiting.length > 0 && this.#open()) {
      this.#creating++;
      this.#waiting.shift()?.();
    }
    if (this.#waiting.length > 0) this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#release();
    }, this.#checkEveryMs);
  }
}
