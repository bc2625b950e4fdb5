import type { Decider } from '../core/decider.js';
import { IllegalStateError, NotFoundError } from '../core/errors.js';
import type { WorkflowDefinition } from '../net/definition.js';
import { assertValidNet } from '../net/validate.js';
import type { ValidateOptions } from '../net/validate.js';
import type { SoundnessReport } from '../net/verify.js';
import type { CreateWorkflow, DiscardWorkflow, WorkflowCommand } from './commands.js';
import type { WorkflowCreated, WorkflowDiscarded, WorkflowEvent } from './events.js';

export type WorkflowState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active' | 'discarded';
      readonly definition: WorkflowDefinition;
      readonly createdAt: string;
      readonly updatedAt: string;
      /** Present when the net was stored although not (proven) sound. */
      readonly soundness?: SoundnessReport;
    };

export const initialWorkflowState = (): WorkflowState => ({ status: 'none' });

/** `options.conditions` checks the arcs' conditions when a workflow is created. */
export function decideWorkflow(
  command: WorkflowCommand,
  state: WorkflowState,
  options: ValidateOptions = {},
): readonly WorkflowEvent[] {
  switch (command.type) {
    case 'CreateWorkflow':
      return createWorkflow(command, state, options);
    case 'DiscardWorkflow':
      return discardWorkflow(command, state);
    default: {
      const unknown: never = command;
      throw new Error(`unknown workflow command ${JSON.stringify(unknown)}`);
    }
  }
}

/** Posting the same definition again is a retry and records nothing; the caller answers with the stored one. */
function createWorkflow(
  { data }: CreateWorkflow,
  state: WorkflowState,
  options: ValidateOptions,
): readonly WorkflowCreated[] {
  const { definition, at, soundness } = data;
  assertValidNet(definition, options);
  if (state.status === 'none') {
    return [
      {
        type: 'WorkflowCreated',
        data: { workflowId: definition.id, definition, at, ...(soundness && { soundness }) },
      },
    ];
  }
  if (jsonEqual(state.definition, definition)) return [];
  throw new IllegalStateError(
    'already_exists',
    `workflow ${definition.id} already exists with a different definition`,
  );
}

function discardWorkflow({ data }: DiscardWorkflow, state: WorkflowState): readonly WorkflowDiscarded[] {
  const { workflowId, at } = data;
  switch (state.status) {
    case 'none':
      throw new NotFoundError('workflow', workflowId);
    case 'active':
      return [{ type: 'WorkflowDiscarded', data: { workflowId, at } }];
    case 'discarded':
      return [];
    default: {
      const unknown: never = state;
      throw new Error(`unknown workflow state ${JSON.stringify(unknown)}`);
    }
  }
}

export function evolveWorkflow(state: WorkflowState, event: WorkflowEvent): WorkflowState {
  switch (event.type) {
    case 'WorkflowCreated': {
      const { definition, at, soundness } = event.data;
      return { status: 'active', definition, createdAt: at, updatedAt: at, ...(soundness && { soundness }) };
    }
    case 'WorkflowDiscarded':
      // A discard before any creation cannot be decided; a stream holding one is left as it was.
      return state.status === 'none' ? state : { ...state, status: 'discarded', updatedAt: event.data.at };
    default: {
      const unknown: never = event;
      throw new Error(`unknown workflow event ${JSON.stringify(unknown)}`);
    }
  }
}

export type WorkflowDecider = Decider<WorkflowCommand, WorkflowEvent, WorkflowState>;

/** The workflow decider checking conditions with `options.conditions`. */
export const workflowDeciderWith = (options: ValidateOptions = {}): WorkflowDecider => ({
  initialState: initialWorkflowState,
  decide: (command, state) => decideWorkflow(command, state, options),
  evolve: evolveWorkflow,
  fold: (state, events) => events.reduce(evolveWorkflow, state),
});

/** Without a condition language: conditions are held only to the structural rules. */
export const workflowDecider: WorkflowDecider = workflowDeciderWith();

/**
 * Equality of JSON values as the store sees them: key order does not matter and a key holding
 * `undefined` counts as absent, since a definition read back from the store has lost both.
 */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => jsonEqual(item, b[i]))
    );
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = (o: Record<string, unknown>): string[] => Object.keys(o).filter((k) => o[k] !== undefined);
  const leftKeys = keys(left);
  return (
    leftKeys.length === keys(right).length &&
    leftKeys.every((k) => Object.hasOwn(right, k) && jsonEqual(left[k], right[k]))
  );
}
