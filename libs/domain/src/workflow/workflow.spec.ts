import { describe, expect, it } from '@jest/globals';
import { IllegalStateError, NotFoundError, ValidationError } from '../core/errors.js';
import type { WorkflowDefinition } from '../net/definition.js';
import { approvalNet, sequentialNet } from '../net/fixtures.js';
import { verifySoundness } from '../net/verify.js';
import { choiceAndJoinNet } from '../testing/literature-nets.js';
import type { CreateWorkflow, DiscardWorkflow, WorkflowCommand } from './commands.js';
import type { WorkflowCreated, WorkflowDiscarded, WorkflowEvent } from './events.js';
import { workflowStreamId } from './events.js';
import { decideWorkflow, evolveWorkflow, initialWorkflowState, workflowDecider } from './workflow.js';
import type { WorkflowState } from './workflow.js';

const CREATED_AT = '2024-05-01T10:00:00.000Z';
const LATER = '2024-05-01T11:00:00.000Z';

const create = (definition: WorkflowDefinition, at = LATER): CreateWorkflow => ({
  type: 'CreateWorkflow',
  data: { definition, at },
});
const discard = (workflowId = 'sequential', at = LATER): DiscardWorkflow => ({
  type: 'DiscardWorkflow',
  data: { workflowId, at },
});
const created = (definition = sequentialNet(), at = CREATED_AT): WorkflowCreated => ({
  type: 'WorkflowCreated',
  data: { workflowId: definition.id, definition, at },
});
const discarded = (workflowId = 'sequential', at = CREATED_AT): WorkflowDiscarded => ({
  type: 'WorkflowDiscarded',
  data: { workflowId, at },
});

/** Given these events, when this command: the events it records. */
function given(...events: readonly WorkflowEvent[]) {
  const state = workflowDecider.fold(workflowDecider.initialState(), events);
  return {
    when: (command: WorkflowCommand) => decideWorkflow(command, state),
    thrownBy(command: WorkflowCommand): unknown {
      try {
        decideWorkflow(command, state);
      } catch (error) {
        return error;
      }
      throw new Error(`${command.type} was expected to throw`);
    },
  };
}

/** Sequential with its second step renamed: the same id, another definition. */
const changedSequential = (): WorkflowDefinition => ({
  ...sequentialNet(),
  transitions: sequentialNet().transitions.map((t) => (t.id === 'b' ? { ...t, name: 'Second' } : t)),
});
const invalidSequential = (): WorkflowDefinition => ({
  ...sequentialNet(),
  arcs: [...sequentialNet().arcs, { from: 'a', to: 'b' }],
});

describe('a workflow that does not exist', () => {
  it('is created by CreateWorkflow with its definition', () => {
    expect(given().when(create(sequentialNet()))).toEqual([
      {
        type: 'WorkflowCreated',
        data: { workflowId: 'sequential', definition: sequentialNet(), at: LATER },
      },
    ]);
  });

  it('refuses CreateWorkflow with a definition that is not a workflow net', () => {
    const error = given().thrownBy(create(invalidSequential()));

    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      code: 'invalid_net',
      details: [{ rule: 'transition_to_transition', ids: ['a', 'b'], path: 'arcs[4]' }],
    });
  });

  it('is not found by DiscardWorkflow', () => {
    const error = given().thrownBy(discard('ghost'));

    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ entity: 'workflow', id: 'ghost', message: 'workflow ghost not found' });
  });
});

describe('an active workflow', () => {
  it('records nothing when created again with the same definition', () => {
    expect(given(created()).when(create(sequentialNet()))).toEqual([]);
  });

  it('records nothing when created again with the same definition as read back from the store', () => {
    const roundTripped = JSON.parse(JSON.stringify(sequentialNet())) as WorkflowDefinition;
    expect(given(created(roundTripped)).when(create(sequentialNet()))).toEqual([]);
  });

  it('records nothing when the same definition lists its object keys in another order', () => {
    const { metadata, arcs, transitions, places, name, id } = sequentialNet();
    const reordered: WorkflowDefinition = { metadata, arcs, transitions, places, name, id };
    expect(given(created()).when(create(reordered))).toEqual([]);
  });

  it('records nothing when the new definition spells an absent name as undefined', () => {
    const { places } = sequentialNet();
    const spelled = { ...sequentialNet(), places: places.map((p) => ({ ...p, name: undefined })) };
    expect(given(created()).when(create(spelled))).toEqual([]);
  });

  it.each<[string, () => WorkflowDefinition]>([
    ['a renamed transition', changedSequential],
    [
      'changed executor params',
      () => ({
        ...sequentialNet(),
        transitions: sequentialNet().transitions.map((t) => ({ ...t, executorParams: { output: 'other' } })),
      }),
    ],
    ['changed metadata', () => ({ ...sequentialNet(), metadata: { version: 2 } })],
    [
      'places in another order',
      () => ({ ...sequentialNet(), places: [...sequentialNet().places].reverse() }),
    ],
    [
      'an extra arc that keeps it valid',
      () => ({
        ...sequentialNet(),
        transitions: sequentialNet().transitions.map((t) =>
          t.id === 'a' ? { ...t, splitType: 'and' as const } : t,
        ),
        arcs: [...sequentialNet().arcs, { from: 'a', to: 'end' }],
      }),
    ],
  ])('refuses CreateWorkflow with %s as already existing', (_change, definition) => {
    const error = given(created()).thrownBy(create(definition()));

    expect(error).toBeInstanceOf(IllegalStateError);
    expect(error).toMatchObject({
      code: 'already_exists',
      message: 'workflow sequential already exists with a different definition',
    });
  });

  it('checks the net before comparing, so an invalid definition is invalid_net, not already_exists', () => {
    const error = given(created()).thrownBy(create(invalidSequential()));

    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'invalid_net' });
  });

  it('is discarded by DiscardWorkflow', () => {
    expect(given(created()).when(discard('sequential', LATER))).toEqual([
      { type: 'WorkflowDiscarded', data: { workflowId: 'sequential', at: LATER } },
    ]);
  });
});

describe('a discarded workflow', () => {
  const history = [created(), discarded('sequential', CREATED_AT)];

  it('records nothing when created again with the same definition', () => {
    expect(given(...history).when(create(sequentialNet()))).toEqual([]);
  });

  it('refuses CreateWorkflow with another definition as already existing', () => {
    expect(given(...history).thrownBy(create(changedSequential()))).toMatchObject({ code: 'already_exists' });
  });

  it('records nothing when discarded again', () => {
    expect(given(...history).when(discard())).toEqual([]);
  });
});

describe('evolveWorkflow', () => {
  it('makes a created workflow active with its definition and times', () => {
    expect(evolveWorkflow(initialWorkflowState(), created(approvalNet()))).toEqual({
      status: 'active',
      definition: approvalNet(),
      createdAt: CREATED_AT,
      updatedAt: CREATED_AT,
    });
  });

  it('marks a discarded workflow, keeping its creation time', () => {
    const state = evolveWorkflow(
      evolveWorkflow(initialWorkflowState(), created()),
      discarded('sequential', LATER),
    );

    expect(state).toEqual({
      status: 'discarded',
      definition: sequentialNet(),
      createdAt: CREATED_AT,
      updatedAt: LATER,
    });
  });

  it('leaves a workflow that was never created as it is on a discard', () => {
    const none: WorkflowState = initialWorkflowState();
    expect(evolveWorkflow(none, discarded())).toBe(none);
  });

  it('does not change the state it is given', () => {
    const active = evolveWorkflow(initialWorkflowState(), created());
    const snapshot = JSON.stringify(active);
    evolveWorkflow(active, discarded());
    expect(JSON.stringify(active)).toBe(snapshot);
  });

  it('throws on an event it does not know rather than ignore it', () => {
    const unknown = { type: 'WorkflowRenamed', data: {} } as unknown as WorkflowEvent;
    expect(() => evolveWorkflow(initialWorkflowState(), unknown)).toThrow('unknown workflow event');
  });
});

describe('workflowDecider', () => {
  it('folds events as evolve does one by one', () => {
    const events = [created(), discarded('sequential', LATER)];
    expect(workflowDecider.fold(workflowDecider.initialState(), events)).toEqual(
      workflowDecider.evolve(workflowDecider.evolve({ status: 'none' }, events[0]!), events[1]!),
    );
  });

  it('throws on a command it does not know', () => {
    const unknown = { type: 'RenameWorkflow', data: {} } as unknown as WorkflowCommand;
    expect(() => workflowDecider.decide(unknown, initialWorkflowState())).toThrow('unknown workflow command');
  });

  it('throws on a state it does not know', () => {
    const unknown = { status: 'archived' } as unknown as WorkflowState;
    expect(() => workflowDecider.decide(discard(), unknown)).toThrow('unknown workflow state');
  });
});

describe('workflowStreamId', () => {
  it('prefixes the workflow id', () => {
    expect(workflowStreamId('traffic-light')).toBe('workflow-traffic-light');
  });
});

describe('a workflow stored with its soundness report', () => {
  const report = verifySoundness(choiceAndJoinNet());
  const definition = choiceAndJoinNet();

  it('records the report the command carries in WorkflowCreated, and the state keeps it', () => {
    const events = given().when({
      type: 'CreateWorkflow',
      data: { definition, at: LATER, soundness: report },
    });

    expect(events).toEqual([
      {
        type: 'WorkflowCreated',
        data: { workflowId: 'choice-and-join', definition, at: LATER, soundness: report },
      },
    ]);
    expect(workflowDecider.fold(initialWorkflowState(), events)).toMatchObject({
      status: 'active',
      soundness: { sound: false, deadTransitions: ['join'] },
    });
  });

  it('records no soundness field when the command carries none', () => {
    const [event] = given().when(create(sequentialNet()));
    expect(event?.data).not.toHaveProperty('soundness');
  });
});
