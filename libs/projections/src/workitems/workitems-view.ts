import type { JsonValue, WorkitemCreated, WorkitemState, WorkitemUpdated } from '@wfnet/domain';
import type { Document } from '../core/view.js';
import { defineView } from '../core/view.js';

/** A row of the workitem table: every workitem of every case. */
export interface WorkitemDocument extends Document {
  readonly caseId: string;
  readonly taskId: string;
  readonly transitionId: string;
  readonly executor: string;
  readonly state: WorkitemState;
  /** The executor's output once completed, otherwise null. */
  readonly output: JsonValue;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type WorkitemEvent = WorkitemCreated | WorkitemUpdated;

export const workitemsView = defineView<WorkitemDocument, WorkitemEvent>({
  name: 'workitems',
  handles: ['WorkitemCreated', 'WorkitemUpdated'],
  creates: ['WorkitemCreated'],
  documentId: (event) => event.data.workitemId,
  initial: (id) => ({
    id,
    lastRevision: -1,
    position: '0',
    caseId: '',
    taskId: '',
    transitionId: '',
    executor: '',
    state: 'created',
    output: null,
    createdAt: '',
    updatedAt: '',
  }),
  apply(doc, event) {
    switch (event.type) {
      case 'WorkitemCreated': {
        const { caseId, taskId, transitionId, executor, at } = event.data;
        return {
          caseId,
          taskId,
          transitionId,
          executor,
          state: 'created',
          output: null,
          createdAt: at,
          updatedAt: at,
        };
      }
      case 'WorkitemUpdated': {
        const { state, output, at } = event.data;
        return { state, output, updatedAt: at };
      }
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
});
