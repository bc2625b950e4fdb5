import { describe, expect, it } from '@jest/globals';
import type { WorkflowEvent } from '@wfnet/domain';
import { projectEvents } from '../core/view.js';
import {
  approvalDefinition,
  at,
  paymentDefinition,
  recordStream,
  through,
  workflowHistory,
} from '../fixtures.js';
import { workflowsView } from './workflows-view.js';

const history = workflowHistory();
const approval = (events: readonly WorkflowEvent[]) =>
  projectEvents(workflowsView, recordStream('workflow-approval', events)).get('approval');

describe('the workflows', () => {
  describe('given a workflow created', () => {
    it('holds its definition, active', () => {
      const { places, transitions, arcs, metadata, name } = approvalDefinition;
      expect(approval(through(history, 'WorkflowCreated'))).toEqual({
        id: 'approval',
        lastRevision: 0,
        position: '1',
        name,
        state: 'active',
        places,
        transitions,
        arcs,
        metadata,
        createdAt: at(0),
        updatedAt: at(0),
      });
    });
  });

  describe('given the workflow discarded', () => {
    it('is discarded and keeps its creation time', () => {
      expect(approval(through(history, 'WorkflowDiscarded'))).toMatchObject({
        state: 'discarded',
        createdAt: at(0),
        updatedAt: at(30),
        lastRevision: 1,
      });
    });
  });
});

describe('a workflow stored with a soundness report', () => {
  it('shows the report', () => {
    const [created] = workflowHistory();
    if (created?.type !== 'WorkflowCreated') throw new Error('the history starts with WorkflowCreated');
    const soundness = {
      sound: false as const,
      deadlocks: [{ firingSequence: ['submit'], marking: { submitted: 1 } }],
      improperCompletions: [],
      unboundedPlaces: [],
      deadTransitions: [],
      livelocks: [],
      method: 'state-space' as const,
      freeChoice: true,
      statesExplored: 3,
      complete: true,
      warnings: [],
    };
    const withReport = { ...created, data: { ...created.data, soundness } };
    const doc = projectEvents(workflowsView, recordStream('workflow-approval', [withReport])).get('approval');
    expect(doc?.soundness).toEqual(soundness);
  });
});

describe('a workflow with timeouts, a retry policy and a caseTimeout', () => {
  it('keeps them as the definition gives them', () => {
    const doc = projectEvents(
      workflowsView,
      recordStream('workflow-payment', [
        {
          type: 'WorkflowCreated',
          data: { workflowId: 'payment', definition: paymentDefinition, at: at(0) },
        },
      ]),
    ).get('payment');
    expect(doc).toMatchObject({
      caseTimeout: 'P30D',
      transitions: [
        expect.objectContaining({
          timeouts: { scheduleToClose: 'P1D' },
          retry: { initialInterval: 'PT1M', maximumAttempts: 3, nonRetryableErrorTypes: ['invalid_card'] },
        }),
      ],
    });
  });
});
