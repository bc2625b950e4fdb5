import type { Event } from '../core/message.js';
import type { WorkflowDefinition } from '../net/definition.js';
import type { SoundnessReport } from '../net/verify.js';

export type WorkflowCreated = Event<
  'WorkflowCreated',
  {
    readonly workflowId: string;
    readonly definition: WorkflowDefinition;
    /** ISO-8601 time of the command that recorded the event. */
    readonly at: string;
    /** The soundness report of a net stored although it is not (proven) sound; absent on older events. */
    readonly soundness?: SoundnessReport;
  }
>;
export type WorkflowDiscarded = Event<
  'WorkflowDiscarded',
  { readonly workflowId: string; readonly at: string }
>;

export type WorkflowEvent = WorkflowCreated | WorkflowDiscarded;

export type WorkflowEventType = WorkflowEvent['type'];

export const WORKFLOW_EVENT_TYPES: readonly WorkflowEventType[] = ['WorkflowCreated', 'WorkflowDiscarded'];

export const workflowStreamId = (workflowId: string): string => `workflow-${workflowId}`;
