import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { validateNet } from '../net/validate.js';
import {
  arbitraryCaseHistory,
  arbitraryCommandPicks,
  arbitraryDecisionNet,
  arbitraryWorkflowNet,
  netFromBlock,
} from '../testing/arbitraries.js';
import { immediateBuiltIns } from '../testing/case-harness.js';
import { fakeConditions } from '../testing/conditions.js';
import { competingJoinNet, twoTokensNet } from '../testing/nets.js';
import { foldCase, initialCaseState } from './evolve.js';
import { NUM_RUNS, playAndCheck } from './case-properties-spec.js';

describe('a random case of a random valid net', () => {
  it('generates only nets that pass validateNet', () => {
    fc.assert(
      fc.property(arbitraryWorkflowNet(), (definition) => {
        expect(validateNet(definition)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every invariant of the token game after every command, accepted or refused', () => {
    fc.assert(
      fc.property(arbitraryWorkflowNet(), arbitraryCommandPicks(), (definition, picks) =>
        playAndCheck(definition, picks),
      ),
      {
        numRuns: NUM_RUNS,
      },
    );
  });

  it('keeps them too when executors answer immediately (auto completes, manual starts, in the deciding command)', () => {
    fc.assert(
      // Shorter runs: a net with a loop of auto steps records up to 100 steps a command, and every step
      // replays the whole history.
      fc.property(arbitraryWorkflowNet(), arbitraryCommandPicks(8), (definition, picks) =>
        playAndCheck(definition, picks, immediateBuiltIns),
      ),
      { numRuns: 100 },
    );
  });
});

describe('a random case of a random net that decides, by random conditions some of which fail', () => {
  it('generates only nets that pass validateNet, their conditions checked', () => {
    fc.assert(
      fc.property(arbitraryDecisionNet(), (definition) => {
        expect(validateNet(definition, { conditions: fakeConditions() })).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  // Incidents open, are resolved by random resolutions, and block only their task; the routes recorded
  // replay to the same state with no condition language at all.
  it('keeps every invariant of the token game after every command, accepted or refused', () => {
    fc.assert(
      fc.property(arbitraryDecisionNet(), arbitraryCommandPicks(), (definition, picks) =>
        playAndCheck(definition, picks, { conditions: fakeConditions() }),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('keeps them too with immediate answers', () => {
    fc.assert(
      fc.property(arbitraryDecisionNet(), arbitraryCommandPicks(8), (definition, picks) =>
        playAndCheck(definition, picks, { ...immediateBuiltIns, conditions: fakeConditions() }),
      ),
      { numRuns: 200 },
    );
  });
});

describe('a random case of a small net where tokens meet or race', () => {
  // Random nets rarely hold two tokens in one place, offered to two tasks, while one of them is locked;
  // these nets get there within a few commands.
  const nets = [
    twoTokensNet(),
    competingJoinNet(),
    netFromBlock({ kind: 'merge', left: { kind: 'step' }, right: { kind: 'step' } }, ['auto']),
    netFromBlock({ kind: 'merge', left: { kind: 'step' }, right: { kind: 'step' } }, ['manual', 'auto']),
    netFromBlock({ kind: 'race', left: { kind: 'step' }, right: { kind: 'step' } }, ['auto', 'manual']),
  ];

  it('several tokens in one place: nothing is lost or duplicated, whatever the interleaving', () => {
    fc.assert(
      fc.property(fc.constantFrom(...nets), arbitraryCommandPicks(), (definition, picks) =>
        playAndCheck(definition, picks),
      ),
      { numRuns: 500 },
    );
  });

  it('nor with immediate answers', () => {
    fc.assert(
      fc.property(fc.constantFrom(...nets), arbitraryCommandPicks(), (definition, picks) =>
        playAndCheck(definition, picks, immediateBuiltIns),
      ),
      { numRuns: 200 },
    );
  });
});

describe('arbitraryCaseHistory', () => {
  it('yields histories that start with CaseCreated and fold without error', () => {
    fc.assert(
      fc.property(arbitraryCaseHistory({ caseId: 'h1' }), ({ definition, events }) => {
        expect(events[0]).toMatchObject({ type: 'CaseCreated', data: { caseId: 'h1', definition } });
        expect(events.every((e) => e.data.caseId === 'h1')).toBe(true);
        expect(foldCase(initialCaseState(), events).status).not.toBe('none');
      }),
      { numRuns: 100 },
    );
  });
});
