/**
 * A kind of work driven by the store's events, each from a checkpoint of its own: the read models, the
 * dispatcher of executors. A `StoreFeed` runs the loop; the follower decides what a batch does and when
 * its checkpoint moves.
 */
export interface StoreFollower {
  /** Names its checkpoint and its line in `/health`. */
  readonly id: string;
  /** The position of the last event it has taken in hand. */
  readonly position: bigint;
  /** Whether it follows the store now: not before `start`, after `stop`, nor while it rebuilds. */
  readonly following: boolean;
  /** The last failure while following, until a batch succeeds again. */
  readonly lastError: Error | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The followers of the store in this process, in the order they start (each once the one before has
 * caught up) and stop in reverse. Admission and `/health` ask them here, so a new follower is one
 * registration away from both.
 */
export class Followers {
  readonly #all: StoreFollower[] = [];

  add(follower: StoreFollower): void {
    if (this.#all.some(({ id }) => id === follower.id)) {
      throw new Error(`a follower with the id ${follower.id} is already registered`);
    }
    this.#all.push(follower);
  }

  get all(): readonly StoreFollower[] {
    return this.#all;
  }

  get(id: string): StoreFollower | undefined {
    return this.#all.find((follower) => follower.id === id);
  }

  /** The positions of the followers following now: one stopped or rebuilding holds no case back. */
  positions(): bigint[] {
    return this.#all.filter(({ following }) => following).map(({ position }) => position);
  }

  async start(): Promise<void> {
    for (const follower of this.#all) await follower.start();
  }

  async stop(): Promise<void> {
    for (const follower of [...this.#all].reverse()) await follower.stop();
  }
}
