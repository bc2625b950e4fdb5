/**
 * Where every follower of the store keeps its checkpoint, by follower id: the position after which it
 * resumes. The read store is this store, so a follower whose work lands in the read models can move its
 * checkpoint in the same transaction as that work.
 */
export interface CheckpointStore {
  load(followerId: string): Promise<bigint | undefined>;
  save(followerId: string, position: bigint): Promise<void>;
}
