import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { validateNet } from '../net/validate.js';
import {
  arbitraryDecisionNet,
  arbitraryTimedCommandPicks,
  arbitraryTimedNet,
  pickTimes,
} from '../testing/arbitraries.js';
import { immediateBuiltIns } from '../testing/case-harness.js';
import { fakeConditions } from '../testing/conditions.js';
import { deadlineNet } from '../testing/nets.js';
import { fakeTiming } from '../testing/timing.js';
import { NUM_RUNS, playAndCheck } from './case-properties-spec.js';

describe('a random case of a random net with timers, timeouts and retries, at random clock advances', () => {
  const timing = { timing: fakeTiming() };

  it('generates only nets that pass validateNet, their durations checked', () => {
    fc.assert(
      fc.property(arbitraryTimedNet(), (definition) => {
        expect(validateNet(definition, timing)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  // Timers fire early, due, twice or after their owner ended; executors fail with random errors and stale
  // attempts; incidents are resolved at random.
  it('keeps every invariant, and every pending timer has a live owner, after every command', () => {
    fc.assert(
      fc.property(arbitraryTimedNet(), arbitraryTimedCommandPicks(), (definition, picks) =>
        playAndCheck(
          definition,
          picks.map(({ pick }) => pick),
          timing,
          pickTimes(picks),
        ),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('keeps them too with immediate answers', () => {
    fc.assert(
      fc.property(arbitraryTimedNet(), arbitraryTimedCommandPicks(8), (definition, picks) =>
        playAndCheck(
          definition,
          picks.map(({ pick }) => pick),
          { ...immediateBuiltIns, ...timing },
          pickTimes(picks),
        ),
      ),
      { numRuns: 200 },
    );
  });

  it('and on nets that decide', () => {
    fc.assert(
      fc.property(
        arbitraryTimedNet(arbitraryDecisionNet()),
        arbitraryTimedCommandPicks(),
        (definition, picks) =>
          playAndCheck(
            definition,
            picks.map(({ pick }) => pick),
            { ...timing, conditions: fakeConditions() },
            pickTimes(picks),
          ),
      ),
      { numRuns: 300 },
    );
  });

  it('in the deadline net, where a timer races a manual step for one token', () => {
    fc.assert(
      fc.property(
        arbitraryTimedNet(fc.constant(deadlineNet())),
        arbitraryTimedCommandPicks(),
        (definition, picks) =>
          playAndCheck(
            definition,
            picks.map(({ pick }) => pick),
            { ...immediateBuiltIns, ...timing },
            pickTimes(picks),
          ),
      ),
      { numRuns: 300 },
    );
  });
});
