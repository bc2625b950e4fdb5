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
import type { WorkflowDefinition } from './definition.js';
import { approvalNet, parallelNet, sequentialNet, trafficLightNet } from './fixtures.js';
import { indexNet } from './indexed-net.js';
import type { Marking } from './marking.js';
import { enabledTransitions, isProperCompletion, replayFiringSequence } from './marking.js';
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
