import { describe, expect, it } from '@jest/globals';
import {
  abandonWorkitem,
  actingAs,
  claimWorkitem,
  completeWorkitem,
  expectRefused,
  expectStep,
  fakeConditions,
  ids,
  oneStepNet,
  people,
  peopleNet,
  preexecuteWorkitem,
  releaseWorkitem,
  resolveIncident,
  startCase,
  terminateCase,
  updateWorkitem,
  xorNet,
} from '../testing/index.js';
import type { CaseRun } from '../testing/index.js';
import { caseFromSnapshot, caseToSnapshot } from './decider.js';
import type { CaseData } from './state.js';

const { task, workitem, token, incident } = ids;
const { ann, bob, max, eve, root } = people;

/** oneStepNet (manual), its workitem 1 started: no assignment, so anyone may work it. */
const open = (): CaseRun => startCase(oneStepNet('manual'));

/** oneStepNet with workitem 1 claimed by `by`. */
function claimed(by = ann): CaseRun {
  const run = open();
  run.send(claimWorkitem(workitem(1), by));
  return run;
}

/** peopleNet: ann (a manager) submitted (workitem 1); approve's workitem 2 is created, for the managers and bob. */
function submitted(options: Parameters<typeof startCase>[1] = {}, assignee?: string): CaseRun {
  const run = startCase(peopleNet(assignee), options);
  run.send(actingAs(completeWorkitem(workitem(1), 'sent'), ann));
  expect(run.state.workitems.get(workitem(2))?.state).toBe('created');
  return run;
}

const completedBy = (by: string, override?: readonly string[]) => ({
  type: 'WorkitemUpdated',
  data: { state: 'completed', by, ...(override && { override }) },
});

describe('ClaimWorkitem', () => {
  it('records who claimed an open workitem, and the state keeps the claim', () => {
    const run = open();
    expectStep(run, claimWorkitem(workitem(1), ann), [
      { type: 'WorkitemClaimed', data: { workitemId: workitem(1), taskId: task(1), by: 'ann' } },
    ]);
    expect(run.state.workitems.get(workitem(1))?.claimedBy).toBe('ann');
  });

  it('claiming one’s own claim again records nothing', () => {
    expectStep(claimed(ann), claimWorkitem(workitem(1), ann), []);
  });

  it('refuses a workitem someone else claimed: 409 workitem_claimed', () => {
    expectRefused(claimed(ann), claimWorkitem(workitem(1), bob), { code: 'workitem_claimed' });
  });

  it('an admin takes someone else’s claim over: their claim released with the override, then the admin’s', () => {
    expectStep(claimed(ann), claimWorkitem(workitem(1), root), [
      {
        type: 'WorkitemReleased',
        data: { workitemId: workitem(1), by: 'root', claimedBy: 'ann', override: ['workitem_claimed'] },
      },
      { type: 'WorkitemClaimed', data: { workitemId: workitem(1), by: 'root' } },
    ]);
  });

  it('refuses a person who is not a candidate of an assigned workitem: 403 not_a_candidate', () => {
    expectRefused(submitted(), claimWorkitem(workitem(2), eve), { code: 'not_a_candidate' });
  });

  it('takes a member of a candidate group, and a candidate user', () => {
    expectStep(submitted(), claimWorkitem(workitem(2), max), [
      { type: 'WorkitemClaimed', data: { by: 'max' } },
    ]);
    expectStep(submitted(), claimWorkitem(workitem(2), bob), [
      { type: 'WorkitemClaimed', data: { by: 'bob' } },
    ]);
  });

  it('an admin who is not a candidate may claim, recorded as an override', () => {
    const [claim] = expectStep(submitted(), claimWorkitem(workitem(2), root), [
      { type: 'WorkitemClaimed', data: { by: 'root', override: ['not_a_candidate'] } },
    ]);
    expect(claim?.data).not.toHaveProperty('override', expect.arrayContaining(['workitem_claimed']));
  });

  it('refuses someone else’s claim (409) before asking whether the claimer is a candidate (403)', () => {
    const run = submitted();
    run.send(claimWorkitem(workitem(2), bob));
    expectRefused(run, claimWorkitem(workitem(2), eve), { code: 'workitem_claimed' });
  });

  it('refuses an ended workitem (409 workitem_not_available) and an unknown one (not found)', () => {
    const run = submitted();
    expectRefused(run, claimWorkitem(workitem(1), ann), { code: 'workitem_not_available' });
    expectRefused(run, claimWorkitem(workitem(9), ann), { name: 'NotFoundError' });
  });

  it('refuses the workitems of a terminated case, which ended with it', () => {
    const run = open();
    run.send(terminateCase());
    expectRefused(run, claimWorkitem(workitem(1), ann), { code: 'workitem_not_available' });
  });

  it('refuses an actor without a user name: 400 validation_failed', () => {
    expectRefused(open(), claimWorkitem(workitem(1), { ...ann, user: '' }), { code: 'validation_failed' });
  });
});

describe('ReleaseWorkitem', () => {
  it('the claimer releases the claim', () => {
    const run = claimed(ann);
    const [released] = expectStep(run, releaseWorkitem(workitem(1), ann), [
      { type: 'WorkitemReleased', data: { workitemId: workitem(1), by: 'ann', claimedBy: 'ann' } },
    ]);
    expect(released?.data).not.toHaveProperty('override');
    expect(run.state.workitems.get(workitem(1))).not.toHaveProperty('claimedBy');
  });

  it('refuses another user: 409 workitem_claimed', () => {
    expectRefused(claimed(ann), releaseWorkitem(workitem(1), bob), { code: 'workitem_claimed' });
  });

  it('an admin releases someone else’s claim, recorded as an override', () => {
    expectStep(claimed(ann), releaseWorkitem(workitem(1), root), [
      { type: 'WorkitemReleased', data: { by: 'root', claimedBy: 'ann', override: ['workitem_claimed'] } },
    ]);
  });

  it('releasing an unclaimed open workitem records nothing', () => {
    expectStep(open(), releaseWorkitem(workitem(1), ann), []);
  });

  it('refuses an ended workitem: 409 workitem_not_available', () => {
    const run = claimed(ann);
    run.send(actingAs(completeWorkitem(workitem(1), 'done'), ann));
    expectRefused(run, releaseWorkitem(workitem(1), ann), { code: 'workitem_not_available' });
  });
});

describe('CompleteWorkitem and AbandonWorkitem by a person', () => {
  it('record who completed it, and the ended workitem loses its claim', () => {
    const run = claimed(ann);
    const [, updated] = expectStep(run, actingAs(completeWorkitem(workitem(1), 'done'), ann), [
      { type: 'TokensLocked' },
      completedBy('ann'),
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TokensConsumed' },
      { type: 'CaseFinished' },
    ]);
    expect(updated?.data).not.toHaveProperty('override');
    expect(run.withEnded.workitems.get(workitem(1))).not.toHaveProperty('claimedBy');
  });

  it('anyone may work a workitem without an assignment', () => {
    expectStep(open(), actingAs(completeWorkitem(workitem(1)), eve), [
      { type: 'TokensLocked' },
      completedBy('eve'),
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TokensConsumed' },
      { type: 'CaseFinished' },
    ]);
  });

  it('refuse a workitem someone else claimed: 409 workitem_claimed', () => {
    expectRefused(claimed(ann), actingAs(completeWorkitem(workitem(1)), bob), { code: 'workitem_claimed' });
    expectRefused(claimed(ann), actingAs(abandonWorkitem(workitem(1)), bob), { code: 'workitem_claimed' });
  });

  it('an admin completes someone else’s claimed workitem, recorded as an override', () => {
    expectStep(claimed(ann), actingAs(completeWorkitem(workitem(1)), root), [
      { type: 'TokensLocked' },
      completedBy('root', ['workitem_claimed']),
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TokensConsumed' },
      { type: 'CaseFinished' },
    ]);
  });

  it('an admin abandons someone else’s claimed workitem, recorded as an override', () => {
    expectStep(claimed(ann), actingAs(abandonWorkitem(workitem(1)), root), [
      {
        type: 'WorkitemUpdated',
        data: { state: 'abandoned', by: 'root', override: ['workitem_claimed'] },
      },
      { type: 'TaskAbandoned' },
      { type: 'TaskStarted' },
      { type: 'TokensReceived' },
      { type: 'TaskAllocated' },
      { type: 'WorkitemCreated' },
    ]);
  });

  it('refuse a person who is not a candidate of an assigned workitem: 403 not_a_candidate', () => {
    expectRefused(submitted(), actingAs(completeWorkitem(workitem(2)), eve), { code: 'not_a_candidate' });
    expectRefused(submitted(), actingAs(abandonWorkitem(workitem(2)), eve), { code: 'not_a_candidate' });
  });

  it('an admin who is not a candidate completes it, recorded as an override', () => {
    expectStep(submitted(), actingAs(completeWorkitem(workitem(2)), root), [
      { type: 'TokensLocked' },
      completedBy('root', ['not_a_candidate']),
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TokensConsumed' },
      { type: 'CaseFinished' },
    ]);
  });

  it('without an actor (an executor, the system) no people rule applies', () => {
    const run = submitted();
    run.send(claimWorkitem(workitem(2), bob));
    const [, updated] = expectStep(run, completeWorkitem(workitem(2), 'by the system'), [
      { type: 'TokensLocked' },
      { type: 'WorkitemUpdated', data: { state: 'completed', output: 'by the system' } },
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TokensConsumed' },
      { type: 'CaseFinished' },
    ]);
    expect(updated?.data).not.toHaveProperty('by');
  });

  it('an executor’s UpdateWorkitem completes a claimed workitem', () => {
    const run = claimed(ann);
    expect(run.send(updateWorkitem(workitem(1), 'completed', 'ran')).map((e) => e.type)).toContain(
      'CaseFinished',
    );
  });
});

describe('four eyes (separateFrom)', () => {
  it('refuses who completed a transition kept apart from this one: 403 separation_of_duties', () => {
    // ann is a manager, so a candidate: only four eyes stands in her way.
    expectRefused(submitted(), actingAs(completeWorkitem(workitem(2)), ann), {
      code: 'separation_of_duties',
    });
  });

  it('another candidate may complete it', () => {
    expectStep(submitted(), actingAs(completeWorkitem(workitem(2)), max), [
      { type: 'TokensLocked' },
      completedBy('max'),
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TokensConsumed' },
      { type: 'CaseFinished' },
    ]);
  });

  it('an admin who submitted may approve, every rule set aside recorded as an override', () => {
    const run = startCase(peopleNet());
    run.send(actingAs(completeWorkitem(workitem(1)), root));
    expectStep(run, actingAs(completeWorkitem(workitem(2)), root), [
      { type: 'TokensLocked' },
      completedBy('root', ['not_a_candidate', 'separation_of_duties']),
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TokensConsumed' },
      { type: 'CaseFinished' },
    ]);
  });

  it('a claim does not check four eyes, completing does', () => {
    const run = submitted();
    run.send(claimWorkitem(workitem(2), ann));
    expectRefused(run, actingAs(completeWorkitem(workitem(2)), ann), { code: 'separation_of_duties' });
  });

  it('a completion without a person (an executor) leaves no one out', () => {
    const run = startCase(peopleNet());
    run.send(completeWorkitem(workitem(1)));
    expect(run.state.completedBy.size).toBe(0);
    expect(run.send(actingAs(completeWorkitem(workitem(2)), ann)).map((e) => e.type)).toContain(
      'CaseFinished',
    );
  });

  it('who completed each transition survives a snapshot, and a snapshot from before people loads with no one', () => {
    const run = submitted();
    const restored = caseFromSnapshot(JSON.parse(JSON.stringify(caseToSnapshot(run.state)))) as CaseData;
    expect(restored).toEqual(run.state);
    expect(restored.completedBy.get('submit')).toEqual(['ann']);
    const { completedBy: _, ...older } = caseToSnapshot(run.state) as { completedBy: unknown };
    expect((caseFromSnapshot(JSON.parse(JSON.stringify(older))) as CaseData).completedBy.size).toBe(0);
  });
});

describe('PreexecuteTask from a workitem, by a person', () => {
  it('refuses a workitem someone else claimed (409) and a person who is not a candidate (403)', () => {
    expectRefused(claimed(ann), actingAs(preexecuteWorkitem(workitem(1)), bob), { code: 'workitem_claimed' });
    expectRefused(submitted(), actingAs(preexecuteWorkitem(workitem(2)), eve), { code: 'not_a_candidate' });
  });

  it('locks the tokens for a candidate', () => {
    expectStep(submitted(), actingAs(preexecuteWorkitem(workitem(2)), bob), [
      { type: 'TokensLocked', data: { taskId: task(2), tokenIds: [token(2)] } },
    ]);
  });
});

describe('an assignment evaluated when the workitem is created', () => {
  it('records the candidates and the assignee the expression gives', () => {
    const run = submitted(
      { data: { manager: 'eve' }, options: { conditions: fakeConditions() } },
      'case.manager',
    );
    const created = run.history.find(
      (e) => e.type === 'WorkitemCreated' && e.data.workitemId === workitem(2),
    );
    expect(created?.data).toMatchObject({
      assignment: { candidateGroups: ['managers'], candidateUsers: ['bob'], assignee: 'eve' },
    });
    expect(run.send(actingAs(completeWorkitem(workitem(2)), eve)).map((e) => e.type)).toContain(
      'CaseFinished',
    );
  });

  it('a transition without an assignment records none', () => {
    const run = submitted();
    const created = run.history.find(
      (e) => e.type === 'WorkitemCreated' && e.data.workitemId === workitem(1),
    );
    expect(created?.data).not.toHaveProperty('assignment');
  });

  it('an assignee that cannot be evaluated raises a condition_failed incident; the workitem has no assignee', () => {
    const run = startCase(peopleNet('case.manager'), { options: { conditions: fakeConditions() } });
    expectStep(run, actingAs(completeWorkitem(workitem(1)), ann), [
      { type: 'TokensLocked' },
      completedBy('ann'),
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TaskStarted' },
      { type: 'TokensReceived' },
      { type: 'TaskAllocated' },
      {
        type: 'WorkitemCreated',
        data: {
          workitemId: workitem(2),
          assignment: { candidateGroups: ['managers'], candidateUsers: ['bob'], assignee: null },
        },
      },
      {
        type: 'IncidentRaised',
        data: {
          kind: 'condition_failed',
          taskId: task(2),
          workitemId: workitem(2),
          message: expect.stringContaining('case.manager is missing'),
        },
      },
    ]);
  });

  it('without a condition language an assignee raises the incident too', () => {
    const run = startCase(peopleNet("'eve'"));
    const events = run.send(actingAs(completeWorkitem(workitem(1)), ann));
    expect(events.at(-1)).toMatchObject({
      type: 'IncidentRaised',
      data: { kind: 'condition_failed', message: expect.stringContaining('no condition language') },
    });
  });

  it('an assignee giving an empty name raises the incident', () => {
    const run = startCase(peopleNet("''"), { options: { conditions: fakeConditions() } });
    const events = run.send(actingAs(completeWorkitem(workitem(1)), ann));
    expect(events.at(-1)).toMatchObject({
      type: 'IncidentRaised',
      data: { message: expect.stringContaining('gave an empty string') },
    });
  });

  it('its incident takes no route while the workitem is open', () => {
    const net = xorNet();
    const assigned = {
      ...net,
      transitions: net.transitions.map((t) =>
        t.id === 'register' ? { ...t, assignment: { assignee: 'case.manager' } } : t,
      ),
    };
    const run = startCase(assigned, {
      data: { amount: 1 },
      options: { conditions: fakeConditions() },
      runExecutors: false,
    });
    expect(run.state.incidents.get(incident(1))).toMatchObject({ workitemId: workitem(1) });
    expectRefused(run, resolveIncident(incident(1), { action: 'route', placeIds: ['clerk'] }), {
      code: 'validation_failed',
    });
  });

  it('an operator completes the workitem of its incident with no people rule', () => {
    const run = startCase(peopleNet('case.manager'), { options: { conditions: fakeConditions() } });
    run.send(actingAs(completeWorkitem(workitem(1)), ann));
    run.send(claimWorkitem(workitem(2), bob));
    const events = expectStep(run, resolveIncident(incident(1), { action: 'complete', output: 'ok' }), [
      { type: 'IncidentResolved' },
      { type: 'TokensLocked' },
      { type: 'WorkitemUpdated', data: { state: 'completed', output: 'ok' } },
      { type: 'TokensConsumed' },
      { type: 'TaskCompleted' },
      { type: 'TokensIssued' },
      { type: 'TokensConsumed' },
      { type: 'CaseFinished' },
    ]);
    expect(events[2]?.data).not.toHaveProperty('by');
  });
});
