import type { IncidentKind, IncidentRaised, IncidentResolution, IncidentResolved } from '@wfnet/domain';
import type { Document } from '../core/view.js';
import { defineView } from '../core/view.js';

export type IncidentState = 'open' | 'resolved';

/** A row of the incident table: every incident of every case, open or resolved. */
export interface IncidentDocument extends Document {
  readonly caseId: string;
  readonly kind: IncidentKind;
  readonly taskId: string;
  /** The workitem whose executor or output the incident is about; null when it is about the task alone. */
  readonly workitemId: string | null;
  readonly message: string;
  readonly state: IncidentState;
  readonly createdAt: string;
  /** Null while open. */
  readonly resolvedAt: string | null;
  /** How it was settled; null while open. */
  readonly resolution: IncidentResolution | null;
}

export type IncidentEvent = IncidentRaised | IncidentResolved;

export const incidentsView = defineView<IncidentDocument, IncidentEvent>({
  name: 'incidents',
  handles: ['IncidentRaised', 'IncidentResolved'],
  creates: ['IncidentRaised'],
  documentId: (event) => event.data.incidentId,
  initial: (id) => ({
    id,
    lastRevision: -1,
    position: '0',
    caseId: '',
    kind: 'condition_failed',
    taskId: '',
    workitemId: null,
    message: '',
    state: 'open',
    createdAt: '',
    resolvedAt: null,
    resolution: null,
  }),
  apply(_doc, event) {
    switch (event.type) {
      case 'IncidentRaised': {
        const { caseId, kind, taskId, workitemId, message, at } = event.data;
        return {
          caseId,
          kind,
          taskId,
          workitemId,
          message,
          state: 'open',
          createdAt: at,
          resolvedAt: null,
          resolution: null,
        };
      }
      case 'IncidentResolved': {
        const { resolution, at } = event.data;
        return { state: 'resolved', resolvedAt: at, resolution };
      }
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
});
