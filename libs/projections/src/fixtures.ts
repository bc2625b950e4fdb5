import type {
  Actor,
  CaseCommand,
  CaseEvent,
  CaseState,
  Event,
  JsonValue,
  WorkflowDefinition,
  WorkflowEvent,
} from '@wfnet/domain';
import { decideCase, exampleNets, foldCase, initialCaseState, normalizeWorkflow } from '@wfnet/domain';
import type { ProjectedEvent } from './core/view.js';

// Hand-written histories for the views' tests: every case event type appears, in the order the case
// decider records them. Times are fixed strings, one minute per command.

export const at = (minute: number): string => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

/** Gives events the revisions of their stream and consecutive global positions from `firstPosition`. */
export function recordStream<E extends Event>(
  streamId: string,
  events: readonly E[],
  firstPosition = 1n,
  firstRevision = 0,
): ProjectedEvent<E>[] {
  return events.map((event, i) => ({
    ...event,
    streamId,
    revision: BigInt(firstRevision + i),
    position: firstPosition + BigInt(i),
    recordedAt: (event.data as { at?: string }).at ?? at(0),
  }));
}

export const approvalDefinition: WorkflowDefinition = {
  ...exampleNets.approvalNet(),
  name: 'Deferred choice',
  metadata: { team: 'finance' },
};

export const workflowHistory = (): WorkflowEvent[] => [
  { type: 'WorkflowCreated', data: { workflowId: 'approval', definition: approvalDefinition, at: at(0) } },
  { type: 'WorkflowDiscarded', data: { workflowId: 'approval', at: at(30) } },
];

const c1 = (n: 'token' | 'task' | 'workitem', i: number): string => `c1:${n}-${i}`;

/**
 * Case c1 of the approval net: submit completes; approve and reject compete for the submitted token;
 * reject locks it and approve gives it up; reject's workitem is abandoned (unlock, re-offer to two new
 * tasks); approve completes, reject is withdrawn; the token in end finishes the case.
 */
export function finishedCaseHistory(): CaseEvent[] {
  const base = { caseId: 'c1' };
  const payload: JsonValue = { amount: 5 };
  return [
    {
      type: 'CaseCreated',
      data: { ...base, workflowId: 'approval', definition: approvalDefinition, data: payload, at: at(1) },
    },
    {
      type: 'TokensIssued',
      data: {
        ...base,
        tokens: [{ id: c1('token', 1), placeId: 'start', payload, producedByTaskId: 'genesis' }],
        at: at(1),
      },
    },
    { type: 'CaseActivated', data: { ...base, at: at(1) } },
    { type: 'TaskStarted', data: { ...base, taskId: c1('task', 1), transitionId: 'submit', at: at(1) } },
    {
      type: 'TokensReceived',
      data: { ...base, taskId: c1('task', 1), tokenIds: [c1('token', 1)], at: at(1) },
    },
    {
      type: 'TaskAllocated',
      data: { ...base, taskId: c1('task', 1), workitemId: c1('workitem', 1), at: at(1) },
    },
    {
      type: 'WorkitemCreated',
      data: {
        ...base,
        workitemId: c1('workitem', 1),
        taskId: c1('task', 1),
        transitionId: 'submit',
        executor: 'auto',
        at: at(1),
      },
    },
    // 7: the auto executor completes submit
    { type: 'TokensLocked', data: { ...base, taskId: c1('task', 1), tokenIds: [c1('token', 1)], at: at(2) } },
    {
      type: 'WorkitemUpdated',
      data: {
        ...base,
        workitemId: c1('workitem', 1),
        taskId: c1('task', 1),
        state: 'completed',
        output: 'ok',
        at: at(2),
      },
    },
    {
      type: 'TokensConsumed',
      data: { ...base, taskId: c1('task', 1), tokenIds: [c1('token', 1)], at: at(2) },
    },
    {
      type: 'TaskCompleted',
      data: { ...base, taskId: c1('task', 1), tokenPayload: { [c1('workitem', 1)]: 'ok' }, at: at(2) },
    },
    {
      type: 'TokensIssued',
      data: {
        ...base,
        tokens: [
          {
            id: c1('token', 2),
            placeId: 'submitted',
            payload: { [c1('workitem', 1)]: 'ok' },
            producedByTaskId: c1('task', 1),
          },
        ],
        at: at(2),
      },
    },
    { type: 'TaskStarted', data: { ...base, taskId: c1('task', 2), transitionId: 'approve', at: at(2) } },
    {
      type: 'TokensReceived',
      data: { ...base, taskId: c1('task', 2), tokenIds: [c1('token', 2)], at: at(2) },
    },
    { type: 'TaskStarted', data: { ...base, taskId: c1('task', 3), transitionId: 'reject', at: at(2) } },
    {
      type: 'TokensReceived',
      data: { ...base, taskId: c1('task', 3), tokenIds: [c1('token', 2)], at: at(2) },
    },
    {
      type: 'TaskAllocated',
      data: { ...base, taskId: c1('task', 2), workitemId: c1('workitem', 2), at: at(2) },
    },
    {
      type: 'WorkitemCreated',
      data: {
        ...base,
        workitemId: c1('workitem', 2),
        taskId: c1('task', 2),
        transitionId: 'approve',
        executor: 'manual',
        at: at(2),
      },
    },
    {
      type: 'TaskAllocated',
      data: { ...base, taskId: c1('task', 3), workitemId: c1('workitem', 3), at: at(2) },
    },
    {
      type: 'WorkitemCreated',
      data: {
        ...base,
        workitemId: c1('workitem', 3),
        taskId: c1('task', 3),
        transitionId: 'reject',
        executor: 'manual',
        at: at(2),
      },
    },
    // 20: approve's workitem starts
    {
      type: 'WorkitemUpdated',
      data: {
        ...base,
        workitemId: c1('workitem', 2),
        taskId: c1('task', 2),
        state: 'started',
        output: null,
        at: at(3),
      },
    },
    // 21: reject preexecutes
    { type: 'TokensLocked', data: { ...base, taskId: c1('task', 3), tokenIds: [c1('token', 2)], at: at(4) } },
    // 22: approve gives up the token reject holds
    {
      type: 'TokensDiscarded',
      data: { ...base, taskId: c1('task', 2), tokenIds: [c1('token', 2)], at: at(5) },
    },
    {
      type: 'WorkitemUpdated',
      data: {
        ...base,
        workitemId: c1('workitem', 2),
        taskId: c1('task', 2),
        state: 'abandoned',
        output: null,
        at: at(5),
      },
    },
    {
      type: 'TaskAbandoned',
      data: { ...base, taskId: c1('task', 2), reason: 'tokens_withdrawn', at: at(5) },
    },
    // 25: reject's workitem is abandoned: its lock goes, the token is offered again
    {
      type: 'WorkitemUpdated',
      data: {
        ...base,
        workitemId: c1('workitem', 3),
        taskId: c1('task', 3),
        state: 'abandoned',
        output: null,
        at: at(6),
      },
    },
    {
      type: 'TokensUnlocked',
      data: { ...base, taskId: c1('task', 3), tokenIds: [c1('token', 2)], at: at(6) },
    },
    {
      type: 'TaskAbandoned',
      data: { ...base, taskId: c1('task', 3), reason: 'workitems_abandoned', at: at(6) },
    },
    { type: 'TaskStarted', data: { ...base, taskId: c1('task', 4), transitionId: 'approve', at: at(6) } },
    {
      type: 'TokensReceived',
      data: { ...base, taskId: c1('task', 4), tokenIds: [c1('token', 2)], at: at(6) },
    },
    { type: 'TaskStarted', data: { ...base, taskId: c1('task', 5), transitionId: 'reject', at: at(6) } },
    {
      type: 'TokensReceived',
      data: { ...base, taskId: c1('task', 5), tokenIds: [c1('token', 2)], at: at(6) },
    },
    {
      type: 'TaskAllocated',
      data: { ...base, taskId: c1('task', 4), workitemId: c1('workitem', 4), at: at(6) },
    },
    {
      type: 'WorkitemCreated',
      data: {
        ...base,
        workitemId: c1('workitem', 4),
        taskId: c1('task', 4),
        transitionId: 'approve',
        executor: 'manual',
        at: at(6),
      },
    },
    {
      type: 'TaskAllocated',
      data: { ...base, taskId: c1('task', 5), workitemId: c1('workitem', 5), at: at(6) },
    },
    {
      type: 'WorkitemCreated',
      data: {
        ...base,
        workitemId: c1('workitem', 5),
        taskId: c1('task', 5),
        transitionId: 'reject',
        executor: 'manual',
        at: at(6),
      },
    },
    // 36: approve completes without a preexecute: it locks first; reject is withdrawn; the case finishes
    { type: 'TokensLocked', data: { ...base, taskId: c1('task', 4), tokenIds: [c1('token', 2)], at: at(7) } },
    {
      type: 'WorkitemUpdated',
      data: {
        ...base,
        workitemId: c1('workitem', 4),
        taskId: c1('task', 4),
        state: 'completed',
        output: 'yes',
        at: at(7),
      },
    },
    {
      type: 'TokensConsumed',
      data: { ...base, taskId: c1('task', 4), tokenIds: [c1('token', 2)], at: at(7) },
    },
    {
      type: 'TokensDiscarded',
      data: { ...base, taskId: c1('task', 5), tokenIds: [c1('token', 2)], at: at(7) },
    },
    {
      type: 'WorkitemUpdated',
      data: {
        ...base,
        workitemId: c1('workitem', 5),
        taskId: c1('task', 5),
        state: 'abandoned',
        output: null,
        at: at(7),
      },
    },
    {
      type: 'TaskAbandoned',
      data: { ...base, taskId: c1('task', 5), reason: 'tokens_withdrawn', at: at(7) },
    },
    {
      type: 'TaskCompleted',
      data: { ...base, taskId: c1('task', 4), tokenPayload: { [c1('workitem', 4)]: 'yes' }, at: at(7) },
    },
    {
      type: 'TokensIssued',
      data: {
        ...base,
        tokens: [
          {
            id: c1('token', 3),
            placeId: 'end',
            payload: { [c1('workitem', 4)]: 'yes' },
            producedByTaskId: c1('task', 4),
          },
        ],
        at: at(7),
      },
    },
    {
      type: 'TokensConsumed',
      data: { ...base, taskId: 'termination', tokenIds: [c1('token', 3)], at: at(7) },
    },
    { type: 'CaseFinished', data: { ...base, at: at(7) } },
  ];
}

/** Case c2 of the approval net: submit locks its token, then the case is terminated. */
export function terminatedCaseHistory(): CaseEvent[] {
  const base = { caseId: 'c2' };
  return [
    {
      type: 'CaseCreated',
      data: { ...base, workflowId: 'approval', definition: approvalDefinition, data: null, at: at(10) },
    },
    {
      type: 'TokensIssued',
      data: {
        ...base,
        tokens: [{ id: 'c2:token-1', placeId: 'start', payload: null, producedByTaskId: 'genesis' }],
        at: at(10),
      },
    },
    { type: 'CaseActivated', data: { ...base, at: at(10) } },
    { type: 'TaskStarted', data: { ...base, taskId: 'c2:task-1', transitionId: 'submit', at: at(10) } },
    { type: 'TokensReceived', data: { ...base, taskId: 'c2:task-1', tokenIds: ['c2:token-1'], at: at(10) } },
    {
      type: 'TaskAllocated',
      data: { ...base, taskId: 'c2:task-1', workitemId: 'c2:workitem-1', at: at(10) },
    },
    {
      type: 'WorkitemCreated',
      data: {
        ...base,
        workitemId: 'c2:workitem-1',
        taskId: 'c2:task-1',
        transitionId: 'submit',
        executor: 'auto',
        at: at(10),
      },
    },
    { type: 'TokensLocked', data: { ...base, taskId: 'c2:task-1', tokenIds: ['c2:token-1'], at: at(11) } },
    // 8: termination abandons the work and leaves the lock as it is
    {
      type: 'WorkitemUpdated',
      data: {
        ...base,
        workitemId: 'c2:workitem-1',
        taskId: 'c2:task-1',
        state: 'abandoned',
        output: null,
        at: at(12),
      },
    },
    { type: 'TaskAbandoned', data: { ...base, taskId: 'c2:task-1', reason: 'case_ended', at: at(12) } },
    { type: 'CaseTerminated', data: { ...base, at: at(12) } },
  ];
}

/** A review net whose review decides on data: approved when the amount is large, else rejected (default). */
export const reviewDefinition: WorkflowDefinition = {
  id: 'review',
  name: 'Review',
  places: [
    { id: 'start', type: 'start' },
    { id: 'approved', type: 'normal' },
    { id: 'rejected', type: 'normal' },
    { id: 'end', type: 'end' },
  ],
  transitions: [
    { id: 'review', executor: 'manual', executorParams: {}, joinType: 'none', splitType: 'xor' },
    { id: 'pay', executor: 'webhook', executorParams: {}, joinType: 'none', splitType: 'none' },
    { id: 'archive', executor: 'auto', executorParams: {}, joinType: 'none', splitType: 'none' },
  ],
  arcs: [
    { from: 'start', to: 'review' },
    { from: 'review', to: 'approved', condition: 'case.amount > 100' },
    { from: 'review', to: 'rejected', default: true },
    { from: 'approved', to: 'pay' },
    { from: 'pay', to: 'end' },
    { from: 'rejected', to: 'archive' },
    { from: 'archive', to: 'end' },
  ],
  metadata: {},
};

const c3 = (n: 'token' | 'task' | 'workitem' | 'incident', i: number): string => `c3:${n}-${i}`;

/**
 * Case c3 of the review net, still running: review's condition fails on the case's data (an incident);
 * an operator routes it to approved; pay's executor then fails for good (a second incident, left open).
 */
export function incidentCaseHistory(): CaseEvent[] {
  const base = { caseId: 'c3' };
  const payload: JsonValue = { amount: 'lots' };
  return [
    {
      type: 'CaseCreated',
      data: { ...base, workflowId: 'review', definition: reviewDefinition, data: payload, at: at(20) },
    },
    {
      type: 'TokensIssued',
      data: {
        ...base,
        tokens: [{ id: c3('token', 1), placeId: 'start', payload, producedByTaskId: 'genesis' }],
        at: at(20),
      },
    },
    { type: 'CaseActivated', data: { ...base, at: at(20) } },
    { type: 'TaskStarted', data: { ...base, taskId: c3('task', 1), transitionId: 'review', at: at(20) } },
    {
      type: 'TokensReceived',
      data: { ...base, taskId: c3('task', 1), tokenIds: [c3('token', 1)], at: at(20) },
    },
    {
      type: 'TaskAllocated',
      data: { ...base, taskId: c3('task', 1), workitemId: c3('workitem', 1), at: at(20) },
    },
    {
      type: 'WorkitemCreated',
      data: {
        ...base,
        workitemId: c3('workitem', 1),
        taskId: c3('task', 1),
        transitionId: 'review',
        executor: 'manual',
        at: at(20),
      },
    },
    // 7: review's workitem completes; its condition cannot be evaluated, so nothing is consumed
    {
      type: 'TokensLocked',
      data: { ...base, taskId: c3('task', 1), tokenIds: [c3('token', 1)], at: at(21) },
    },
    {
      type: 'WorkitemUpdated',
      data: {
        ...base,
        workitemId: c3('workitem', 1),
        taskId: c3('task', 1),
        state: 'completed',
        output: 'checked',
        at: at(21),
      },
    },
    {
      type: 'IncidentRaised',
      data: {
        ...base,
        incidentId: c3('incident', 1),
        kind: 'condition_failed',
        taskId: c3('task', 1),
        workitemId: c3('workitem', 1),
        message: 'arc review → approved: case.amount > 100: no such overload: string > int',
        at: at(21),
      },
    },
    // 10: an operator routes the task to approved
    {
      type: 'IncidentResolved',
      data: {
        ...base,
        incidentId: c3('incident', 1),
        resolution: { action: 'route', placeIds: ['approved'] },
        at: at(22),
      },
    },
    {
      type: 'TokensConsumed',
      data: { ...base, taskId: c3('task', 1), tokenIds: [c3('token', 1)], at: at(22) },
    },
    {
      type: 'TaskCompleted',
      data: {
        ...base,
        taskId: c3('task', 1),
        tokenPayload: { [c3('workitem', 1)]: 'checked' },
        route: { placeIds: ['approved'], by: 'operator' },
        at: at(22),
      },
    },
    {
      type: 'TokensIssued',
      data: {
        ...base,
        tokens: [
          {
            id: c3('token', 2),
            placeId: 'approved',
            payload: { [c3('workitem', 1)]: 'checked' },
            producedByTaskId: c3('task', 1),
          },
        ],
        at: at(22),
      },
    },
    { type: 'TaskStarted', data: { ...base, taskId: c3('task', 2), transitionId: 'pay', at: at(22) } },
    {
      type: 'TokensReceived',
      data: { ...base, taskId: c3('task', 2), tokenIds: [c3('token', 2)], at: at(22) },
    },
    {
      type: 'TaskAllocated',
      data: { ...base, taskId: c3('task', 2), workitemId: c3('workitem', 2), at: at(22) },
    },
    {
      type: 'WorkitemCreated',
      data: {
        ...base,
        workitemId: c3('workitem', 2),
        taskId: c3('task', 2),
        transitionId: 'pay',
        executor: 'webhook',
        at: at(22),
      },
    },
    // 18: pay's executor fails for good
    {
      type: 'IncidentRaised',
      data: {
        ...base,
        incidentId: c3('incident', 2),
        kind: 'executor_failed',
        taskId: c3('task', 2),
        workitemId: c3('workitem', 2),
        message: 'webhook answered 400: unknown account',
        at: at(23),
      },
    },
  ];
}

/** A payment net whose one step calls a webhook: retried by its policy, bounded by a day, the case by 30 days. */
export const paymentDefinition: WorkflowDefinition = {
  id: 'payment',
  name: 'Payment',
  places: [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end' },
  ],
  transitions: [
    {
      id: 'pay',
      executor: 'webhook',
      executorParams: { url: 'http://payments.invalid/pay' },
      joinType: 'none',
      splitType: 'none',
      timeouts: { scheduleToClose: 'P1D' },
      retry: { initialInterval: 'PT1M', maximumAttempts: 3, nonRetryableErrorTypes: ['invalid_card'] },
    },
  ],
  arcs: [
    { from: 'start', to: 'pay' },
    { from: 'pay', to: 'end' },
  ],
  metadata: {},
  caseTimeout: 'P30D',
};

const c4 = (n: 'token' | 'task' | 'workitem' | 'incident' | 'timer', i: number): string => `c4:${n}-${i}`;

/**
 * Case c4 of the payment net, still running: its case timer is scheduled with it and pay's
 * `scheduleToClose` with pay's workitem; the first attempt fails (a retry timer, which fires), the second
 * fails with an error that is not retryable: an incident, and the workitem's timeout is cancelled with it.
 */
export function timerCaseHistory(): CaseEvent[] {
  const base = { caseId: 'c4' };
  const payload: JsonValue = { amount: 12 };
  return [
    {
      type: 'CaseCreated',
      data: { ...base, workflowId: 'payment', definition: paymentDefinition, data: payload, at: at(40) },
    },
    {
      type: 'TimerScheduled',
      data: {
        ...base,
        timerId: c4('timer', 1),
        kind: 'case',
        dueAt: '2026-01-31T00:40:00.000Z',
        taskId: null,
        workitemId: null,
        at: at(40),
      },
    },
    {
      type: 'TokensIssued',
      data: {
        ...base,
        tokens: [{ id: c4('token', 1), placeId: 'start', payload, producedByTaskId: 'genesis' }],
        at: at(40),
      },
    },
    { type: 'CaseActivated', data: { ...base, at: at(40) } },
    { type: 'TaskStarted', data: { ...base, taskId: c4('task', 1), transitionId: 'pay', at: at(40) } },
    {
      type: 'TokensReceived',
      data: { ...base, taskId: c4('task', 1), tokenIds: [c4('token', 1)], at: at(40) },
    },
    {
      type: 'TaskAllocated',
      data: { ...base, taskId: c4('task', 1), workitemId: c4('workitem', 1), at: at(40) },
    },
    {
      type: 'WorkitemCreated',
      data: {
        ...base,
        workitemId: c4('workitem', 1),
        taskId: c4('task', 1),
        transitionId: 'pay',
        executor: 'webhook',
        at: at(40),
      },
    },
    {
      type: 'TimerScheduled',
      data: {
        ...base,
        timerId: c4('timer', 2),
        kind: 'scheduleToClose',
        dueAt: '2026-01-02T00:40:00.000Z',
        taskId: c4('task', 1),
        workitemId: c4('workitem', 1),
        at: at(40),
      },
    },
    // 9: the first attempt fails; the next one waits a minute
    {
      type: 'WorkitemFailed',
      data: {
        ...base,
        taskId: c4('task', 1),
        workitemId: c4('workitem', 1),
        attempt: 1,
        error: { type: 'http_5xx', message: 'webhook answered 503', retryable: true },
        retryAt: at(42),
        at: at(41),
      },
    },
    {
      type: 'TimerScheduled',
      data: {
        ...base,
        timerId: c4('timer', 3),
        kind: 'retry',
        dueAt: at(42),
        taskId: c4('task', 1),
        workitemId: c4('workitem', 1),
        at: at(41),
      },
    },
    // 11: the retry timer fires
    {
      type: 'TimerFired',
      data: { ...base, timerId: c4('timer', 3), kind: 'retry', workitemId: c4('workitem', 1), at: at(42) },
    },
    // 12: the second attempt fails for good: an incident, and the workitem's timeout goes with it
    {
      type: 'WorkitemFailed',
      data: {
        ...base,
        taskId: c4('task', 1),
        workitemId: c4('workitem', 1),
        attempt: 2,
        error: { type: 'invalid_card', message: 'the card is not valid', retryable: true },
        retryAt: null,
        at: at(43),
      },
    },
    {
      type: 'IncidentRaised',
      data: {
        ...base,
        incidentId: c4('incident', 1),
        kind: 'executor_failed',
        taskId: c4('task', 1),
        workitemId: c4('workitem', 1),
        message: 'invalid_card: the card is not valid',
        at: at(43),
      },
    },
    { type: 'TimerCancelled', data: { ...base, timerId: c4('timer', 2), at: at(43) } },
  ];
}

/** Case c5 of the payment net: its `caseTimeout` runs out before pay's webhook answers. */
export function timedOutCaseHistory(): CaseEvent[] {
  const base = { caseId: 'c5' };
  const created = timerCaseHistory()
    .slice(0, 9)
    .map((event) => JSON.parse(JSON.stringify(event).replaceAll('c4', 'c5')) as CaseEvent);
  return [
    ...created,
    {
      type: 'TimerFired',
      data: { ...base, timerId: 'c5:timer-1', kind: 'case', workitemId: null, at: at(50) },
    },
    {
      type: 'WorkitemUpdated',
      data: {
        ...base,
        workitemId: 'c5:workitem-1',
        taskId: 'c5:task-1',
        state: 'abandoned',
        output: null,
        at: at(50),
      },
    },
    { type: 'TimerCancelled', data: { ...base, timerId: 'c5:timer-2', at: at(50) } },
    { type: 'TaskAbandoned', data: { ...base, taskId: 'c5:task-1', reason: 'case_ended', at: at(50) } },
    { type: 'CaseTerminated', data: { ...base, reason: 'timeout', at: at(50) } },
  ];
}

type DataOf<E extends Event, T extends E['type']> = Extract<E, { type: T }>['data'];

/** Which event of a type a test means: the fields its data holds (compared as JSON), or a test of its data. */
/** `submit` then `approve` (both manual); approve is for bob or the managers, never for who submitted. */
export const peopleDefinition: WorkflowDefinition = normalizeWorkflow({
  id: 'review-by-people',
  places: [{ id: 'start', type: 'start' }, { id: 'submitted' }, { id: 'end', type: 'end' }],
  transitions: [
    { id: 'submit', executor: 'manual' },
    {
      id: 'approve',
      executor: 'manual',
      assignment: { candidateUsers: ['bob'], candidateGroups: ['managers'] },
      separateFrom: ['submit'],
    },
  ],
  arcs: [
    { from: 'start', to: 'submit' },
    { from: 'submit', to: 'submitted' },
    { from: 'submitted', to: 'approve' },
    { from: 'approve', to: 'end' },
  ],
});

const c6 = (n: 'workitem', i: number): string => `c6:${n}-${i}`;

/**
 * Case c6 of the people net, as the case decider records it: ann claims and completes submit; bob claims
 * approve, the admin root takes it over (bob's claim released with an override) and releases it, then
 * completes it though not a candidate (an override); the case finishes.
 */
export function peopleCaseHistory(): CaseEvent[] {
  const ann: Actor = { user: 'ann', groups: ['staff'], admin: false };
  const bob: Actor = { user: 'bob', groups: [], admin: false };
  const root: Actor = { user: 'root', groups: [], admin: true };
  const caseId = 'c6';
  const commands: CaseCommand[] = [
    {
      type: 'CreateCase',
      data: { caseId, workflow: { definition: peopleDefinition, state: 'active' }, data: {}, at: at(40) },
    },
    { type: 'ClaimWorkitem', data: { caseId, workitemId: c6('workitem', 1), actor: ann, at: at(41) } },
    {
      type: 'CompleteWorkitem',
      data: { caseId, workitemId: c6('workitem', 1), output: 'sent', actor: ann, at: at(42) },
    },
    { type: 'ClaimWorkitem', data: { caseId, workitemId: c6('workitem', 2), actor: bob, at: at(43) } },
    { type: 'ClaimWorkitem', data: { caseId, workitemId: c6('workitem', 2), actor: root, at: at(44) } },
    { type: 'ReleaseWorkitem', data: { caseId, workitemId: c6('workitem', 2), actor: root, at: at(45) } },
    {
      type: 'CompleteWorkitem',
      data: { caseId, workitemId: c6('workitem', 2), output: 'approved', actor: root, at: at(46) },
    },
  ];
  const history: CaseEvent[] = [];
  let state: CaseState = initialCaseState();
  for (const command of commands) {
    const events = decideCase(command, state);
    state = foldCase(state, events);
    history.push(...events);
  }
  return history;
}

export type EventMatch<E extends Event, T extends E['type']> =
  Partial<DataOf<E, T>> | ((data: DataOf<E, T>) => boolean);

function holds<D>(data: D, match: Partial<D> | ((data: D) => boolean)): boolean {
  if (typeof match === 'function') return match(data);
  return Object.entries(match).every(
    ([field, value]) => JSON.stringify((data as Record<string, unknown>)[field]) === JSON.stringify(value),
  );
}

/** Where the first event of `type` that `match` picks stands in `history`; a history without one is a broken test. */
export function indexOfFirst<E extends Event, T extends E['type']>(
  history: readonly E[],
  type: T,
  match: EventMatch<E, T> = {},
): number {
  const index = history.findIndex((event) => event.type === type && holds(event.data as DataOf<E, T>, match));
  if (index < 0) throw new Error(`the history holds no ${type} matching ${String(JSON.stringify(match))}`);
  return index;
}

/** The history up to and including the first event of `type` that `match` picks: that event is the "when". */
export function through<E extends Event, T extends E['type']>(
  history: readonly E[],
  type: T,
  match: EventMatch<E, T> = {},
): E[] {
  return history.slice(0, indexOfFirst(history, type, match) + 1);
}

/** The history before the first event of `type` that `match` picks: what is given when it happens. */
export function before<E extends Event, T extends E['type']>(
  history: readonly E[],
  type: T,
  match: EventMatch<E, T> = {},
): E[] {
  return history.slice(0, indexOfFirst(history, type, match));
}

/** Picks the TokensIssued that issues `tokenId`. */
export const issuing =
  (tokenId: string) =>
  (data: { readonly tokens: readonly { readonly id: string }[] }): boolean =>
    data.tokens.some((token) => token.id === tokenId);

/** Every history above as one store would record it: workflow first, then c1 to c6. */
export function sampleEvents(): ProjectedEvent[] {
  const [created, discarded] = workflowHistory() as [WorkflowEvent, WorkflowEvent];
  const cases: ProjectedEvent[] = [];
  const histories: [string, CaseEvent[]][] = [
    ['case-c1', finishedCaseHistory()],
    ['case-c2', terminatedCaseHistory()],
    ['case-c3', incidentCaseHistory()],
    ['case-c4', timerCaseHistory()],
    ['case-c5', timedOutCaseHistory()],
    ['case-c6', peopleCaseHistory()],
  ];
  for (const [streamId, history] of histories) {
    cases.push(...(recordStream(streamId, history, 2n + BigInt(cases.length)) as ProjectedEvent[]));
  }
  return [
    ...recordStream('workflow-approval', [created], 1n),
    ...cases,
    ...recordStream('workflow-approval', [discarded], 2n + BigInt(cases.length), 1),
  ] as ProjectedEvent[];
}
