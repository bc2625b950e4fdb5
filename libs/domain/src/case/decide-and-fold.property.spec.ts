import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { WorkflowDefinition } from '../net/definition.js';
import type { CommandPick } from '../testing/arbitraries.js';
import {
  arbitraryCommandPicks,
  arbitraryTimedNet,
  arbitraryWorkflowNet,
  isDomainRefusal,
  resolvePick,
  stepTime,
} from '../testing/arbitraries.js';
import { immediateBuiltIns } from '../testing/case-harness.js';
import { fakeTiming } from '../testing/timing.js';
import type { CaseCommand } from './commands.js';
import type { CaseDeciderOptions } from './decide.js';
import { decideCase, decideCaseAndFold } from './decide.js';
import { foldCase, foldCaseWithEnded, initialCaseState } from './evolve.js';
import type { CaseState } from './state.js';

/**
 * Plays the picked commands on a case, and checks before each that `decideCaseAndFold` answers what
 * `decideCase` followed by `foldCase` answers, refusals included.
 */
function checkEveryCommand(
  definition: WorkflowDefinition,
  picks: readonly CommandPick[],
  options: CaseDeciderOptions,
): void {
  const creation: CaseCommand = {
    type: 'CreateCase',
    data: { caseId: 'c1', workflow: { definition, state: 'active' }, data: { n: 1 }, at: stepTime(0) },
  };
  let state: CaseState = initialCaseState();
  let full: CaseState = initialCaseState();
  const step = (command: CaseCommand): void => {
    let expected: { events: readonly unknown[]; state: CaseState } | { refusal: unknown };
    try {
      const events = decideCase(command, state, options);
      expected = { events, state: foldCase(state, events) };
    } catch (error) {
      if (!isDomainRefusal(error)) throw error;
      expected = { refusal: error };
    }
    if ('refusal' in expected) {
      expect(() => decideCaseAndFold(command, state, options)).toThrow(expected.refusal);
      return;
    }
    const actual = decideCaseAndFold(command, state, options);
    expect(actual).toEqual(expected);
    full = foldCaseWithEnded(full, actual.events);
    state = actual.state;
  };
  step(creation);
  picks.forEach((pick, i) => {
    if (state.status === 'active' && full.status !== 'none') step(resolvePick(full, pick, stepTime(i + 1)));
  });
}

describe('deciding and folding at once', () => {
  it('gives the events and the state that deciding and then folding give, after every command of a random case', () => {
    fc.assert(
      fc.property(arbitraryWorkflowNet(), arbitraryCommandPicks(30), (definition, picks) =>
        checkEveryCommand(definition, picks, {}),
      ),
      { numRuns: 150 },
    );
  });

  it('does so too with immediate answers, timers and retries', () => {
    fc.assert(
      fc.property(arbitraryTimedNet(), arbitraryCommandPicks(8), (definition, picks) =>
        checkEveryCommand(definition, picks, { ...immediateBuiltIns, timing: fakeTiming() }),
      ),
      { numRuns: 100 },
    );
  });
});
