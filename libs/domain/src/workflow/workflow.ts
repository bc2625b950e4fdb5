import type { Decider } from '../core/decider.js';
import { IllegalStateError, NotFoundError } from '../core/errors.js';
import type { WorkflowDefinition } from '../net/definition.js';
import { assertValidNet } from '../net/validate.js';
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

export function decideWorkflow(command: WorkflowCommand, state: WorkflowState): readonly WorkflowEvent[] {
  switch (command.type) {
    case 'CreateWorkflow':
      return createWorkflow(command, state);
    case 'DiscardWorkflow':
      return discardWorkflow(command, state);
    default: {
      const unknown: never = command;
      throw new Error(`unknown workflow command ${JSON.stringify(unknown)}`);
    }
  }
}

/** Posting the same definition again is a retry and records nothing; the caller answers with the stored one. */
function createWorkflow({ data }: CreateWorkflow, state: WorkflowState): readonly WorkflowCreated[] {
  const { definition, at, soundness } = data;
  assertValidNet(definition);
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

export const workflowDecider: Decider<WorkflowCommand, WorkflowEvent, WorkflowState> = {
  initialState: initialWorkflowState,
  decide: decideWorkflow,
  evolve: evolveWorkflow,
  fold: (state, events) => events.reduce(evolveWorkflow, state),
};

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
