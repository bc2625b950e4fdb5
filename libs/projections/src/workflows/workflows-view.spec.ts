import { describe, expect, it } from '@jest/globals';
import { projectEvents } from '../core/view.js';
import { approvalDefinition, at, recordStream, workflowHistory } from '../fixtures.js';
import { workflowsView } from './workflows-view.js';

const approval = (upTo: number) =>
  projectEvents(workflowsView, recordStream('workflow-approval', workflowHistory().slice(0, upTo + 1))).get(
    'approval',
  );

describe('the workflows', () => {
  describe('given a workflow created', () => {
    it('holds its definition, active', () => {
      const { places, transitions, arcs, metadata, name } = approvalDefinition;
      expect(approval(0)).toEqual({
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
      expect(approval(1)).toMatchObject({
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
    };
    const withReport = { ...created, data: { ...created.data, soundness } };
    const doc = projectEvents(workflowsView, recordStream('workflow-approval', [withReport])).get('approval');
    expect(doc?.soundness).toEqual(soundness);
  });
});
