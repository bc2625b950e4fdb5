import { expect } from '@jest/globals';
import type { Client } from './client.js';
import type { NetBody } from './nets.js';
import { until } from './poll.js';

// The contract's representations, as the tests read them.

export interface Workflow {
  readonly id: string;
  readonly name: string;
  readonly state: 'active' | 'discarded';
  readonly places: readonly { id: string; type: string }[];
  readonly transitions: readonly {
    id: string;
    executor: string;
    executorParams: Record<string, unknown>;
    joinType: string;
    splitType: string;
  }[];
  readonly arcs: readonly { from: string; to: string }[];
  readonly createdAt: string;
  readonly position: string;
}

export interface Case {
  readonly id: string;
  readonly workflowId: string;
  readonly state: 'created' | 'active' | 'finished' | 'terminated';
  readonly marking: Readonly<Record<string, number>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly openIncidents: number;
  readonly position: string;
}

export interface Token {
  readonly id: string;
  readonly placeId: string;
  readonly state: 'free' | 'locked' | 'consumed';
  readonly payload: unknown;
  readonly producedByTaskId: string;
  readonly lockedByTaskId: string | null;
  readonly consumedByTaskId: string | null;
}

export interface TaskSummary {
  readonly id: string;
  readonly transitionId: string;
  readonly state: 'started' | 'allocated' | 'executing' | 'completed' | 'abandoned';
  readonly tokenPayload: unknown;
}

export interface Task {
  readonly id: string;
  readonly caseId: string;
  readonly transitionId: string;
  readonly state: TaskSummary['state'];
  readonly tokens: readonly { tokenId: string; placeId: string; state: string }[];
  readonly workitems: readonly { workitemId: string; state: string }[];
}

export interface Workitem {
  readonly id: string;
  readonly caseId: string;
  readonly taskId: string;
  readonly transitionId: string;
  readonly executor: string;
  readonly state: 'created' | 'started' | 'completed' | 'abandoned';
  readonly output: unknown;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

export interface HistoryEvent {
  readonly revision: string;
  readonly position: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly recordedAt: string;
}

/** Every command response carries the position of its last event as a decimal string. */
export const POSITION = /^(0|[1-9][0-9]*)$/;

let sequence = 0;
/** A case id no other test of the process uses. */
export function freshId(prefix: string): string {
  sequence += 1;
  return `${prefix}-${process.pid}-${sequence}`;
}

/** Defines a workflow (201, or 200 when it is already there with the same body). */
export async function defineWorkflow(api: Client, net: NetBody): Promise<Workflow> {
  const reply = await api.post<Workflow>('/workflows', net);
  expect([200, 201]).toContain(reply.status);
  return reply.body;
}

export async function createCase(api: Client, workflowId: string, data: unknown = {}): Promise<Case> {
  const reply = await api.post<Case>('/cases', { workflowId, id: freshId(workflowId), data });
  expect(reply.status).toBe(201);
  return reply.body;
}

/** Reads a case until `accept` holds for it; a 404 while the read models catch up is read again. */
export async function caseWhen(api: Client, caseId: string, accept: (c: Case) => boolean): Promise<Case> {
  const reply = await until(
    () => api.get<Case>(`/cases/${caseId}`),
    (r) => r.status === 200 && accept(r.body),
  );
  return reply.body;
}

/** The case's workitems, waiting until `accept` holds for the list. */
export function workitemsWhen(
  api: Client,
  caseId: string,
  accept: (items: readonly Workitem[]) => boolean,
): Promise<readonly Workitem[]> {
  return until(async () => {
    const reply = await api.get<Page<Workitem>>(`/cases/${caseId}/workitems`);
    // 404 until the read models have the case.
    return reply.status === 200 ? reply.body.items : [];
  }, accept);
}

/** The one workitem of `transitionId` in the given state, once it is there. */
export async function workitemOf(
  api: Client,
  caseId: string,
  transitionId: string,
  state: Workitem['state'] = 'started',
): Promise<Workitem> {
  const items = await workitemsWhen(api, caseId, (list) =>
    list.some((w) => w.transitionId === transitionId && w.state === state),
  );
  return items.find((w) => w.transitionId === transitionId && w.state === state)!;
}

export async function tasksOf(
  api: Client,
  caseId: string,
  waitFor?: string,
): Promise<readonly TaskSummary[]> {
  const query = waitFor === undefined ? '' : `?waitFor=${waitFor}`;
  const reply = await api.get<TaskSummary[]>(`/cases/${caseId}/tasks${query}`);
  expect(reply.status).toBe(200);
  return reply.body;
}

export async function tokensOf(api: Client, caseId: string, waitFor?: string): Promise<readonly Token[]> {
  const query = waitFor === undefined ? '' : `?waitFor=${waitFor}`;
  const reply = await api.get<Token[]>(`/cases/${caseId}/tokens${query}`);
  expect(reply.status).toBe(200);
  return reply.body;
}

export async function historyOf(api: Client, caseId: string): Promise<readonly HistoryEvent[]> {
  const reply = await api.get<HistoryEvent[]>(`/cases/${caseId}/events`);
  expect(reply.status).toBe(200);
  return reply.body;
}
