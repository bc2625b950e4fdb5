import type {
  ExecutionError,
  JsonValue,
  WorkitemCreated,
  WorkitemFailed,
  WorkitemState,
  WorkitemUpdated,
} from '@wfnet/domain';
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
  /** Failed attempts of its executor so far. */
  readonly attempts: number;
  /** Why the last attempt failed; null until one has. */
  readonly lastError: ExecutionError | null;
  /** When the next attempt may start, as the last failure scheduled it; null when none is scheduled. */
  readonly retryAt: string | null;
}

export type WorkitemEvent = WorkitemCreated | WorkitemUpdated | WorkitemFailed;

export const workitemsView = defineView<WorkitemDocument, WorkitemEvent>({
  name: 'workitems',
  handles: ['WorkitemCreated', 'WorkitemUpdated', 'WorkitemFailed'],
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
    attempts: 0,
    lastError: null,
    retryAt: null,
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
          attempts: 0,
          lastError: null,
          retryAt: null,
        };
      }
      case 'WorkitemUpdated': {
        const { state, output, at } = event.data;
        return { state, output, updatedAt: at };
      }
      case 'WorkitemFailed': {
        const { attempt, error, retryAt, at } = event.data;
        return { attempts: attempt, lastError: error, retryAt, updatedAt: at };
      }
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
});
