import { describe, expect, it } from '@jest/globals';
import { approvalNet, parallelNet, sequentialNet, trafficLightNet } from '../net/fixtures.js';
import {
  AT,
  abandonWorkitem,
  completeWorkitem,
  createCase,
  ids,
  preexecuteTask,
  replay,
  startCase,
  terminateCase,
  twoTokensNet,
} from '../testing/index.js';
import type { CaseRun } from '../testing/index.js';
import type { CaseCommand } from './commands.js';
import { decideCase } from './decide.js';
import { caseDecider, caseFromSnapshot, caseToSnapshot, lockedTokensOf } from './decider.js';
import type { CaseEvent } from './events.js';
import { evolveCase, foldCase, initialCaseState } from './evolve.js';
import type { CaseState } from './state.js';

const { task, workitem, token } = ids;

const runs: readonly (readonly [string, () => CaseRun])[] = [
  ['a finished sequential case', () => startCase(sequentialNet())],
  ['a finished parallel case', () => startCase(parallelNet())],
  [
    'an approval waiting on a locked token',
    () => {
      const run = startCase(approvalNet());
      run.send(preexecuteTask(task(2)));
      return run;
    },
  ],
  [
    'an approval after a retry',
    () => {
      const run = startCase(approvalNet());
      run.send(preexecuteTask(task(2)));
      run.send(abandonWorkitem(workitem(2)));
      return run;
    },
  ],
  [
    'a terminated approval',
    () => {
      const run = startCase(approvalNet());
      run.send(preexecuteTask(task(2)));
      run.send(terminateCase());
      return run;
    },
  ],
  [
    'a traffic light on its second lap',
    () => {
      const run = startCase(trafficLightNet());
      for (const transitionId of ['y2r', 'r2g', 'g2y', 'y2r']) {
        run.send(completeWorkitem(run.workitem(transitionId).id, transitionId));
        run.runExecutors();
      }
      return run;
    },
  ],
  [
    'a finished case with two tokens in one place',
    () => {
      const run = startCase(twoTokensNet());
      run.send(completeWorkitem(workitem(4)));
      run.send(completeWorkitem(workitem(5)));
      run.runExecutors();
      return run;
    },
  ],
];

const throughJson = (state: CaseState): CaseState =>
  caseFromSnapshot(JSON.parse(JSON.stringify(caseToSnapshot(state))));

describe('restore', () => {
  it.each(runs)(
    'restore: replaying the history of %s one event at a time equals the incremental fold',
    (_, start) => {
      const run = start();
      expect(replay(run.history)).toEqual(run.state);
    },
  );

  it('restore: after every command, a replay of the history so far equals the state folded command by command', () => {
    const history: CaseEvent[] = [];
    let state: CaseState = initialCaseState();
    const commands: CaseCommand[] = [
      createCase(approvalNet()),
      completeWorkitem(workitem(1)),
      preexecuteTask(task(2)),
      abandonWorkitem(workitem(2)),
      completeWorkitem(workitem(3), 'rejected'),
    ];
    for (const command of commands) {
      const events = decideCase(command, state);
      state = foldCase(state, events);
      history.push(...events);
      expect(replay(history)).toEqual(state);
    }
    expect(state.status).toBe('finished');
  });

  it('restore: a replayed case decides the next command exactly as the live one', () => {
    const run = startCase(approvalNet());
    const command = completeWorkitem(workitem(3), 'rejected');
    expect(decideCase(command, replay(run.history))).toEqual(decideCase(command, run.state));
  });
});

describe('caseToSnapshot and caseFromSnapshot', () => {
  it.each(runs)('restore: round-trip %s through JSON unchanged', (_, start) => {
    const { state } = start();
    expect(throughJson(state)).toEqual(state);
  });

  it('restore: round-trip a case that does not exist', () => {
    expect(throughJson(initialCaseState())).toEqual({ status: 'none' });
  });

  it('restore: a snapshot holds lists, not maps, so it survives JSON', () => {
    const snapshot = caseToSnapshot(startCase(approvalNet()).state);
    expect(snapshot).toMatchObject({
      tokens: expect.any(Array),
      tasks: expect.any(Array),
      workitems: expect.any(Array),
      liveTaskOf: [
        ['approve', task(2)],
        ['reject', task(3)],
      ],
    });
  });

  it('restore: a snapshot of the older shape, which kept what had ended and had no counts, is refused', () => {
    const { counts: _, ...older } = caseToSnapshot(startCase(approvalNet()).state) as { counts: unknown };
    expect(() => caseFromSnapshot(JSON.parse(JSON.stringify(older)))).toThrow('older case state');
  });

  it('restore: a case restored from a snapshot decides as the original', () => {
    const run = startCase(approvalNet());
    const command = completeWorkitem(workitem(2), 'approved');
    expect(decideCase(command, throughJson(run.state))).toEqual(decideCase(command, run.state));
  });
});

describe('the fold of a case stream', () => {
  const created = (): CaseEvent[] => [...decideCase(createCase(sequentialNet()), initialCaseState())];

  it('refuses a stream that does not start with CaseCreated', () => {
    const [, issued] = created();
    expect(() => foldCase(initialCaseState(), [issued!])).toThrow('must start with CaseCreated');
  });

  it('refuses a second CaseCreated', () => {
    const events = created();
    expect(() => foldCase(initialCaseState(), [...events, events[0]!])).toThrow('created twice');
  });

  it.each([
    [
      'task',
      { type: 'TaskAllocated', data: { caseId: 'c1', taskId: task(9), workitemId: workitem(9), at: AT } },
    ],
    [
      'token',
      { type: 'TokensLocked', data: { caseId: 'c1', taskId: task(1), tokenIds: [token(9)], at: AT } },
    ],
    [
      'workitem',
      {
        type: 'WorkitemUpdated',
        data: {
          caseId: 'c1',
          taskId: task(1),
          workitemId: workitem(9),
          state: 'started',
          output: null,
          at: AT,
        },
      },
    ],
  ] as const)('refuses an event about an unknown %s', (what, event) => {
    expect(() => foldCase(initialCaseState(), [...created(), event])).toThrow(`unknown ${what}`);
  });

  it('refuses an event of an unknown type', () => {
    const unknown = { type: 'TaskRenamed', data: { caseId: 'c1', at: AT } } as unknown as CaseEvent;
    expect(() => foldCase(initialCaseState(), [...created(), unknown])).toThrow(
      'unknown case event TaskRenamed',
    );
  });

  it('returns the same state for no events, and evolveCase folds exactly one', () => {
    const state = foldCase(initialCaseState(), created());
    expect(foldCase(state, [])).toBe(state);
    const [first] = created();
    expect(evolveCase(initialCaseState(), first!)).toMatchObject({ status: 'created', caseId: 'c1' });
  });

  it('never changes the state it folds from', () => {
    const run = startCase(approvalNet());
    const before = JSON.stringify(caseToSnapshot(run.state));
    const state = run.state;
    foldCase(state, decideCase(completeWorkitem(workitem(2), 'approved'), state));
    expect(JSON.stringify(caseToSnapshot(state))).toBe(before);
  });

  it('stamps updatedAt with the time of the last event and keeps createdAt', () => {
    const events = created();
    const later = '2026-01-02T00:00:00.000Z';
    const state = foldCase(initialCaseState(), [
      ...events,
      { type: 'CaseTerminated', data: { caseId: 'c1', at: later } },
    ]);
    expect(state).toMatchObject({ status: 'terminated', createdAt: AT, updatedAt: later });
  });
});

describe('caseDecider', () => {
  it('bundles initialState, decide, evolve and fold of the case', () => {
    const decider = caseDecider({ buildTokenPayload: (transition) => ({ by: transition.id }) });
    expect(decider.initialState()).toEqual({ status: 'none' });
    const events = decider.decide(createCase(sequentialNet()), decider.initialState());
    const folded = decider.fold(decider.initialState(), events);
    expect(events.reduce(decider.evolve, decider.initialState())).toEqual(folded);
    const afterA = decider.decide(completeWorkitem(workitem(1), 'a'), folded);
    expect(afterA).toContainEqual(
      expect.objectContaining({
        type: 'TaskCompleted',
        data: expect.objectContaining({ tokenPayload: { by: 'a' } }),
      }),
    );
  });

  it('uses the default token payload without options', () => {
    const decider = caseDecider();
    const state = decider.fold(
      decider.initialState(),
      decider.decide(createCase(sequentialNet()), decider.initialState()),
    );
    const events = decider.decide(completeWorkitem(workitem(1), 'x'), state);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'TaskCompleted',
        data: expect.objectContaining({ tokenPayload: { [workitem(1)]: 'x' } }),
      }),
    );
  });

  it('refuses a command of an unknown type with ValidationError', () => {
    const unknown = { type: 'RenameCase', data: { caseId: 'c1', at: AT } } as unknown as CaseCommand;
    expect(() => decideCase(unknown, initialCaseState())).toThrow(
      expect.objectContaining({ name: 'ValidationError', code: 'validation_failed' }),
    );
  });
});

describe('lockedTokensOf', () => {
  it('answers the tokens a task holds, and nothing for an unknown task', () => {
    const run = startCase(approvalNet());
    run.send(preexecuteTask(task(2)));
    expect(lockedTokensOf(run.state, task(2))).toEqual([run.state.tokens.get(token(2))]);
    expect(lockedTokensOf(run.state, task(3))).toEqual([]);
    expect(lockedTokensOf(run.state, task(99))).toEqual([]);
  });
});
