import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../core/errors.js';
import {
  choiceAndJoinNet,
  deadJoinNet,
  livelockNet,
  missingJoinNet,
  producerLoopNet,
  twoTokensInTurnNet,
  wideParallelNet,
} from '../testing/literature-nets.js';
import { normalizeCondition } from './decision-warnings.js';
import type { WorkflowDefinition } from './definition.js';
import { approvalNet, parallelNet, sequentialNet, trafficLightNet } from './fixtures.js';
import { correlatedChoicesNet, decisionNet } from '../testing/nets.js';
import { indexNet } from './indexed-net.js';
import type { Marking } from './marking.js';
import {
  enabledTransitions,
  isHiddenPlace,
  isProperCompletion,
  replayFiringSequence,
  visibleMarking,
} from './marking.js';
import { placeTransitionJoin, placeTransitionSplit } from './kinds.js';
import type { SplitType } from './kinds.js';
import { normalizeWorkflow } from './normalize.js';
import { isTrivialNet, reduceNet } from './reduce.js';
import type { SoundnessReport } from './verify.js';
import { verifySoundness } from './verify.js';

const sound = (method: SoundnessReport['method']): Partial<SoundnessReport> => ({
  sound: true,
  deadlocks: [],
  improperCompletions: [],
  unboundedPlaces: [],
  deadTransitions: [],
  livelocks: [],
  method,
  complete: true,
});

describe('sound nets of the literature', () => {
  it.each<[string, () => WorkflowDefinition, SoundnessReport['method']]>([
    ['a sequence', sequentialNet, 'reduction'],
    ['an and split with its and join', parallelNet, 'reduction'],
    ['a deferred choice', approvalNet, 'reduction'],
    ['the traffic light (a loop left by a choice)', trafficLightNet, 'reduction'],
    [
      'twelve parallel branches of three steps (16 million markings)',
      () => wideParallelNet(12, 3),
      'reduction',
    ],
    ['two tokens taken in turn from one place', twoTokensInTurnNet, 'reduced-state-space'],
  ])('proves %s sound', (_name, definition, method) => {
    expect(verifySoundness(definition())).toMatchObject(sound(method));
  });

  it.each<[string, () => WorkflowDefinition]>([
    ['a sequence', sequentialNet],
    ['an and split with its and join', parallelNet],
    ['a deferred choice', approvalNet],
    ['the traffic light', trafficLightNet],
    ['two tokens taken in turn', twoTokensInTurnNet],
  ])('finds %s sound from its own state space too', (_name, definition) => {
    const report = verifySoundness(definition(), { reduce: false });
    expect(report).toMatchObject(sound('state-space'));
    expect(report.statesExplored).toBeGreaterThan(2);
  });

  it('tells free-choice nets apart', () => {
    expect(verifySoundness(trafficLightNet()).freeChoice).toBe(true);
    expect(verifySoundness(twoTokensInTurnNet()).freeChoice).toBe(false);
  });
});

describe('a missing join', () => {
  const report = verifySoundness(missingJoinNet());

  it('completes improperly, a token in end while the other branch still holds one', () => {
    expect(report).toMatchObject({ sound: false, deadlocks: [], livelocks: [], deadTransitions: [] });
    expect(report.improperCompletions).toEqual([
      { firingSequence: ['split', 'left'], marking: { b: 1, end: 1 } },
      { firingSequence: ['split', 'right'], marking: { a: 1, end: 1 } },
    ]);
  });

  it('gives counterexamples that replay to a marking with end and something else', () => {
    for (const { firingSequence, marking } of report.improperCompletions) {
      const reached = replayFiringSequence(missingJoinNet(), firingSequence);
      expect(reached).toEqual(marking);
      expect(reached['end']).toBe(1);
      expect(isProperCompletion(missingJoinNet(), reached)).toBe(false);
    }
  });
});

describe('a choice joined by an and join', () => {
  const report = verifySoundness(choiceAndJoinNet());

  it('deadlocks on either branch, and the join is dead', () => {
    expect(report).toMatchObject({ sound: false, improperCompletions: [], unboundedPlaces: [] });
    expect(report.deadlocks).toEqual([
      { firingSequence: ['x'], marking: { l: 1 } },
      { firingSequence: ['y'], marking: { r: 1 } },
    ]);
    expect(report.deadTransitions).toEqual(['join']);
  });

  it('gives deadlocks that replay to a marking where nothing is enabled', () => {
    for (const { firingSequence, marking } of report.deadlocks) {
      const reached = replayFiringSequence(choiceAndJoinNet(), firingSequence);
      expect(reached).toEqual(marking);
      expect(enabledTransitions(choiceAndJoinNet(), reached)).toEqual([]);
    }
  });
});

/** A net from `from>to` arcs, transitions named `t<n>`; joins and splits follow the arcs. */
function placeTransitionNet(arcs: string): WorkflowDefinition {
  const pairs = arcs.split(' ').map((arc) => arc.split('>') as [string, string]);
  const nodes = [...new Set(pairs.flat())];
  const isTransition = (id: string): boolean => /^t[0-9]+$/.test(id);
  const count = (ends: (arc: [string, string]) => boolean): number => pairs.filter(ends).length;
  return normalizeWorkflow({
    id: 'concurrent',
    places: nodes
      .filter((id) => !isTransition(id))
      .map((id) => ({ id, type: id === 'start' ? 'start' : id === 'end' ? 'end' : 'normal' })),
    transitions: nodes.filter(isTransition).map((id) => ({
      id,
      executor: 'manual',
      joinType: placeTransitionJoin(count(([, to]) => to === id)),
      splitType: placeTransitionSplit(count(([from]) => from === id)),
    })),
    arcs: pairs.map(([from, to]) => ({ from, to })),
  });
}

describe('a net too concurrent for its state budget, proven unsound by its reduction', () => {
  // Seven and-splits in parallel blocks; in the first, an and-split's two branches merge into one place
  // (p12), so two tokens reach the and join t14 where one is expected and the case ends improperly.
  const definition = placeTransitionNet(
    'start>t1 t1>p1 p1>t2 t2>p2 t2>p3 p2>t3 t3>p6 t3>p7 p6>t4 t4>p10 t4>p11 p10>t5 t5>p12 p11>t6 ' +
      't6>p12 p12>t7 t7>p8 p12>t8 t8>p8 p7>t9 t9>p13 t9>p14 p13>t10 t10>p15 p14>t11 t11>p15 p15>t12 ' +
      't12>p9 p15>t13 t13>p9 p8>t14 p9>t14 t14>p4 p3>t15 t15>p16 t15>p17 p16>t16 t16>p19 t16>p20 ' +
      'p19>t17 t17>p21 p20>t18 t18>p21 p21>t19 t19>p18 p21>t20 t20>p18 p17>t21 t21>p22 t21>p23 ' +
      'p22>t22 t22>p24 p23>t23 t23>p24 p24>t24 t24>p18 p24>t25 t25>p18 p18>t26 t26>p5 p18>t27 ' +
      't27>p5 p4>t28 p5>t28 t28>end',
  );

  it('still gets a counterexample of its own, found by a run to the end, that replays', () => {
    const report = verifySoundness(definition, { maxStates: 5_000 });
    expect(report).toMatchObject({ sound: false, complete: false });
    const [improper] = report.improperCompletions;
    expect(improper).toBeDefined();
    const reached = replayFiringSequence(definition, improper!.firingSequence);
    expect(reached).toEqual(improper!.marking);
    expect(reached['end']).toBe(1);
    expect(isProperCompletion(definition, reached)).toBe(false);
  });
});

describe('a dead and join beside two branches that end on their own', () => {
  it('is unsound for the dead transition alone', () => {
    expect(verifySoundness(deadJoinNet())).toMatchObject({
      sound: false,
      deadlocks: [],
      improperCompletions: [],
      unboundedPlaces: [],
      livelocks: [],
      deadTransitions: ['join'],
      complete: true,
    });
  });
});

describe('a livelock loop', () => {
  const report = verifySoundness(livelockNet());

  it('reports the cycle the case can never leave, not a deadlock', () => {
    expect(report).toMatchObject({
      sound: false,
      deadlocks: [],
      improperCompletions: [],
      deadTransitions: [],
    });
    expect(report.livelocks).toEqual([{ firingSequence: ['a'], marking: { p: 1 } }]);
  });

  it('gives a marking that keeps something enabled but never finishes', () => {
    const [livelock] = report.livelocks;
    const reached = replayFiringSequence(livelockNet(), livelock?.firingSequence ?? []);
    expect(reached).toEqual({ p: 1 });
    expect(enabledTransitions(livelockNet(), reached)).toEqual(['b']);
    const next = replayFiringSequence(livelockNet(), ['b'], reached);
    expect(enabledTransitions(livelockNet(), next)).toEqual(['c']);
    expect(replayFiringSequence(livelockNet(), ['c'], next)).toEqual(reached);
  });
});

describe('a livelock the reduction rules shrink but cannot remove', () => {
  // Found by the property test: a cycle p1 → p2 → p3 → p4 → p1 whose exit joins p1 and p4, which one
  // token cannot mark at once. The reduced net keeps the cycle, so its state space must be checked in full.
  const cycleWithJoinExit = (): WorkflowDefinition => {
    const steps: [string, string, string][] = [
      ['t0', 'start', 'p1'],
      ['t1', 'p1', 'p2'],
      ['t2', 'p2', 'p3'],
      ['t3', 'p3', 'p4'],
      ['x1', 'p4', 'p1'],
    ];
    return normalizeWorkflow({
      id: 'cycle-with-join-exit',
      places: ['start', 'p1', 'p2', 'p3', 'p4', 'end'].map((id) => ({
        id,
        type: id === 'start' ? 'start' : id === 'end' ? 'end' : 'normal',
      })),
      transitions: [
        ...steps.map(([id]) => ({ id, executor: 'manual' })),
        { id: 't4', executor: 'manual', joinType: 'and' },
        { id: 'x0', executor: 'manual', splitType: 'and' },
      ],
      arcs: [
        ...steps.flatMap(([id, from, to]) => [
          { from, to: id },
          { from: id, to },
        ]),
        { from: 'p1', to: 't4' },
        { from: 'p4', to: 't4' },
        { from: 't4', to: 'end' },
        { from: 'start', to: 'x0' },
        { from: 'x0', to: 'p1' },
        { from: 'x0', to: 'p2' },
      ],
    });
  };

  it('is unsound, with the livelock found on the net itself', () => {
    const report = verifySoundness(cycleWithJoinExit());
    expect(report).toMatchObject({ sound: false, method: 'state-space' });
    expect(report.livelocks).toEqual([{ firingSequence: ['t0'], marking: { p1: 1 } }]);
  });
});

describe('an unbounded producer loop', () => {
  const report = verifySoundness(producerLoopNet());

  it('names the unbounded place with a pumping sequence, and the deadlock of stopping at once', () => {
    expect(report.sound).toBe(false);
    expect(report.complete).toBe(true);
    expect(report.unboundedPlaces.map((u) => u.place)).toEqual(['buf']);
    expect(report.unboundedPlaces[0]?.pumpingSequence).toEqual(['produce']);
    expect(report.deadlocks).toEqual([{ firingSequence: ['init', 'stop'], marking: { done: 1 } }]);
    expect(report.deadTransitions).toEqual([]);
  });

  it('gives a pump that replays: the same sequence again adds to buf every time', () => {
    const [unbounded] = report.unboundedPlaces;
    if (!unbounded) throw new Error('no unbounded place reported');
    let marking = replayFiringSequence(producerLoopNet(), unbounded.firingSequence);
    expect(marking).toEqual(unbounded.marking);
    const counts: number[] = [];
    for (let round = 0; round < 3; round++) {
      marking = replayFiringSequence(producerLoopNet(), unbounded.pumpingSequence, marking);
      counts.push(marking['buf'] ?? 0);
    }
    expect(counts).toEqual([1, 2, 3].map((n) => (unbounded.marking['buf'] ?? 0) + n));
  });
});

describe('the state budget', () => {
  it('answers undecided, not a hang, when the net is too big to explore and nothing was found', () => {
    const report = verifySoundness(wideParallelNet(12, 3), { reduce: false, maxStates: 1000 });
    expect(report).toMatchObject({ sound: 'undecided', complete: false, deadTransitions: [] });
    expect(report.statesExplored).toBe(1000);
  });

  it('answers undecided when the caller says stop, having asked only now and then', () => {
    let asked = 0;
    const report = verifySoundness(wideParallelNet(12, 3), {
      reduce: false,
      shouldStop: () => ++asked >= 3,
    });
    expect(report).toMatchObject({ sound: 'undecided', complete: false, deadTransitions: [] });
    expect(asked).toBe(3);
    expect(report.statesExplored).toBe(3 * 512);
  });

  it('still answers unsound when a problem shows before the budget runs out', () => {
    const wide = wideParallelNet(12, 3);
    const withTrap: WorkflowDefinition = normalizeWorkflow({
      ...wide,
      id: 'wide-with-trap',
      transitions: [
        ...wide.transitions,
        { id: 'trap', executor: 'manual' },
        { id: 'never', executor: 'manual', joinType: 'and' },
      ],
      places: [...wide.places, { id: 'stuck' }],
      arcs: [
        ...wide.arcs,
        { from: 'start', to: 'trap' },
        { from: 'trap', to: 'stuck' },
        { from: 'stuck', to: 'never' },
        { from: 'b0-0', to: 'never' },
        { from: 'never', to: 'end' },
      ],
    });
    const report = verifySoundness(withTrap, { maxStates: 1000 });
    expect(report).toMatchObject({ sound: false, complete: false });
    expect(report.deadlocks[0]).toEqual({ firingSequence: ['trap'], marking: { stuck: 1 } });
  });

  it('keeps at most the asked number of counterexamples of each kind', () => {
    const report = verifySoundness(missingJoinNet(), { maxCounterexamples: 1 });
    expect(report.improperCompletions).toHaveLength(1);
    expect(report.sound).toBe(false);
  });
});

describe('verifySoundness on a net that is not a workflow net', () => {
  it('throws invalid_net before exploring anything', () => {
    const broken = { ...sequentialNet(), arcs: [...sequentialNet().arcs, { from: 'a', to: 'b' }] };
    expect(() => verifySoundness(broken)).toThrow(ValidationError);
    expect(() => verifySoundness(broken)).toThrow(/not a valid workflow net/);
  });
});

describe('reduceNet', () => {
  it('reduces a loop with a choice at its entry to start → t → end', () => {
    const loopAtChoice = normalizeWorkflow({
      id: 'loop-at-choice',
      places: [{ id: 'start', type: 'start' }, { id: 'p' }, { id: 'd' }, { id: 'end', type: 'end' }],
      transitions: [
        { id: 'enter', executor: 'auto' },
        { id: 'body', executor: 'auto' },
        { id: 'back', executor: 'auto' },
        { id: 'leave', executor: 'auto' },
        { id: 'skip', executor: 'auto' },
      ],
      arcs: [
        { from: 'start', to: 'enter' },
        { from: 'enter', to: 'p' },
        { from: 'p', to: 'body' },
        { from: 'body', to: 'd' },
        { from: 'd', to: 'back' },
        { from: 'back', to: 'p' },
        { from: 'd', to: 'leave' },
        { from: 'leave', to: 'end' },
        { from: 'p', to: 'skip' },
        { from: 'skip', to: 'end' },
      ],
    });
    expect(isTrivialNet(reduceNet(indexNet(loopAtChoice)))).toBe(true);
  });

  it('leaves an unsound net unreduced where a rule would hide the problem', () => {
    const reduced = reduceNet(indexNet(choiceAndJoinNet()));
    expect(isTrivialNet(reduced)).toBe(false);
    expect(reduced.transitionIds).toContain('join');
  });

  it('keeps start and end', () => {
    const reduced = reduceNet(indexNet(missingJoinNet()));
    expect(reduced.placeIds[reduced.start]).toBe('start');
    expect(reduced.placeIds[reduced.end]).toBe('end');
  });
});

describe('replayFiringSequence', () => {
  it('refuses a transition that is not enabled', () => {
    expect(() => replayFiringSequence(sequentialNet(), ['b'])).toThrow('transition b is not enabled');
  });

  it('moves one token per input and output by the split rule', () => {
    const marking: Marking = replayFiringSequence(parallelNet(), ['split', 'work-left']);
    expect(marking).toEqual({ right: 1, 'left-done': 1 });
  });
});

/** Register, then an xor split on the amount, then optional checks in an or block, then a decision. */
const loanNet = (): WorkflowDefinition =>
  decisionNet(
    'loan',
    {
      register: [],
      route: [undefined, 'xor'],
      board: [],
      clerk: [],
      checks: [undefined, 'or'],
      kyc: [],
      fraud: [],
      basic: [],
      collect: ['or', undefined, 'checks'],
      decide: [],
    },
    [
      ['start', 'register'],
      ['register', 'registered'],
      ['registered', 'route'],
      ['route', 'to-board', 'case.amount > 10000'],
      ['route', 'to-clerk', 'default'],
      ['to-board', 'board'],
      ['to-clerk', 'clerk'],
      ['board', 'reviewed'],
      ['clerk', 'reviewed'],
      ['reviewed', 'checks'],
      ['checks', 'to-kyc', 'case.amount > 5000'],
      ['checks', 'to-fraud', 'case.foreignApplicant == true'],
      ['checks', 'to-basic', 'default'],
      ['to-kyc', 'kyc'],
      ['to-fraud', 'fraud'],
      ['to-basic', 'basic'],
      ['kyc', 'kyc-done'],
      ['fraud', 'fraud-done'],
      ['basic', 'basic-done'],
      ['kyc-done', 'collect'],
      ['fraud-done', 'collect'],
      ['basic-done', 'collect'],
      ['collect', 'checked'],
      ['checked', 'decide'],
      ['decide', 'end'],
    ],
  );

/** Work, then a check that repeats the work by default and leaves only when the output is good. */
const retryUntilGoodNet = (): WorkflowDefinition =>
  decisionNet('retry-until-good', { begin: [], work: [], check: [undefined, 'xor'] }, [
    ['start', 'begin'],
    ['begin', 'todo'],
    ['todo', 'work'],
    ['work', 'worked'],
    ['worked', 'check'],
    ['check', 'end', 'output.good == true'],
    ['check', 'todo', 'default'],
  ]);

/** An or split with no join: each branch ends the case on its own, so two branches end it twice. */
const orSplitWithoutJoinNet = (): WorkflowDefinition =>
  decisionNet('or-split-without-join', { notify: [undefined, 'or'], mail: [], sms: [] }, [
    ['start', 'notify'],
    ['notify', 'by-mail', 'case.mail == true'],
    ['notify', 'by-sms', 'default'],
    ['by-mail', 'mail'],
    ['by-sms', 'sms'],
    ['mail', 'end'],
    ['sms', 'end'],
  ]);

/** An or block whose fraud branch holds a choice closed by an and join: taking that branch deadlocks. */
const brokenBranchNet = (): WorkflowDefinition =>
  decisionNet(
    'broken-branch',
    {
      checks: [undefined, 'or'],
      kyc: [],
      'fraud-fork': [],
      'fraud-a': [],
      'fraud-b': [],
      'fraud-join': [],
      collect: ['or', undefined, 'checks'],
    },
    [
      ['start', 'checks'],
      ['checks', 'to-kyc', 'case.amount > 5000'],
      ['checks', 'to-fraud', 'default'],
      ['to-kyc', 'kyc'],
      ['kyc', 'kyc-done'],
      ['to-fraud', 'fraud-fork'],
      ['fraud-fork', 'fraud-open'],
      ['fraud-open', 'fraud-a'],
      ['fraud-open', 'fraud-b'],
      ['fraud-a', 'fraud-left'],
      ['fraud-b', 'fraud-right'],
      ['fraud-left', 'fraud-join'],
      ['fraud-right', 'fraud-join'],
      ['fraud-join', 'fraud-done'],
      ['kyc-done', 'collect'],
      ['fraud-done', 'collect'],
      ['collect', 'end'],
    ],
  );

describe('decisions, verified as free choices among their routes', () => {
  it.each<[string, () => WorkflowDefinition, SoundnessReport['method']]>([
    ['an xor split and an or block closed by its or join', loanNet, 'reduced-state-space'],
    ['a loop left only when a condition holds', retryUntilGoodNet, 'reduction'],
  ])('proves %s sound', (_name, definition, method) => {
    expect(verifySoundness(definition())).toMatchObject(sound(method));
    expect(verifySoundness(definition(), { reduce: false })).toMatchObject(sound('state-space'));
  });

  it('indexes an or block as one split and one join firing per route, linked by a hidden control place', () => {
    const indexed = indexNet(loanNet());
    const named = (transitionId: string): string[] =>
      indexed.firingNames.filter((_, t) => indexed.transitionIds[t] === transitionId);
    expect(named('route')).toEqual(['route#to-board', 'route#to-clerk']);
    expect(named('checks')).toHaveLength(7);
    expect(named('checks')).toContain('checks#to-kyc+checks#to-fraud');
    expect(named('collect')).toContain('collect#kyc-done+collect#fraud-done');
    const way = indexed.firingNames.indexOf('collect#kyc-done+collect#fraud-done');
    expect(indexed.inputs[way]!.map((p) => indexed.placeIds[p])).toEqual([
      'kyc-done',
      'fraud-done',
      'checks#collect(to-kyc+to-fraud)',
    ]);
    const split = indexed.firingNames.indexOf('checks#to-kyc+checks#to-fraud');
    expect(indexed.outputs[split]!.map((p) => indexed.placeIds[p])).toEqual([
      'to-kyc',
      'to-fraud',
      'checks#collect(to-kyc+to-fraud)',
    ]);
  });

  it('refuses correlated choices, naming the arcs each decision took in the counterexample', () => {
    const report = verifySoundness(correlatedChoicesNet());
    expect(report).toMatchObject({
      sound: false,
      improperCompletions: [],
      livelocks: [],
      deadTransitions: [],
    });
    expect(report.deadlocks).toEqual([
      { firingSequence: ['fork', 'x1#big1', 'x2#small2'], marking: { big1: 1, small2: 1 } },
      { firingSequence: ['fork', 'x1#small1', 'x2#big2'], marking: { small1: 1, big2: 1 } },
    ]);
    for (const { firingSequence, marking } of report.deadlocks) {
      const reached = replayFiringSequence(correlatedChoicesNet(), firingSequence);
      expect(reached).toEqual(marking);
      expect(enabledTransitions(correlatedChoicesNet(), reached)).toEqual([]);
    }
  });

  it('names an or firing of several arcs by all of them, joined with +', () => {
    const report = verifySoundness(orSplitWithoutJoinNet());
    expect(report.sound).toBe(false);
    expect(report.improperCompletions).toEqual([
      { firingSequence: ['notify#by-mail+notify#by-sms', 'mail'], marking: { 'by-sms': 1, end: 1 } },
      { firingSequence: ['notify#by-mail+notify#by-sms', 'sms'], marking: { 'by-mail': 1, end: 1 } },
    ]);
    for (const { firingSequence, marking } of report.improperCompletions) {
      expect(replayFiringSequence(orSplitWithoutJoinNet(), firingSequence)).toEqual(marking);
    }
  });

  it('leaves the hidden control place out of a counterexample, which still replays with it', () => {
    const report = verifySoundness(brokenBranchNet());
    expect(report.sound).toBe(false);
    expect(report.deadlocks[0]).toEqual({
      firingSequence: ['checks#to-fraud', 'fraud-fork', 'fraud-a'],
      marking: { 'fraud-left': 1 },
    });
    for (const { firingSequence, marking } of report.deadlocks) {
      expect(Object.keys(marking).some(isHiddenPlace)).toBe(false);
      const reached = replayFiringSequence(brokenBranchNet(), firingSequence);
      expect(visibleMarking(reached)).toEqual(marking);
      expect(Object.keys(reached).filter(isHiddenPlace)).toHaveLength(1);
      expect(enabledTransitions(brokenBranchNet(), reached)).toEqual([]);
    }
  });

  it('gives the same verdict on a decision net with and without the reduction rules', () => {
    for (const definition of [
      loanNet,
      retryUntilGoodNet,
      correlatedChoicesNet,
      orSplitWithoutJoinNet,
      brokenBranchNet,
    ]) {
      expect(verifySoundness(definition()).sound).toBe(
        verifySoundness(definition(), { reduce: false }).sound,
      );
    }
  });
});

describe('warnings about decisions', () => {
  it('warns of a cycle left only by conditional arcs, and the net stays sound', () => {
    const report = verifySoundness(retryUntilGoodNet());
    expect(report.sound).toBe(true);
    expect(report.warnings).toEqual([
      {
        code: 'conditional_exit_only',
        ids: ['todo', 'worked', 'work', 'check'],
        message:
          'the cycle through todo, worked, work, check is left only by conditional arcs (check → end): ' +
          'a case goes round it until one of their conditions holds',
      },
    ]);
  });

  it('does not warn of a loop its default arc leaves', () => {
    const leftByDefault = decisionNet('left-by-default', { begin: [], work: [], check: [undefined, 'xor'] }, [
      ['start', 'begin'],
      ['begin', 'todo'],
      ['todo', 'work'],
      ['work', 'worked'],
      ['worked', 'check'],
      ['check', 'todo', 'output.good == false'],
      ['check', 'end', 'default'],
    ]);
    expect(verifySoundness(leftByDefault).warnings).toEqual([]);
  });

  it('warns of an arc whose condition is false, and of an xor arc behind one with the same condition', () => {
    const neverTaken = decisionNet('never-taken', { route: [undefined, 'xor'], a: [], b: [], c: [], d: [] }, [
      ['start', 'route'],
      ['route', 'pa', "case.kind == 'a b'"],
      ['route', 'pb', '  false '],
      ['route', 'pc', "case.kind=='a b'"],
      ['route', 'pd', 'default'],
      ['pa', 'a'],
      ['pb', 'b'],
      ['pc', 'c'],
      ['pd', 'd'],
      ['a', 'end'],
      ['b', 'end'],
      ['c', 'end'],
      ['d', 'end'],
    ]);
    const report = verifySoundness(neverTaken);
    expect(report.sound).toBe(true);
    expect(report.warnings).toEqual([
      {
        code: 'condition_always_false',
        ids: ['route', 'pb'],
        message: 'arc route → pb has the condition false: no case ever takes it',
      },
      {
        code: 'condition_shadowed',
        ids: ['route', 'pc'],
        message:
          'arc route → pc is never taken: the earlier arc route → pa has the same condition, ' +
          'and an xor split takes the first arc whose condition holds',
      },
    ]);
  });

  it('tells conditions apart by what is inside their strings, and does not shadow the arcs of an or split', () => {
    const arcs = (split: SplitType): WorkflowDefinition =>
      decisionNet(`apart-${split}`, { route: [undefined, split], a: [], b: [], c: [] }, [
        ['start', 'route'],
        ['route', 'pa', "case.kind == 'ab'"],
        ['route', 'pb', split === 'or' ? "case.kind == 'ab'" : "case.kind == 'a b'"],
        ['route', 'pc', 'default'],
        ['pa', 'a'],
        ['pb', 'b'],
        ['pc', 'c'],
        ['a', 'end'],
        ['b', 'end'],
        ['c', 'end'],
      ]);
    expect(verifySoundness(arcs('xor')).warnings).toEqual([]);
    expect(verifySoundness(arcs('or')).warnings).toEqual([]);
  });
});

describe('normalizeCondition', () => {
  it.each([
    ['  case.a  >  1 ', 'case.a>1'],
    ['a in  b', 'a in b'],
    ["x == ' a  b '", "x==' a  b '"],
    ['x == "q\\" y"', 'x=="q\\" y"'],
  ])('reads %j as %j', (source, normalized) => {
    expect(normalizeCondition(source)).toBe(normalized);
  });
});
