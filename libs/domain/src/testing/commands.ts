import { expect } from '@jest/globals';
import type { JsonValue } from '../core/message.js';
import type { WorkflowDefinition } from '../net/definition.js';
import type {
  AbandonWorkitem,
  Actor,
  CaseCommand,
  ClaimWorkitem,
  CompleteWorkitem,
  CreateCase,
  DiscardTokens,
  FailWorkitem,
  FireTimer,
  ForceAbandonTask,
  PreexecuteTask,
  ReceiveTokens,
  ReleaseWorkitem,
  ResolveIncident,
  TerminateCase,
  UpdateWorkitem,
} from '../case/commands.js';
import { entityId } from '../case/ids.js';
import type { CaseRun } from './case-harness.js';
import { AT, given } from './case-harness.js';
import { isoTime } from './timing.js';
import type { CaseEvent, ExecutionError, IncidentResolution } from '../case/events.js';

/** The case id `startCase` uses unless told otherwise. */
export const CASE_ID = 'c1';

/** The n-th task, workitem or token a case makes. */
export const ids = {
  task: (n: number, caseId = CASE_ID): string => entityId(caseId, 'task', n),
  workitem: (n: number, caseId = CASE_ID): string => entityId(caseId, 'workitem', n),
  token: (n: number, caseId = CASE_ID): string => entityId(caseId, 'token', n),
  incident: (n: number, caseId = CASE_ID): string => entityId(caseId, 'incident', n),
  timer: (n: number, caseId = CASE_ID): string => entityId(caseId, 'timer', n),
};

/** `AT` plus the given seconds, as the events record times. */
export const atPlus = (seconds: number): string => isoTime(Date.parse(AT) + seconds * 1000);

export const createCase = (
  definition: WorkflowDefinition,
  {
    caseId = CASE_ID,
    data = {},
    workflowState = 'active',
  }: { caseId?: string; data?: JsonValue; workflowState?: 'active' | 'discarded' } = {},
): CreateCase => ({
  type: 'CreateCase',
  data: { caseId, workflow: { definition, state: workflowState }, data, at: AT },
});

export const terminateCase = (caseId = CASE_ID): TerminateCase => ({
  type: 'TerminateCase',
  data: { caseId, at: AT },
});

export const receiveTokens = (
  taskId: string,
  tokenIds: readonly string[],
  caseId = CASE_ID,
): ReceiveTokens => ({
  type: 'ReceiveTokens',
  data: { caseId, taskId, tokenIds, at: AT },
});

export const discardTokens = (
  taskId: string,
  tokenIds: readonly string[],
  caseId = CASE_ID,
): DiscardTokens => ({
  type: 'DiscardTokens',
  data: { caseId, taskId, tokenIds, at: AT },
});

export const preexecuteTask = (taskId: string, caseId = CASE_ID): PreexecuteTask => ({
  type: 'PreexecuteTask',
  data: { caseId, taskId, at: AT },
});

/** Preexecute of the task of a workitem (`POST /workitems/:id/preexecute`). */
export const preexecuteWorkitem = (workitemId: string, caseId = CASE_ID): PreexecuteTask => ({
  type: 'PreexecuteTask',
  data: { caseId, workitemId, at: AT },
});

export const forceAbandonTask = (taskId: string, caseId = CASE_ID): ForceAbandonTask => ({
  type: 'ForceAbandonTask',
  data: { caseId, taskId, at: AT },
});

export const updateWorkitem = (
  workitemId: string,
  state: 'started' | 'completed' | 'abandoned',
  output?: JsonValue,
  caseId = CASE_ID,
): UpdateWorkitem => ({
  type: 'UpdateWorkitem',
  data: { caseId, workitemId, state, ...(output !== undefined && { output }), at: AT },
});

export const completeWorkitem = (
  workitemId: string,
  output: JsonValue = null,
  caseId = CASE_ID,
): CompleteWorkitem => ({
  type: 'CompleteWorkitem',
  data: { caseId, workitemId, output, at: AT },
});

export const abandonWorkitem = (workitemId: string, caseId = CASE_ID): AbandonWorkitem => ({
  type: 'AbandonWorkitem',
  data: { caseId, workitemId, at: AT },
});

/** People for the people rules: ann and bob are staff, ann and max managers, root an admin. */
export const people = {
  ann: { user: 'ann', groups: ['staff', 'managers'], admin: false },
  bob: { user: 'bob', groups: ['staff'], admin: false },
  max: { user: 'max', groups: ['managers'], admin: false },
  eve: { user: 'eve', groups: [], admin: false },
  root: { user: 'root', groups: [], admin: true },
} satisfies Record<string, Actor>;

export const claimWorkitem = (workitemId: string, actor: Actor, caseId = CASE_ID): ClaimWorkitem => ({
  type: 'ClaimWorkitem',
  data: { caseId, workitemId, actor, at: AT },
});

export const releaseWorkitem = (workitemId: string, actor: Actor, caseId = CASE_ID): ReleaseWorkitem => ({
  type: 'ReleaseWorkitem',
  data: { caseId, workitemId, actor, at: AT },
});

/** The command as a person sends it through the API. */
export const actingAs = <C extends CompleteWorkitem | AbandonWorkitem | PreexecuteTask>(
  command: C,
  actor: Actor,
): C => ({ ...command, data: { ...command.data, actor } });

export const resolveIncident = (
  incidentId: string,
  resolution: IncidentResolution,
  caseId = CASE_ID,
): ResolveIncident => ({
  type: 'ResolveIncident',
  data: { caseId, incidentId, resolution, at: AT },
});

/** The command as sent at `at` rather than at `AT`. */
export const sentAt = <C extends CaseCommand>(command: C, at: string): C => ({
  ...command,
  data: { ...command.data, at },
});

export const fireTimer = (timerId: string, at: string, caseId = CASE_ID): FireTimer => ({
  type: 'FireTimer',
  data: { caseId, timerId, at },
});

export const failWorkitem = (
  workitemId: string,
  attempt: number,
  error: ExecutionError = { type: 'http_5xx', message: 'the service answered 503', retryable: true },
  at = AT,
  caseId = CASE_ID,
): FailWorkitem => ({
  type: 'FailWorkitem',
  data: { caseId, workitemId, attempt, error, at },
});

/**
 * A refused command throws the expected error and the run records nothing: the history and the state
 * object stay as they were.
 */
export function expectRefused(
  run: CaseRun,
  command: CaseCommand,
  error: { readonly code: string } | { readonly name: string; readonly entity?: string },
): void {
  const length = run.history.length;
  const state = run.state;
  expect(() => run.send(command)).toThrow(expect.objectContaining(error));
  expect(run.history).toHaveLength(length);
  expect(run.state).toBe(state);
}

/**
 * given the run's history / when the command / then the expected events (by type, in order, and the data
 * fields named); the events are then recorded in the run.
 */
export function expectStep(
  run: CaseRun,
  command: CaseCommand,
  expected: readonly { readonly type: string; readonly data?: object }[],
): readonly CaseEvent[] {
  const events = given(run.history, run.options).when(command).then(expected);
  expect(run.send(command)).toEqual(events);
  return events;
}
