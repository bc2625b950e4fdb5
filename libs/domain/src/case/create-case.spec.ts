import { describe, expect, it } from '@jest/globals';
import { approvalNet, parallelNet, sequentialNet } from '../net/fixtures.js';
import {
  createCase,
  expectRefused,
  given,
  ids,
  oneStepNet,
  startCase,
  terminateCase,
} from '../testing/index.js';
import { GENESIS } from './events.js';

const { task, workitem, token } = ids;

describe('CreateCase on a case that does not exist', () => {
  it('rule 1 create: records the case with its pinned definition, issues the genesis token into start and activates it', () => {
    const definition = oneStepNet('manual');
    given([])
      .when(createCase(definition, { data: { order: 7 } }))
      .then([
        {
          type: 'CaseCreated',
          data: { caseId: 'c1', workflowId: 'one-step', definition, data: { order: 7 } },
        },
        {
          type: 'TokensIssued',
          data: {
            tokens: [{ id: token(1), placeId: 'start', payload: { order: 7 }, producedByTaskId: GENESIS }],
          },
        },
        { type: 'CaseActivated', data: { caseId: 'c1' } },
        { type: 'TaskStarted', data: { taskId: task(1), transitionId: 'step' } },
        { type: 'TokensReceived', data: { taskId: task(1), tokenIds: [token(1)] } },
        { type: 'TaskAllocated', data: { taskId: task(1), workitemId: workitem(1) } },
        {
          type: 'WorkitemCreated',
          data: { workitemId: workitem(1), taskId: task(1), transitionId: 'step', executor: 'manual' },
        },
      ]);
  });

  it('rule 1 create: leaves the case active with one free genesis token carrying the case data', () => {
    const run = startCase(approvalNet(), { data: { order: 7 }, runExecutors: false });
    expect(run.state).toMatchObject({
      status: 'active',
      caseId: 'c1',
      workflowId: 'approval',
      data: { order: 7 },
    });
    expect([...run.state.tokens.values()]).toEqual([
      {
        id: token(1),
        placeId: 'start',
        state: 'free',
        payload: { order: 7 },
        producedByTaskId: GENESIS,
        lockedByTaskId: null,
        consumedByTaskId: null,
      },
    ]);
  });

  it('stamps every event with the command time', () => {
    const events = given([]).when(createCase(sequentialNet())).events();
    expect(new Set(events.map((e) => e.data.at))).toEqual(new Set(['2026-01-01T00:00:00.000Z']));
  });

  it('derives every id from the case id', () => {
    const run = startCase(parallelNet(), { caseId: 'order-7' });
    const all = [...run.state.tasks.keys(), ...run.state.workitems.keys(), ...run.state.tokens.keys()];
    expect(all.every((id) => id.startsWith('order-7:'))).toBe(true);
    expect(run.withEnded.tasks.has('order-7:task-1')).toBe(true);
  });

  it('pins the definition it was given: the case keeps running the net it started with', () => {
    const definition = sequentialNet();
    const run = startCase(definition, { runExecutors: false });
    expect(run.state.definition).toBe(definition);
    expect(run.history[0]).toMatchObject({ type: 'CaseCreated', data: { definition } });
  });
});

describe('CreateCase on a case that exists', () => {
  it.each([
    ['active', () => startCase(approvalNet())],
    ['finished', () => startCase(sequentialNet())],
    [
      'terminated',
      () => {
        const run = startCase(approvalNet());
        run.send(terminateCase());
        return run;
      },
    ],
  ])('refuses with already_exists on an %s case and issues no second genesis token', (_, start) => {
    const run = start();
    expectRefused(run, createCase(approvalNet()), { code: 'already_exists' });
    expect([...run.withEnded.tokens.values()].filter((t) => t.producedByTaskId === GENESIS)).toHaveLength(1);
  });
});

describe('CreateCase for a discarded workflow', () => {
  it('refuses with case_not_available', () => {
    given([])
      .when(createCase(sequentialNet(), { workflowState: 'discarded' }))
      .thenFails('case_not_available');
  });
});
