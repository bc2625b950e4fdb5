import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { NetBlock } from '../testing/arbitraries.js';
import { arbitraryNetBlock, netFromBlock } from '../testing/arbitraries.js';
import type { Arc, WorkflowDefinition } from './definition.js';
import type { Marking } from './marking.js';
import {
  enabledFirings,
  enabledTransitions,
  fireTransition,
  genesisMarking,
  isHiddenPlace,
  isProperCompletion,
  replayFiringSequence,
  transitionOfFiring,
  visibleMarking,
} from './marking.js';
import { placeTransitionJoin } from './kinds.js';
import type { ArcInput, TransitionInput } from './normalize.js';
import { normalizeWorkflow } from './normalize.js';
import { validateNet } from './validate.js';
import type { SoundnessReport } from './verify.js';
import { verifySoundness } from './verify.js';

/** Runs per property; VERIFY_RUNS scales them up for a longer hunt. */
const SCALE = Number(process.env['VERIFY_RUNS'] ?? 1);
const runs = (n: number): { numRuns: number } => ({ numRuns: n * SCALE });

/**
 * An oracle written apart from the verifier, on the engine's own firing rules: the reachable markings
 * (as long as they stay few and small), which of them can still reach proper completion, and the
 * transitions enabled somewhere.
 */
interface Oracle {
  readonly sound: boolean;
  readonly reachable: ReadonlyMap<string, Marking>;
  readonly enabledSomewhere: ReadonlySet<string>;
  readonly canFinish: (marking: Marking) => boolean;
}

const key = (marking: Marking): string => JSON.stringify(marking);

function oracle(definition: WorkflowDefinition, from = genesisMarking(definition)): Oracle | undefined {
  const reachable = new Map<string, Marking>([[key(from), from]]);
  const successors = new Map<string, string[]>();
  const enabledSomewhere = new Set<string>();
  const queue = [from];
  for (let head = 0; head < queue.length; head++) {
    const marking = queue[head]!;
    const next: string[] = [];
    for (const firing of enabledFirings(definition, marking)) {
      enabledSomewhere.add(transitionOfFiring(firing));
      const successor = fireTransition(definition, marking, firing);
      if (Object.values(successor).some((count) => count > 8)) return undefined;
      const k = key(successor);
      next.push(k);
      if (!reachable.has(k)) {
        if (reachable.size > 2000) return undefined;
        reachable.set(k, successor);
        queue.push(successor);
      }
    }
    successors.set(key(marking), next);
  }
  const finishing = new Set(
    [...reachable.keys()].filter((k) => isProperCompletion(definition, reachable.get(k)!)),
  );
  for (let grew = true; grew;) {
    grew = false;
    for (const [k, next] of successors) {
      if (!finishing.has(k) && next.some((n) => finishing.has(n))) {
        finishing.add(k);
        grew = true;
      }
    }
  }
  return {
    sound:
      finishing.size === reachable.size && definition.transitions.every((t) => enabledSomewhere.has(t.id)),
    reachable,
    enabledSomewhere,
    canFinish: (marking) => finishing.has(key(marking)),
  };
}

/**
 * Every counterexample replays on the engine's firing rules to the bad state it claims. Counterexamples
 * leave out the hidden places of control tokens; the replay keeps them, as the engine holds the tokens.
 */
function checkCounterexamples(definition: WorkflowDefinition, report: SoundnessReport): void {
  const endPlace = definition.places.find((p) => p.type === 'end')!.id;
  const shown = (marking: Marking): Marking => {
    expect(Object.keys(marking).filter(isHiddenPlace)).toEqual([]);
    return marking;
  };
  for (const { firingSequence, marking } of report.deadlocks) {
    const reached = replayFiringSequence(definition, firingSequence);
    expect(visibleMarking(reached)).toEqual(shown(marking));
    expect(enabledTransitions(definition, reached)).toEqual([]);
    expect(reached[endPlace]).toBeUndefined();
  }
  for (const { firingSequence, marking } of report.improperCompletions) {
    const reached = replayFiringSequence(definition, firingSequence);
    expect(visibleMarking(reached)).toEqual(shown(marking));
    expect(reached[endPlace]).toBeGreaterThan(0);
    expect(isProperCompletion(definition, reached)).toBe(false);
  }
  for (const { firingSequence, marking } of report.livelocks) {
    const reached = replayFiringSequence(definition, firingSequence);
    expect(visibleMarking(reached)).toEqual(shown(marking));
    expect(enabledTransitions(definition, reached).length).toBeGreaterThan(0);
    const fromThere = oracle(definition, reached);
    expect(fromThere).toBeDefined();
    expect([...fromThere!.reachable.values()].some((m) => isProperCompletion(definition, m))).toBe(false);
  }
  for (const u of report.unboundedPlaces) {
    expect(isHiddenPlace(u.place)).toBe(false);
    const before = replayFiringSequence(definition, u.firingSequence);
    expect(visibleMarking(before)).toEqual(shown(u.marking));
    const after = replayFiringSequence(definition, u.pumpingSequence, before);
    expect(visibleMarking(after)).toEqual(shown(u.pumpedMarking));
    for (const [place, count] of Object.entries(before)) expect(after[place]).toBeGreaterThanOrEqual(count);
    expect(after[u.place] ?? 0).toBeGreaterThan(before[u.place] ?? 0);
  }
}

/** Checks a report against the oracle when the oracle could see the whole (small, bounded) state space. */
function checkAgainstOracle(definition: WorkflowDefinition, report: SoundnessReport): void {
  const truth = oracle(definition);
  if (!truth) {
    // Too many markings or tokens for the oracle: at least the verifier must not call it sound by mistake
    // when it found a pump.
    if (report.unboundedPlaces.length > 0) expect(report.sound).toBe(false);
    return;
  }
  expect({ id: definition.id, sound: report.sound }).toEqual({ id: definition.id, sound: truth.sound });
  expect(report.unboundedPlaces).toEqual([]);
  expect([...report.deadTransitions].sort()).toEqual(
    definition.transitions
      .map((t) => t.id)
      .filter((id) => !truth.enabledSomewhere.has(id))
      .sort(),
  );
  const stuck = [...truth.reachable.values()].some((m) => !truth.canFinish(m));
  expect(report.deadlocks.length + report.improperCompletions.length + report.livelocks.length > 0).toBe(
    stuck,
  );
}

/** The same shape with the unsound blocks (merge, race) made parallel blocks. */
function soundBlock(block: NetBlock): NetBlock {
  switch (block.kind) {
    case 'step':
      return block;
    case 'sequence':
      return { kind: 'sequence', first: soundBlock(block.first), second: soundBlock(block.second) };
    case 'loop':
      return { kind: 'loop', body: soundBlock(block.body), back: soundBlock(block.back) };
    case 'choice':
      return { kind: 'choice', left: soundBlock(block.left), right: soundBlock(block.right) };
    case 'parallel':
    case 'merge':
    case 'race':
      return { kind: 'parallel', left: soundBlock(block.left), right: soundBlock(block.right) };
    default: {
      const unknown: never = block;
      throw new Error(`unknown block ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Valid nets with little structure: a backbone `start → t0 → p1 → … → end` keeps every node on a path,
 * and extra transitions and arcs between its places make joins, splits, self-loops and choices of any kind.
 */
const arbitraryTangledNet = (): fc.Arbitrary<WorkflowDefinition> =>
  fc
    .record({
      length: fc.integer({ min: 1, max: 5 }),
      extras: fc.array(
        fc.record({
          inputs: fc.uniqueArray(fc.nat(4), { minLength: 1, maxLength: 2 }),
          outputs: fc.uniqueArray(fc.nat(4), { minLength: 1, maxLength: 2 }),
        }),
        { maxLength: 5 },
      ),
      extraArcs: fc.array(fc.record({ step: fc.nat(4), place: fc.nat(4), input: fc.boolean() }), {
        maxLength: 3,
      }),
    })
    .map(({ length, extras, extraArcs }) => {
      const places = ['start', ...Array.from({ length }, (_, i) => `p${i + 1}`), 'end'];
      // Inputs may be any place but end; outputs any place but start.
      const inputPlace = (n: number): string => places[n % (places.length - 1)]!;
      const outputPlace = (n: number): string => places[1 + (n % (places.length - 1))]!;
      const ins = new Map<string, Set<string>>();
      const outs = new Map<string, Set<string>>();
      for (let i = 0; i <= length; i++) {
        ins.set(`t${i}`, new Set([places[i]!]));
        outs.set(`t${i}`, new Set([places[i + 1]!]));
      }
      extras.forEach(({ inputs, outputs }, i) => {
        ins.set(`x${i}`, new Set(inputs.map(inputPlace)));
        outs.set(`x${i}`, new Set(outputs.map(outputPlace)));
      });
      for (const { step, place, input } of extraArcs) {
        const t = `t${step % (length + 1)}`;
        if (input) ins.get(t)!.add(inputPlace(place));
        else outs.get(t)!.add(outputPlace(place));
      }
      const transitions: TransitionInput[] = [...ins.keys()].map((id) => ({
        id,
        executor: 'manual',
        joinType: ins.get(id)!.size > 1 ? 'and' : 'none',
        splitType: outs.get(id)!.size > 1 ? 'and' : 'none',
      }));
      const arcs: Arc[] = [...ins].flatMap(([t, from]) => [...from].map((p) => ({ from: p, to: t })));
      arcs.push(...[...outs].flatMap(([t, to]) => [...to].map((p) => ({ from: t, to: p }))));
      return normalizeWorkflow({
        id: 'tangled',
        places: places.map((id) => ({
          id,
          type: id === 'start' ? 'start' : id === 'end' ? 'end' : 'normal',
        })),
        transitions,
        arcs,
      });
    });

const arbitraryBlockNet = (): fc.Arbitrary<WorkflowDefinition> =>
  arbitraryNetBlock(3).map((block) => netFromBlock(block, ['manual']));

/**
 * Blocks of decisions: xor splits whose routes meet again in a place, or blocks closed by their or join —
 * or, unsoundly, by nothing (`none`) or by an and join — loops left by an xor split, and parallel blocks.
 */
type DecisionBlock =
  | { readonly kind: 'step' }
  | { readonly kind: 'sequence'; readonly first: DecisionBlock; readonly second: DecisionBlock }
  | { readonly kind: 'xor'; readonly routes: readonly DecisionBlock[] }
  | {
      readonly kind: 'or';
      readonly branches: readonly DecisionBlock[];
      readonly closedBy: 'or' | 'none' | 'and';
    }
  | { readonly kind: 'loop'; readonly body: DecisionBlock; readonly leaveByDefault: boolean }
  | { readonly kind: 'parallel'; readonly left: DecisionBlock; readonly right: DecisionBlock };

const arbitraryDecisionBlock = (maxDepth: number): fc.Arbitrary<DecisionBlock> =>
  fc.letrec<{ block: DecisionBlock }>((tie) => {
    const part = tie('block');
    const parts = fc.array(part, { minLength: 1, maxLength: 3 });
    return {
      block: fc.oneof(
        { maxDepth, depthSize: 'small', withCrossShrink: true },
        { arbitrary: fc.constant({ kind: 'step' } as const), weight: 3 },
        {
          arbitrary: fc.record({ kind: fc.constant('sequence' as const), first: part, second: part }),
          weight: 2,
        },
        { arbitrary: fc.record({ kind: fc.constant('xor' as const), routes: parts }), weight: 3 },
        {
          arbitrary: fc.record({
            kind: fc.constant('or' as const),
            branches: parts,
            closedBy: fc.constantFrom<('or' | 'none' | 'and')[]>('or', 'or', 'or', 'none', 'and'),
          }),
          weight: 3,
        },
        {
          arbitrary: fc.record({
            kind: fc.constant('loop' as const),
            body: part,
            leaveByDefault: fc.boolean(),
          }),
          weight: 1,
        },
        {
          arbitrary: fc.record({ kind: fc.constant('parallel' as const), left: part, right: part }),
          weight: 1,
        },
      ),
    };
  }).block;

/** The net of a block between start and end; the sound kinds of blocks make a sound net. */
function netFromDecisionBlock(block: DecisionBlock): WorkflowDefinition {
  const places: string[] = [];
  const transitions: TransitionInput[] = [];
  const arcs: ArcInput[] = [];
  let next = 0;
  const place = (): string => {
    const id = `p${next++}`;
    places.push(id);
    return id;
  };
  const transition = (input: Omit<TransitionInput, 'id' | 'executor'> = {}): string => {
    const id = `t${next++}`;
    transitions.push({ id, executor: 'manual', ...input });
    return id;
  };
  /** Output arcs of a split that decides: a condition on each but the last, which is the default. */
  const routes = (from: string, targets: readonly string[]): void => {
    targets.forEach((to, i) =>
      arcs.push(
        i === targets.length - 1 ? { from, to, default: true } : { from, to, condition: `case.n == ${i}` },
      ),
    );
  };
  const build = (b: DecisionBlock, from: string, to: string): void => {
    switch (b.kind) {
      case 'step': {
        const t = transition();
        arcs.push({ from, to: t }, { from: t, to });
        return;
      }
      case 'sequence': {
        const middle = place();
        build(b.first, from, middle);
        build(b.second, middle, to);
        return;
      }
      case 'xor': {
        const split = transition({ splitType: 'xor' });
        arcs.push({ from, to: split });
        const entries = b.routes.map(() => place());
        routes(split, entries);
        b.routes.forEach((route, i) => build(route, entries[i]!, to));
        return;
      }
      case 'or': {
        const split = transition({ splitType: 'or' });
        arcs.push({ from, to: split });
        const entries = b.branches.map(() => place());
        routes(split, entries);
        if (b.closedBy === 'none') {
          b.branches.forEach((branch, i) => build(branch, entries[i]!, to));
          return;
        }
        const exits = b.branches.map(() => place());
        b.branches.forEach((branch, i) => build(branch, entries[i]!, exits[i]!));
        const join = transition(
          b.closedBy === 'or'
            ? { joinType: 'or', orJoin: { split } }
            : { joinType: placeTransitionJoin(exits.length) },
        );
        arcs.push(...exits.map((exit) => ({ from: exit, to: join })), { from: join, to });
        return;
      }
      case 'loop': {
        const enter = transition();
        const head = place();
        const tail = place();
        const leave = transition({ splitType: 'xor' });
        arcs.push({ from, to: enter }, { from: enter, to: head }, { from: tail, to: leave });
        build(b.body, head, tail);
        routes(leave, b.leaveByDefault ? [head, to] : [to, head]);
        return;
      }
      case 'parallel': {
        const split = transition({ splitType: 'and' });
        const join = transition({ joinType: 'and' });
        const [l1, l2, r1, r2] = [place(), place(), place(), place()];
        arcs.push({ from, to: split }, { from: split, to: l1 }, { from: split, to: r1 });
        build(b.left, l1, l2);
        build(b.right, r1, r2);
        arcs.push({ from: l2, to: join }, { from: r2, to: join }, { from: join, to });
        return;
      }
      default: {
        const unknown: never = b;
        throw new Error(`unknown block ${JSON.stringify(unknown)}`);
      }
    }
  };
  build(block, 'start', 'end');
  return normalizeWorkflow({
    id: 'decisions',
    places: [{ id: 'start', type: 'start' }, ...places.map((id) => ({ id })), { id: 'end', type: 'end' }],
    transitions,
    arcs,
  });
}

const arbitraryDecisionNet = (): fc.Arbitrary<WorkflowDefinition> =>
  arbitraryDecisionBlock(3).map(netFromDecisionBlock);

/** The same shape with the or blocks closed by their or join. */
function soundDecisionBlock(block: DecisionBlock): DecisionBlock {
  switch (block.kind) {
    case 'step':
      return block;
    case 'sequence':
      return { ...block, first: soundDecisionBlock(block.first), second: soundDecisionBlock(block.second) };
    case 'xor':
      return { ...block, routes: block.routes.map(soundDecisionBlock) };
    case 'or':
      return { ...block, branches: block.branches.map(soundDecisionBlock), closedBy: 'or' };
    case 'loop':
      return { ...block, body: soundDecisionBlock(block.body) };
    case 'parallel':
      return { ...block, left: soundDecisionBlock(block.left), right: soundDecisionBlock(block.right) };
    default: {
      const unknown: never = block;
      throw new Error(`unknown block ${JSON.stringify(unknown)}`);
    }
  }
}

describe('verifySoundness on random nets', () => {
  it.each<[string, () => fc.Arbitrary<WorkflowDefinition>, number]>([
    ['block-structured nets (some with unsound merges and races)', arbitraryBlockNet, 300],
    ['tangled nets of any structure', arbitraryTangledNet, 1000],
    ['nets of decisions (some with or splits left open or closed by an and join)', arbitraryDecisionNet, 300],
  ])('on %s gives counterexamples that replay to the bad state they claim', (_name, nets, numRuns) => {
    fc.assert(
      fc.property(nets(), (definition) => {
        expect(validateNet(definition)).toEqual([]);
        const report = verifySoundness(definition, { maxStates: 5_000 });
        checkCounterexamples(definition, report);
        if (report.sound === false) {
          const problems =
            report.deadlocks.length +
            report.improperCompletions.length +
            report.livelocks.length +
            report.unboundedPlaces.length +
            report.deadTransitions.length;
          expect(problems).toBeGreaterThan(0);
        }
      }),
      runs(numRuns),
    );
  });

  it.each<[string, () => fc.Arbitrary<WorkflowDefinition>, number]>([
    ['block-structured nets', arbitraryBlockNet, 150],
    ['tangled nets', arbitraryTangledNet, 1000],
    ['nets of decisions', arbitraryDecisionNet, 300],
  ])('on %s agrees with a separate explorer of the engine rules', (_name, nets, numRuns) => {
    fc.assert(
      fc.property(nets(), (definition) => {
        checkAgainstOracle(definition, verifySoundness(definition, { maxStates: 5_000 }));
      }),
      runs(numRuns),
    );
  });

  it('gives the same verdict with and without the reduction rules', () => {
    fc.assert(
      fc.property(
        fc.oneof(arbitraryBlockNet(), arbitraryTangledNet(), arbitraryDecisionNet()),
        (definition) => {
          const reduced = verifySoundness(definition, { maxStates: 5_000 });
          const direct = verifySoundness(definition, { maxStates: 5_000, reduce: false });
          if (reduced.complete && direct.complete) expect(reduced.sound).toBe(direct.sound);
        },
      ),
      runs(500),
    );
  });

  it('proves every net of sequences, choices, loops and parallel blocks sound by reduction alone', () => {
    fc.assert(
      fc.property(arbitraryNetBlock(4).map(soundBlock), (block) => {
        const report = verifySoundness(netFromBlock(block, ['manual']));
        expect(report).toMatchObject({ sound: true, method: 'reduction', statesExplored: 0 });
      }),
      runs(300),
    );
  });

  it('proves every net of xor splits, or blocks closed by their join, loops and parallel blocks sound', () => {
    fc.assert(
      fc.property(arbitraryDecisionBlock(3).map(soundDecisionBlock), (block) => {
        const definition = netFromDecisionBlock(block);
        expect(validateNet(definition)).toEqual([]);
        expect(verifySoundness(definition)).toMatchObject({ sound: true, complete: true });
      }),
      runs(300),
    );
  });
});
