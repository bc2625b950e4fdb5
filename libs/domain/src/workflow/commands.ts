import type { Command } from '../core/message.js';
import type { WorkflowDefinition } from '../net/definition.js';
import type { SoundnessReport } from '../net/verify.js';

/** The definition arrives normalized (`normalizeWorkflow`); the workflow's id is `definition.id`. */
export type CreateWorkflow = Command<
  'CreateWorkflow',
  {
    readonly definition: WorkflowDefinition;
    /** ISO-8601 time stamped by the caller; the domain reads no clock. */
    readonly at: string;
    /** Recorded with the workflow when the caller stores a net that is not (proven) sound. */
    readonly soundness?: SoundnessReport;
  }
>;
export type DiscardWorkflow = Command<
  'DiscardWorkflow',
  { readonly workflowId: string; readonly at: string }
>;

export type WorkflowCommand = CreateWorkflow | DiscardWorkflow;
