import type { JsonValue } from '../core/message.js';
import type { WorkflowDefinition } from './definition.js';
import { isJoinType, isSplitType, joinKinds, splitKinds } from './kinds.js';

/** One branch of an `or` block: it leaves the split by `output` and reaches the join by `input`. */
export interface OrBranch {
  readonly output: string;
  readonly input: string;
}

/**
 * An `or` split and the `or` join that closes its block. The split issues a control token in
 * `controlPlace` naming the branches it chose; the join waits for that token and the chosen branches'
 * tokens. The control place is no place of the definition: `#` is outside the id pattern.
 */
export interface OrBlock {
  readonly split: string;
  readonly join: string;
  readonly controlPlace: string;
  /** In the split's arc order. */
  readonly branches: readonly OrBranch[];
}

export interface OrBlockProblem {
  readonly join: string;
  readonly message: string;
}

export const controlPlaceOf = (split: string, join: string): string => `${split}#${join}`;

/**
 * The blocks the `or` joins of a definition close, by join id, and why the others do not bound a
 * single-entry single-exit block with their split: each branch of the split reaches exactly one input of
 * the join, by nodes no other branch reaches, entered only from the split or from the branch itself, and
 * never leaving except into the join.
 */
export function orBlocksOf(definition: WorkflowDefinition): {
  readonly blocks: ReadonlyMap<string, OrBlock>;
  readonly problems: readonly OrBlockProblem[];
} {
  const transitions = new Map(definition.transitions.map((t) => [t.id, t]));
  const nodes = new Set([...definition.places.map((p) => p.id), ...transitions.keys()]);
  const successors = new Map<string, string[]>();
  const predecessors = new Map<string, string[]>();
  for (const { from, to } of definition.arcs) {
    if (!nodes.has(from) || !nodes.has(to)) continue;
    successors.set(from, [...(successors.get(from) ?? []), to]);
    predecessors.set(to, [...(predecessors.get(to) ?? []), from]);
  }
  const endPlaces = new Set(definition.places.filter((p) => p.type === 'end').map((p) => p.id));
  const blocks = new Map<string, OrBlock>();
  const problems: OrBlockProblem[] = [];
  const pairedSplits = new Map<string, string>();

  for (const join of definition.transitions) {
    // Total over any structure: a kind outside the tables pairs with nothing.
    if (!isJoinType(join.joinType) || !joinKinds[join.joinType].pairedWithSplit) continue;
    const problem = (message: string): void => {
      problems.push({ join: join.id, message: `or join ${join.id}: ${message}` });
    };
    const splitId = join.orJoin?.split;
    if (splitId === undefined) {
      problem('names no split in orJoin.split');
      continue;
    }
    const split = transitions.get(splitId);
    if (
      !split ||
      !isSplitType(split.splitType) ||
      splitKinds[split.splitType].decides !== 'every' ||
      split.id === join.id
    ) {
      problem(`orJoin.split ${splitId} is not an or split`);
      continue;
    }
    const other = pairedSplits.get(splitId);
    if (other !== undefined) {
      problem(`split ${splitId} is already closed by ${other}`);
      continue;
    }
    pairedSplits.set(splitId, join.id);

    const outputs = successors.get(splitId) ?? [];
    const joinInputs = new Set(predecessors.get(join.id) ?? []);
    const owner = new Map<string, string>();
    const branches: OrBranch[] = [];
    const broken: string[] = [];
    for (const output of outputs) {
      const region = new Set<string>([output]);
      const stack = [output];
      for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
        if (node === splitId) broken.push(`the branch from ${output} loops back to the split`);
        else if (endPlaces.has(node)) broken.push(`the branch from ${output} reaches the end place`);
        else {
          for (const next of successors.get(node) ?? []) {
            if (next === join.id || region.has(next)) continue;
            region.add(next);
            stack.push(next);
          }
        }
      }
      for (const node of region) {
        const first = owner.get(node);
        if (first !== undefined) broken.push(`the branches from ${first} and ${output} meet at ${node}`);
        else owner.set(node, output);
        for (const from of predecessors.get(node) ?? []) {
          if (!region.has(from) && from !== splitId) {
            broken.push(`${node} in the branch from ${output} is entered from ${from}, outside the block`);
          }
        }
      }
      const reached = [...region].filter((node) => joinInputs.has(node));
      if (reached.length !== 1) {
        broken.push(`the branch from ${output} reaches ${reached.length} of the join's inputs, not one`);
      } else {
        branches.push({ output, input: reached[0]! });
      }
    }
    for (const input of joinInputs) {
      if (!owner.has(input)) broken.push(`input ${input} is on no branch of ${splitId}`);
    }
    if (broken.length > 0) {
      problem(`it does not close a block of ${splitId}: ${[...new Set(broken)].join('; ')}`);
      continue;
    }
    blocks.set(join.id, {
      split: splitId,
      join: join.id,
      controlPlace: controlPlaceOf(splitId, join.id),
      branches,
    });
  }
  return { blocks, problems };
}

/** The payload of the control token an `or` split issues: the output places it chose, in arc order. */
export const controlPayload = (route: readonly string[]): JsonValue => ({ branches: [...route] });

/**
 * The join inputs a control token makes the block's join wait for: those of the branches it names. A
 * payload no split wrote names none, so the join never becomes enabled by it.
 */
export function awaitedInputs(block: OrBlock, payload: JsonValue): readonly string[] {
  const branches: unknown =
    typeof payload === 'object' && payload !== null
      ? (payload as { branches?: JsonValue }).branches
      : undefined;
  if (!Array.isArray(branches)) return [];
  const chosen = new Set(branches);
  return block.branches.filter(({ output }) => chosen.has(output)).map(({ input }) => input);
}
