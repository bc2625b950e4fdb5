import type { Command, JsonValue } from '../core/message.js';
import type { WorkflowDefinition } from '../net/definition.js';
import type { ExecutionError, IncidentResolution } from './events.js';

/** Who sends a command on a person's behalf. Admins may set the people rules aside (recorded as an override). */
export interface Actor {
  readonly user: string;
  readonly groups: readonly string[];
  readonly admin: boolean;
}

interface CaseIntent {
  readonly caseId: string;
  /** ISO-8601 time stamped by the caller; the domain reads no clock. */
  readonly at: string;
}

/** The workflow as the caller loaded it: a case may only start on an active one. */
export interface WorkflowSnapshot {
  readonly definition: WorkflowDefinition;
  readonly state: 'active' | 'discarded';
}

export type CreateCase = Command<
  'CreateCase',
  CaseIntent & { readonly workflow: WorkflowSnapshot; readonly data: JsonValue }
>;
export type TerminateCase = Command<'TerminateCase', CaseIntent>;
export type ReceiveTokens = Command<
  'ReceiveTokens',
  CaseIntent & { readonly taskId: string; readonly tokenIds: readonly string[] }
>;
export type DiscardTokens = Command<
  'DiscardTokens',
  CaseIntent & { readonly taskId: string; readonly tokenIds: readonly string[] }
>;
/**
 * Addressed to a task, or to a workitem for its task (`POST /workitems/:id/preexecute`); from a workitem, an
 * `actor` is held to its claim and its candidates.
 */
export type PreexecuteTask = Command<
  'PreexecuteTask',
  CaseIntent & ({ readonly taskId: string } | { readonly workitemId: string; readonly actor?: Actor })
>;
export type ForceAbandonTask = Command<'ForceAbandonTask', CaseIntent & { readonly taskId: string }>;
export type UpdateWorkitem = Command<
  'UpdateWorkitem',
  CaseIntent & {
    readonly workitemId: string;
    readonly state: 'started' | 'completed' | 'abandoned';
    readonly output?: JsonValue;
  }
>;
/** Without an `actor` (an executor, the system) no people rule applies. */
export type CompleteWorkitem = Command<
  'CompleteWorkitem',
  CaseIntent & { readonly workitemId: string; readonly output: JsonValue; readonly actor?: Actor }
>;
export type AbandonWorkitem = Command<
  'AbandonWorkitem',
  CaseIntent & { readonly workitemId: string; readonly actor?: Actor }
>;

export type ResolveIncident = Command<
  'ResolveIncident',
  CaseIntent & { readonly incidentId: string; readonly resolution: IncidentResolution }
>;

/** Sent by the timer scheduler when `timerId` is due; it has its effect only while the timer is pending. */
export type FireTimer = Command<'FireTimer', CaseIntent & { readonly timerId: string }>;
/**
 * An attempt of the workitem's executor failed. `attempt` is the number of the attempt that failed (the
 * workitem's failures so far plus one), so that a report repeated after a crash is refused.
 */
export type FailWorkitem = Command<
  'FailWorkitem',
  CaseIntent & { readonly workitemId: string; readonly attempt: number; readonly error: ExecutionError }
>;

export type ClaimWorkitem = Command<
  'ClaimWorkitem',
  CaseIntent & { readonly workitemId: string; readonly actor: Actor }
>;
export type ReleaseWorkitem = Command<
  'ReleaseWorkitem',
  CaseIntent & { readonly workitemId: string; readonly actor: Actor }
>;

export type CaseCommand =
  | CreateCase
  | TerminateCase
  | ReceiveTokens
  | DiscardTokens
  | PreexecuteTask
  | ForceAbandonTask
  | UpdateWorkitem
  | CompleteWorkitem
  | AbandonWorkitem
  | ResolveIncident
  | FireTimer
  | FailWorkitem
  | ClaimWorkitem
  | ReleaseWorkitem;
