import type { SoundnessReport, WorkflowDefinition, WorkflowEvent } from '@wfnet/domain';
import type { Document } from '../core/view.js';
import { defineView } from '../core/view.js';

/** A stored workflow: its definition (defaults filled) and whether new cases may start on it. */
export interface WorkflowDocument extends Document {
  readonly name: string;
  readonly state: 'active' | 'discarded';
  readonly places: WorkflowDefinition['places'];
  readonly transitions: WorkflowDefinition['transitions'];
  readonly arcs: WorkflowDefinition['arcs'];
  readonly metadata: WorkflowDefinition['metadata'];
  /** The definition's `caseTimeout`; absent when it has none. */
  readonly caseTimeout?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The soundness report of a net stored with `allowUnsound`; absent otherwise. */
  readonly soundness?: SoundnessReport;
}

export const workflowsView = defineView<WorkflowDocument, WorkflowEvent>({
  name: 'workflows',
  handles: ['WorkflowCreated', 'WorkflowDiscarded'],
  creates: ['WorkflowCreated'],
  documentId: (event) => event.data.workflowId,
  initial: (id) => ({
    id,
    lastRevision: -1,
    position: '0',
    name: '',
    state: 'active',
    places: [],
    transitions: [],
    arcs: [],
    metadata: {},
    createdAt: '',
    updatedAt: '',
  }),
  apply(doc, event) {
    switch (event.type) {
      case 'WorkflowCreated': {
        const { definition, at, soundness } = event.data;
        const { name, places, transitions, arcs, metadata, caseTimeout } = definition;
        return {
          name,
          state: 'active',
          places,
          transitions,
          arcs,
          metadata,
          ...(caseTimeout !== undefined && { caseTimeout }),
          createdAt: at,
          updatedAt: at,
          ...(soundness && { soundness }),
        };
      }
      case 'WorkflowDiscarded':
        return { state: 'discarded', updatedAt: event.data.at };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
});
