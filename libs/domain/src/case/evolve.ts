import type { CaseCreated, CaseEvent } from './events.js';
import { isLive } from '../task/task.js';
import type {
  CaseCounts,
  CaseData,
  CaseState,
  CaseStatus,
  Incident,
  Task,
  Timer,
  Token,
  Workitem,
  WorkitemAttempts,
} from './state.js';

/** The state being built inside one fold or one decision; never visible outside this module's callers. */
export interface CaseDraft {
  status: CaseStatus;
  readonly caseId: string;
  readonly workflowId: string;
  readonly definition: CaseData['definition'];
  readonly data: CaseData['data'];
  readonly tokens: Map<string, Token>;
  readonly tasks: Map<string, Task>;
  readonly workitems: Map<string, Workitem>;
  readonly incidents: Map<string, Incident>;
  readonly timers: Map<string, Timer>;
  readonly attempts: Map<string, WorkitemAttempts>;
  readonly completedBy: Map<string, readonly string[]>;
  readonly liveTaskOf: Map<string, string>;
  readonly counts: { -readonly [K in keyof CaseCounts]: CaseCounts[K] };
  readonly createdAt: string;
  updatedAt: string;
}

export const initialCaseState = (): CaseState => ({ status: 'none' });

/** A private copy to apply events to: the maps are copied, their (immutable) entries shared. */
export function draftOf(state: CaseData): CaseDraft {
  return {
    ...state,
    tokens: new Map(state.tokens),
    tasks: new Map(state.tasks),
    workitems: new Map(state.workitems),
    incidents: new Map(state.incidents),
    timers: new Map(state.timers),
    attempts: new Map(state.attempts),
    completedBy: new Map(state.completedBy),
    liveTaskOf: new Map(state.liveTaskOf),
    counts: { ...state.counts },
  };
}

export function draftFromCreation({ data }: CaseCreated): CaseDraft {
  return {
    status: 'created',
    caseId: data.caseId,
    workflowId: data.workflowId,
    definition: data.definition,
    data: data.data,
    tokens: new Map(),
    tasks: new Map(),
    workitems: new Map(),
    incidents: new Map(),
    timers: new Map(),
    attempts: new Map(),
    completedBy: new Map(),
    liveTaskOf: new Map(),
    counts: { tokens: 0, tasks: 0, workitems: 0, incidents: 0, timers: 0 },
    createdAt: data.at,
    updatedAt: data.at,
  };
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`case stream refers to unknown ${what}`);
  return value;
}

// Helpers of `applyEvent` at module level rather than closures over the draft: a closure each per event
// was a good part of a fold's garbage.
const taskOf = (draft: CaseDraft, id: string): Task => must(draft.tasks.get(id), `task ${id}`);

function setTask(draft: CaseDraft, id: string, change: Partial<Task>): void {
  draft.tasks.set(id, { ...taskOf(draft, id), ...change });
}

function setTokens(draft: CaseDraft, ids: readonly string[], change: Partial<Token>): void {
  for (const id of ids) draft.tokens.set(id, { ...must(draft.tokens.get(id), `token ${id}`), ...change });
}

function endTask(draft: CaseDraft, id: string, change: Partial<Task>): void {
  const ended = taskOf(draft, id);
  setTask(draft, id, change);
  if (draft.liveTaskOf.get(ended.transitionId) === id) draft.liveTaskOf.delete(ended.transitionId);
}

/** Applies one event to a draft in place. Only for drafts this module's callers own. */
export function applyEvent(draft: CaseDraft, event: CaseEvent): void {
  draft.updatedAt = event.data.at;
  switch (event.type) {
    case 'CaseCreated':
      throw new Error(`case ${draft.caseId} is created twice in its stream`);
    case 'CaseActivated':
      draft.status = 'active';
      return;
    case 'TokensIssued':
      for (const issued of event.data.tokens) {
        draft.tokens.set(issued.id, {
          ...issued,
          state: 'free',
          lockedByTaskId: null,
          consumedByTaskId: null,
        });
      }
      draft.counts.tokens += event.data.tokens.length;
      return;
    case 'TaskStarted':
      draft.tasks.set(event.data.taskId, {
        id: event.data.taskId,
        transitionId: event.data.transitionId,
        state: 'started',
        offered: [],
        locked: [],
        workitemIds: [],
        tokenPayload: null,
        abandonReason: null,
      });
      draft.liveTaskOf.set(event.data.transitionId, event.data.taskId);
      draft.counts.tasks += 1;
      return;
    case 'TokensReceived':
      setTask(draft, event.data.taskId, {
        offered: [...taskOf(draft, event.data.taskId).offered, ...event.data.tokenIds],
      });
      return;
    case 'TaskAllocated':
      setTask(draft, event.data.taskId, {
        state: 'allocated',
        workitemIds: [...taskOf(draft, event.data.taskId).workitemIds, event.data.workitemId],
      });
      return;
    case 'WorkitemCreated':
      draft.workitems.set(event.data.workitemId, {
        id: event.data.workitemId,
        taskId: event.data.taskId,
        transitionId: event.data.transitionId,
        executor: event.data.executor,
        state: 'created',
        output: null,
        ...(event.data.assignment && { assignment: event.data.assignment }),
      });
      draft.counts.workitems += 1;
      return;
    case 'TokensLocked':
      setTokens(draft, event.data.tokenIds, { state: 'locked', lockedByTaskId: event.data.taskId });
      setTask(draft, event.data.taskId, {
        state: 'executing',
        locked: [...taskOf(draft, event.data.taskId).locked, ...event.data.tokenIds],
      });
      return;
    case 'WorkitemUpdated': {
      const { state, output, by } = event.data;
      const { claimedBy, ...workitem } = must(
        draft.workitems.get(event.data.workitemId),
        `workitem ${event.data.workitemId}`,
      );
      // An ended workitem loses its claim.
      const claim = state === 'started' && claimedBy !== undefined ? { claimedBy } : {};
      draft.workitems.set(workitem.id, { ...workitem, state, output, ...claim });
      if (state === 'completed' && by !== undefined) {
        const users = draft.completedBy.get(workitem.transitionId) ?? [];
        if (!users.includes(by)) draft.completedBy.set(workitem.transitionId, [...users, by]);
      }
      return;
    }
    case 'WorkitemClaimed': {
      const workitem = must(draft.workitems.get(event.data.workitemId), `workitem ${event.data.workitemId}`);
      draft.workitems.set(workitem.id, { ...workitem, claimedBy: event.data.by });
      return;
    }
    case 'WorkitemReleased': {
      const { claimedBy: _, ...workitem } = must(
        draft.workitems.get(event.data.workitemId),
        `workitem ${event.data.workitemId}`,
      );
      draft.workitems.set(workitem.id, workitem);
      return;
    }
    case 'TokensConsumed':
      setTokens(draft, event.data.tokenIds, { state: 'consumed', consumedByTaskId: event.data.taskId });
      return;
    case 'TokensDiscarded': {
      const discarded = new Set(event.data.tokenIds);
      setTask(draft, event.data.taskId, {
        offered: taskOf(draft, event.data.taskId).offered.filter((id) => !discarded.has(id)),
      });
      return;
    }
    case 'TokensUnlocked': {
      const unlocked = new Set(event.data.tokenIds);
      setTokens(draft, event.data.tokenIds, { state: 'free', lockedByTaskId: null });
      setTask(draft, event.data.taskId, {
        locked: taskOf(draft, event.data.taskId).locked.filter((id) => !unlocked.has(id)),
      });
      return;
    }
    case 'TaskCompleted':
      endTask(draft, event.data.taskId, { state: 'completed', tokenPayload: event.data.tokenPayload });
      return;
    case 'TaskAbandoned':
      endTask(draft, event.data.taskId, { state: 'abandoned', abandonReason: event.data.reason });
      return;
    case 'IncidentRaised': {
      const { incidentId, kind, taskId, workitemId, message, at } = event.data;
      draft.incidents.set(incidentId, { id: incidentId, kind, taskId, workitemId, message, createdAt: at });
      draft.counts.incidents += 1;
      return;
    }
    case 'IncidentResolved':
      draft.incidents.delete(event.data.incidentId);
      return;
    case 'TimerScheduled': {
      const { timerId, kind, dueAt, taskId, workitemId } = event.data;
      draft.timers.set(timerId, { id: timerId, kind, dueAt, taskId, workitemId });
      draft.counts.timers += 1;
      return;
    }
    case 'TimerFired':
    case 'TimerCancelled':
      draft.timers.delete(event.data.timerId);
      return;
    case 'WorkitemFailed': {
      const { workitemId, attempt, error, retryAt } = event.data;
      draft.attempts.set(workitemId, { attempts: attempt, lastError: error, retryAt });
      return;
    }
    case 'CaseFinished':
      draft.status = 'finished';
      return;
    case 'CaseTerminated':
      draft.status = 'terminated';
      return;
    default: {
      const unknown: never = event;
      throw new Error(`unknown case event ${(unknown as { type: string }).type}`);
    }
  }
}

/** Takes out of a draft what has ended: consumed tokens, ended tasks and their workitems. */
function pruneEnded(draft: CaseDraft): void {
  for (const [id, token] of draft.tokens) if (token.state === 'consumed') draft.tokens.delete(id);
  for (const [id, task] of draft.tasks) {
    if (isLive(task)) continue;
    draft.tasks.delete(id);
    for (const workitemId of task.workitemIds) {
      draft.workitems.delete(workitemId);
      draft.attempts.delete(workitemId);
    }
  }
}

function applyAll(state: CaseState, events: readonly CaseEvent[]): CaseDraft {
  let draft: CaseDraft;
  let rest = events;
  if (state.status === 'none') {
    const [first, ...others] = events;
    if (first?.type !== 'CaseCreated')
      throw new Error(`a case stream must start with CaseCreated, not ${first?.type}`);
    draft = draftFromCreation(first);
    rest = others;
  } else {
    draft = draftOf(state);
  }
  for (const event of rest) applyEvent(draft, event);
  return draft;
}

/** Ends a fold on a draft that only its caller holds: what has ended goes, and the draft is the state. */
export function endFold(draft: CaseDraft): CaseState {
  pruneEnded(draft);
  return draft;
}

export function foldCase(state: CaseState, events: readonly CaseEvent[]): CaseState {
  return events.length === 0 ? state : endFold(applyAll(state, events));
}

/**
 * `foldCase` that keeps the tokens, tasks and workitems the events end: what a command ended, for its
 * answer, or the whole past of a case from its first event. Never decide on it: counts, not the maps,
 * say what a case has made.
 */
export function foldCaseWithEnded(state: CaseState, events: readonly CaseEvent[]): CaseState {
  return events.length === 0 ? state : applyAll(state, events);
}

export const evolveCase = (state: CaseState, event: CaseEvent): CaseState => foldCase(state, [event]);
