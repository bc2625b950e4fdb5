import type { IllegalStateCode } from '../core/errors.js';
import { IllegalStateError, NotFoundError, NotPermittedError, ValidationError } from '../core/errors.js';
import type { JsonValue } from '../core/message.js';
import type { Timeouts, Transition } from '../net/definition.js';
import type { ConditionLanguage, ConditionScope } from '../net/conditions.js';
import type { Timing } from '../net/timing.js';
import { retryPolicyOf, TIMER_EXECUTOR } from '../net/timing.js';
import { splitKinds } from '../net/kinds.js';
import type { Net } from '../net/net.js';
import { netOf, splitOutputs } from '../net/net.js';
import { controlPayload } from '../net/or-blocks.js';
import { defaultTokenPayload } from '../executor/executor.js';
import type { ExecutionRequest, ExecutionResult } from '../executor/executor.js';
import { canAllocate, selectTokensToLock, settledOutcome } from '../task/task.js';
import { canMoveTo, isOpen } from '../workitem/workitem.js';
import type {
  Actor,
  CaseCommand,
  ClaimWorkitem,
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
} from './commands.js';
import type {
  AbandonReason,
  CaseEvent,
  ExecutionError,
  IncidentKind,
  OverriddenRule,
  Route,
  TimerKind,
  WorkitemAssignment,
  WorkitemUpdated,
} from './events.js';
import { GENESIS, TERMINATION } from './events.js';
import type { CaseDraft } from './evolve.js';
import { applyEvent, draftFromCreation, draftOf, endFold, foldCase } from './evolve.js';
import type { CaseEntity } from './ids.js';
import { entityId, hasMade } from './ids.js';
import type { CaseData, CaseState, Incident, Task, Timer, Token, Workitem } from './state.js';
import { nextAttemptOf } from './state.js';
import type { Due } from './timers.js';
import { dueAfter, dueAtExpression, hasLiveOwner, isDue, nextAttempt, PER_ATTEMPT } from './timers.js';

export interface CaseDeciderOptions {
  /** The payload of the tokens a completed task issues (an executor's `buildTokenPayload` hook). */
  readonly buildTokenPayload?: (transition: Transition, workitems: readonly Workitem[]) => JsonValue;
  /**
   * An executor's answer known without running anything (its `immediate` hook), recorded in the same
   * decision that created the workitem instead of coming back later as an `UpdateWorkitem`;
   * undefined leaves the workitem to its executor.
   */
  readonly immediateAnswer?: (
    request: ExecutionRequest,
    transition: Transition,
  ) => ExecutionResult | undefined;
  /**
   * Evaluates the conditions of a split that decides when its task completes. Without it such a task
   * raises a `condition_failed` incident instead of completing.
   */
  readonly conditions?: ConditionLanguage;
  /** Durations and timestamps for timers, timeouts and retries. */
  readonly timing?: Timing;
}

/**
 * Immediate answers one decision records at most: a loop of such steps goes on in later commands
 * (the dispatcher answers the workitems left `created`), so a decision always ends.
 */
export const MAX_IMMEDIATE_ANSWERS = 100;

/** One decision in progress: events are applied to a private draft as they are recorded. */
interface Decision {
  readonly draft: CaseDraft;
  readonly net: Net;
  readonly at: string;
  readonly events: CaseEvent[];
  readonly options: CaseDeciderOptions;
  immediateAnswers: number;
}

function record(decision: Decision, event: CaseEvent): void {
  decision.events.push(event);
  applyEvent(decision.draft, event);
}

/**
 * The draft of each decision, by the array of events the decision returns: `decideCaseAndFold` takes the
 * state after a command from it. Weak, so that a decision nobody asks about leaves nothing behind.
 */
const draftsByEvents = new WeakMap<readonly CaseEvent[], CaseDraft>();

function decisionOf(
  draft: CaseDraft,
  at: string,
  events: CaseEvent[],
  options: CaseDeciderOptions,
): Decision {
  draftsByEvents.set(events, draft);
  return { draft, net: netOf(draft.definition), at, events, options, immediateAnswers: 0 };
}

function begin(state: CaseData, at: string, options: CaseDeciderOptions): Decision {
  return decisionOf(draftOf(state), at, [], options);
}

/**
 * The case a command addresses. The order of the refusals that follow: an id the case never made names
 * nothing (not found) whatever the case's state; then a task or workitem that has ended says so, so that a
 * client retrying a command learns it is done rather than that the case has ended since; only then does
 * the case's own state refuse. Commands that act on the case's tokens (terminate, preexecute) meet the
 * case's state before the task's.
 */
function requireCase(state: CaseState, caseId: string): CaseData {
  if (state.status === 'none') throw new NotFoundError('case', caseId);
  return state;
}

function requireActive(state: CaseData): CaseData {
  if (state.status !== 'active') {
    throw new IllegalStateError('case_not_available', `case ${state.caseId} is ${state.status}`);
  }
  return state;
}

function requireMade(state: CaseData, entity: CaseEntity, id: string): void {
  if (!hasMade(state, entity, id)) throw new NotFoundError(entity, id);
}

const tokenOf =
  (draft: CaseDraft) =>
  (id: string): Token => {
    const token = draft.tokens.get(id);
    if (token) return token;
    if (hasMade(draft, 'token', id))
      throw new IllegalStateError('tokens_not_available', `token ${id} is consumed`);
    throw new NotFoundError('token', id);
  };

/** A task of the state; one that has ended answers `ifEnded` (the code its command gives then). */
function requireTask(
  state: Pick<CaseData, 'caseId' | 'counts' | 'tasks'>,
  taskId: string,
  ifEnded: IllegalStateCode = 'task_not_available',
): Task {
  const task = state.tasks.get(taskId);
  if (task) return task;
  if (hasMade(state, 'task', taskId)) throw new IllegalStateError(ifEnded, `task ${taskId} has ended`);
  throw new NotFoundError('task', taskId);
}

function requireOpenWorkitem(
  state: Pick<CaseData, 'caseId' | 'counts' | 'workitems'>,
  workitemId: string,
): Workitem {
  const workitem = state.workitems.get(workitemId);
  if (!workitem) {
    if (hasMade(state, 'workitem', workitemId))
      throw new IllegalStateError('workitem_not_available', `workitem ${workitemId} has ended`);
    throw new NotFoundError('workitem', workitemId);
  }
  if (!isOpen(workitem)) {
    throw new IllegalStateError(
      'workitem_not_available',
      `workitem ${workitemId} is already ${workitem.state}`,
    );
  }
  return workitem;
}

const liveTasks = (draft: CaseDraft): Task[] =>
  [...draft.liveTaskOf.values()].map((id) => requireTask(draft, id));

// ---- the steps of the token game ----

function lockTokens(decision: Decision, task: Task): void {
  if (task.state === 'executing') return;
  const selection = selectTokensToLock(decision.net, task, tokenOf(decision.draft));
  if (!selection.ok) throw new IllegalStateError(selection.code, selection.message);
  record(decision, {
    type: 'TokensLocked',
    data: { caseId: decision.draft.caseId, taskId: task.id, tokenIds: selection.tokenIds, at: decision.at },
  });
}

/** What `WorkitemUpdated` says besides the new state when it abandons the workitem (see the event). */
const abandonment = (workitem: Workitem, to: WorkitemUpdated['data']['state']) =>
  to === 'abandoned' ? { transitionId: workitem.transitionId, executor: workitem.executor } : {};

/** Who moved a workitem through the API, and the people rules an admin set aside to do it. */
interface Person {
  readonly by: string;
  readonly override: readonly OverriddenRule[];
}

/** Records a workitem's new state; one that starts has its attempt bounded by `startToClose`. */
function updateWorkitemState(
  decision: Decision,
  workitem: Workitem,
  to: WorkitemUpdated['data']['state'],
  output: JsonValue,
  person?: Person,
): void {
  record(decision, {
    type: 'WorkitemUpdated',
    data: {
      caseId: decision.draft.caseId,
      workitemId: workitem.id,
      taskId: workitem.taskId,
      state: to,
      output: to === 'completed' ? output : null,
      ...abandonment(workitem, to),
      ...(person && { by: person.by }),
      ...(person && person.override.length > 0 && { override: person.override }),
      at: decision.at,
    },
  });
  if (to === 'started')
    scheduleTimeouts(decision, requireWorkitem(decision.draft, workitem.id), ['startToClose']);
}

const requireWorkitem = (draft: CaseDraft, workitemId: string): Workitem => {
  const workitem = draft.workitems.get(workitemId);
  if (!workitem) throw new Error(`workitem ${workitemId} is not in case ${draft.caseId}`);
  return workitem;
};

/** Abandons a live task: its open workitems first, then (unless the case is being terminated) its locks. */
function abandonTask(decision: Decision, task: Task, reason: AbandonReason, unlock = true): void {
  const { caseId } = decision.draft;
  // No incident outlives its task.
  for (const incident of openIncidentsOf(decision.draft, task.id)) {
    record(decision, {
      type: 'IncidentResolved',
      data: { caseId, incidentId: incident.id, resolution: { action: 'abandon' }, at: decision.at },
    });
  }
  for (const workitemId of task.workitemIds) {
    const workitem = decision.draft.workitems.get(workitemId);
    if (workitem && isOpen(workitem)) {
      record(decision, {
        type: 'WorkitemUpdated',
        data: {
          caseId,
          workitemId,
          taskId: task.id,
          state: 'abandoned',
          output: null,
          ...abandonment(workitem, 'abandoned'),
          at: decision.at,
        },
      });
    }
  }
  const { locked } = requireTask(decision.draft, task.id);
  if (unlock && locked.length > 0) {
    record(decision, {
      type: 'TokensUnlocked',
      data: { caseId, taskId: task.id, tokenIds: locked, at: decision.at },
    });
  }
  record(decision, { type: 'TaskAbandoned', data: { caseId, taskId: task.id, reason, at: decision.at } });
}

const openIncidentsOf = (state: Pick<CaseData, 'incidents'>, taskId: string): Incident[] =>
  [...state.incidents.values()].filter((incident) => incident.taskId === taskId);

function raiseIncident(
  decision: Decision,
  task: Task,
  kind: IncidentKind,
  workitemId: string | null,
  message: string,
): void {
  const { caseId, counts } = decision.draft;
  record(decision, {
    type: 'IncidentRaised',
    data: {
      caseId,
      taskId: task.id,
      incidentId: entityId(caseId, 'incident', counts.incidents + 1),
      kind,
      workitemId,
      message,
      at: decision.at,
    },
  });
}

// ---- timers ----

function scheduleTimer(decision: Decision, kind: TimerKind, dueAt: string, workitem: Workitem | null): void {
  const { caseId, counts } = decision.draft;
  record(decision, {
    type: 'TimerScheduled',
    data: {
      caseId,
      timerId: entityId(caseId, 'timer', counts.timers + 1),
      kind,
      dueAt,
      taskId: workitem?.taskId ?? null,
      workitemId: workitem?.id ?? null,
      at: decision.at,
    },
  });
}

function cancelTimer(decision: Decision, timer: Timer): void {
  record(decision, {
    type: 'TimerCancelled',
    data: { caseId: decision.draft.caseId, timerId: timer.id, at: decision.at },
  });
}

const pendingTimersOf = (state: Pick<CaseData, 'timers'>, workitemId: string): Timer[] =>
  [...state.timers.values()].filter((timer) => timer.workitemId === workitemId);

const pendingTimerOf = (
  state: Pick<CaseData, 'timers'>,
  workitemId: string,
  kind: TimerKind,
): Timer | undefined => pendingTimersOf(state, workitemId).find((timer) => timer.kind === kind);

/** The cancel rule, read as an invariant (see `hasLiveOwner`): no pending timer outlives its owner. */
function cancelOrphanedTimers(decision: Decision): boolean {
  let cancelled = false;
  for (const timer of [...decision.draft.timers.values()]) {
    if (hasLiveOwner(decision.draft, timer)) continue;
    cancelTimer(decision, timer);
    cancelled = true;
  }
  return cancelled;
}

/**
 * Schedules the timeouts of the given kinds that the workitem's transition sets and that are not pending
 * already; one that bounds an attempt waits while a retry is pending (the retry's firing schedules it). A
 * timeout that cannot be scheduled raises a `timeout` incident rather than leaving the workitem unbounded.
 */
function scheduleTimeouts(decision: Decision, workitem: Workitem, kinds: readonly (keyof Timeouts)[]): void {
  const { draft, net, at, options } = decision;
  if (openIncidentsOf(draft, workitem.taskId).length > 0) return;
  const transition = net.transition(workitem.transitionId);
  const retrying = pendingTimerOf(draft, workitem.id, 'retry') !== undefined;
  for (const kind of kinds) {
    const duration = transition.timeouts?.[kind];
    if (duration === undefined || pendingTimerOf(draft, workitem.id, kind)) continue;
    if (retrying && PER_ATTEMPT.has(kind)) continue;
    const due = dueAfter(options.timing, at, duration);
    if (!due.ok) {
      raiseIncident(
        decision,
        requireTask(draft, workitem.taskId),
        'timeout',
        workitem.id,
        `the ${kind} timeout ${duration} of transition ${transition.id} cannot be scheduled: ${due.message}`,
      );
      return;
    }
    scheduleTimer(decision, kind, due.dueAt, workitem);
  }
}

/** The payloads of the tokens offered to a task, by input place id (the first token of each place). */
function offeredInputs(draft: CaseDraft, task: Task): Record<string, JsonValue> {
  const inputs: Record<string, JsonValue> = {};
  for (const token of task.offered.map(tokenOf(draft))) inputs[token.placeId] ??= token.payload;
  return inputs;
}

/**
 * A `timer` executor's workitem waits for its own timer: `after` a duration from now, or `at` the time its
 * expression gives. When neither can be computed it raises an `executor_failed` incident; answers whether
 * the timer is pending.
 */
function scheduleExecutorTimer(decision: Decision, workitem: Workitem): boolean {
  const { draft, net, at, options } = decision;
  if (pendingTimerOf(draft, workitem.id, 'executor')) return true;
  const task = requireTask(draft, workitem.taskId);
  const { after, at: expression } = net.transition(workitem.transitionId).executorParams;
  let due: Due;
  if (typeof after === 'string') {
    due = dueAfter(options.timing, at, after);
  } else if (typeof expression === 'string') {
    due = dueAtExpression(options.timing, expression, {
      case: draft.data,
      inputs: offeredInputs(draft, task),
      now: at,
    });
  } else {
    due = { ok: false, message: 'its executorParams have neither after (a duration) nor at (an expression)' };
  }
  if (!due.ok) {
    raiseIncident(
      decision,
      task,
      'executor_failed',
      workitem.id,
      `the timer of workitem ${workitem.id} cannot be scheduled: ${due.message}`,
    );
    return false;
  }
  scheduleTimer(decision, 'executor', due.dueAt, workitem);
  return true;
}

/**
 * The timers of an attempt about to run: a `timer` executor's own timer, the timeout bounding the attempt
 * from the workitem's state, and `scheduleToClose` unless it is still running from an earlier attempt.
 */
function scheduleAttemptTimers(decision: Decision, workitem: Workitem): void {
  if (workitem.executor === TIMER_EXECUTOR && !scheduleExecutorTimer(decision, workitem)) return;
  const bound = workitem.state === 'created' ? 'scheduleToStart' : 'startToClose';
  scheduleTimeouts(decision, workitem, [bound, 'scheduleToClose']);
}

/**
 * A failed attempt, reported or timed out: the retry policy schedules the next one (its attempt's own
 * timeouts cancelled, the next attempt schedules them again), or an `executor_failed` incident waits for
 * a person.
 */
function failAttempt(decision: Decision, workitem: Workitem, error: ExecutionError): void {
  const { draft, net, at, options } = decision;
  const attempt = nextAttemptOf(draft, workitem.id);
  const policy = retryPolicyOf(net.transition(workitem.transitionId));
  const next = nextAttempt(policy, attempt, error, at, options.timing);
  const { type, message, retryable } = error;
  record(decision, {
    type: 'WorkitemFailed',
    data: {
      caseId: draft.caseId,
      taskId: workitem.taskId,
      workitemId: workitem.id,
      attempt,
      error: { type, message, retryable },
      retryAt: next.retryAt,
      at,
    },
  });
  if (next.retryAt === null) {
    raiseIncident(
      decision,
      requireTask(draft, workitem.taskId),
      'executor_failed',
      workitem.id,
      `workitem ${workitem.id} failed (attempt ${attempt}, ${type}: ${message}): ${next.why}`,
    );
    return;
  }
  for (const timer of pendingTimersOf(draft, workitem.id)) {
    if (PER_ATTEMPT.has(timer.kind)) cancelTimer(decision, timer);
  }
  scheduleTimer(decision, 'retry', next.retryAt, workitem);
}

/** Every pending timer goes when the case ends, its own included. */
function cancelAllTimers(decision: Decision): void {
  for (const timer of [...decision.draft.timers.values()]) cancelTimer(decision, timer);
}

/** Termination abandons the work but leaves locked tokens as they are: nothing moves afterwards. */
function terminate(decision: Decision, reason?: 'timeout'): void {
  const { caseId } = decision.draft;
  for (const task of liveTasks(decision.draft)) abandonTask(decision, task, 'case_ended', false);
  cancelAllTimers(decision);
  record(decision, { type: 'CaseTerminated', data: { caseId, ...(reason && { reason }), at: decision.at } });
}

type Routing =
  { readonly ok: true; readonly route: Route } | { readonly ok: false; readonly message: string };

/**
 * Where a task of a split that decides sends its tokens: its output arcs' conditions evaluated in arc
 * order, `first` stopping at the first that holds, `every` taking each; the default arc when none holds.
 * Any condition that cannot be evaluated stops the decision.
 */
function decideRoute(
  net: Net,
  transitionId: string,
  decides: 'first' | 'every',
  conditions: ConditionLanguage | undefined,
  scope: ConditionScope,
): Routing {
  const chosen: string[] = [];
  let fallback: string | undefined;
  for (const arc of net.outputArcs(transitionId)) {
    if (arc.condition === undefined) {
      if (arc.default) fallback = arc.to;
      continue;
    }
    const where = `the condition ${JSON.stringify(arc.condition)} of arc ${transitionId} → ${arc.to}`;
    if (!conditions) return { ok: false, message: `${where} cannot be evaluated: no condition language` };
    let holds: unknown;
    try {
      holds = conditions.evaluate(arc.condition, scope);
    } catch (error) {
      return {
        ok: false,
        message: `${where} failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    if (typeof holds !== 'boolean') return { ok: false, message: `${where} is not a bool` };
    if (!holds) continue;
    chosen.push(arc.to);
    if (decides === 'first') break;
  }
  if (chosen.length > 0) return { ok: true, route: { placeIds: chosen, by: 'condition' } };
  // A valid net has one default arc on a split that decides.
  if (fallback === undefined) return { ok: false, message: `transition ${transitionId} has no default arc` };
  return { ok: true, route: { placeIds: [fallback], by: 'default' } };
}

/**
 * Consumes the task's locked tokens, withdraws them from every competitor, and issues the output tokens.
 * A split that decides takes `route` (an operator's) or evaluates its conditions first; when they cannot
 * be evaluated it raises an incident and nothing moves: the task stays executing, its tokens locked.
 */
function completeTask(decision: Decision, task: Task, given?: Route): void {
  const { draft, net, at } = decision;
  const { caseId } = draft;
  const transition = net.transition(task.transitionId);
  const workitems = task.workitemIds.map((id) => draft.workitems.get(id)).filter((w) => w !== undefined);
  const tokenPayload = (decision.options.buildTokenPayload ?? ((_, w) => defaultTokenPayload(w)))(
    transition,
    workitems,
  );
  const { decides } = splitKinds[transition.splitType];
  let route = given;
  if (route === undefined && decides !== 'none') {
    const completed = workitems.find((w) => w.state === 'completed');
    const closes = net.orBlockOf(transition.id, 'join');
    const inputs: Record<string, JsonValue> = {};
    for (const token of task.locked.map(tokenOf(draft))) {
      if (token.placeId !== closes?.controlPlace) inputs[token.placeId] = token.payload;
    }
    const routing = decideRoute(net, transition.id, decides, decision.options.conditions, {
      case: draft.data,
      output: completed?.output ?? null,
      inputs,
      payload: tokenPayload,
      now: at,
    });
    if (!routing.ok) {
      raiseIncident(decision, task, 'condition_failed', completed?.id ?? null, routing.message);
      return;
    }
    route = routing.route;
  }

  const consumed = new Set(task.locked);
  record(decision, { type: 'TokensConsumed', data: { caseId, taskId: task.id, tokenIds: task.locked, at } });

  for (const competitor of liveTasks(draft)) {
    if (competitor.id === task.id) continue;
    const withdrawn = competitor.offered.filter((id) => consumed.has(id));
    if (withdrawn.length === 0) continue;
    record(decision, {
      type: 'TokensDiscarded',
      data: { caseId, taskId: competitor.id, tokenIds: withdrawn, at },
    });
    if (requireTask(draft, competitor.id).offered.length === 0) {
      abandonTask(decision, requireTask(draft, competitor.id), 'tokens_withdrawn');
    }
  }

  record(decision, {
    type: 'TaskCompleted',
    data: { caseId, taskId: task.id, tokenPayload, ...(route && { route }), at },
  });
  const outputs = splitOutputs(net, task.transitionId, route?.placeIds);
  const opens = net.orBlockOf(transition.id, 'split');
  issueTokens(decision, [
    ...outputs.map((placeId) => ({ placeId, payload: tokenPayload, producedBy: task.id })),
    ...(opens
      ? [{ placeId: opens.controlPlace, payload: controlPayload(outputs), producedBy: task.id }]
      : []),
  ]);
}

function issueTokens(
  decision: Decision,
  tokens: readonly { placeId: string; payload: JsonValue; producedBy: string }[],
): void {
  const { draft } = decision;
  if (tokens.length === 0) return;
  let number = draft.counts.tokens;
  record(decision, {
    type: 'TokensIssued',
    data: {
      caseId: draft.caseId,
      tokens: tokens.map(({ placeId, payload, producedBy }) => ({
        id: entityId(draft.caseId, 'token', ++number),
        placeId,
        payload,
        producedByTaskId: producedBy,
      })),
      at: decision.at,
    },
  });
}

/**
 * Live tasks whose workitems have all ended complete (or are abandoned when none completed); a task with
 * an open incident is left as it is.
 */
function settleTasks(decision: Decision): boolean {
  for (const task of liveTasks(decision.draft)) {
    // It waits for its incident's resolution.
    if (openIncidentsOf(decision.draft, task.id).length > 0) continue;
    const workitems = task.workitemIds
      .map((id) => decision.draft.workitems.get(id))
      .filter((w) => w !== undefined);
    const outcome = settledOutcome(task, workitems);
    if (outcome === 'complete') {
      completeTask(decision, task);
      return true;
    }
    if (outcome === 'abandon') {
      abandonTask(decision, task, 'workitems_abandoned');
      return true;
    }
  }
  return false;
}

/**
 * The offer rule, read as an invariant: every free token is offered to the live task of every transition
 * that consumes its place, a new task being started where a transition has none. This covers offering
 * new and unlocked tokens as well as re-offering what is still free when a task ends.
 */
function offerFreeTokens(decision: Decision): boolean {
  const { draft, net, at } = decision;
  const { caseId } = draft;
  const missing = new Map<string, string[]>();
  for (const token of draft.tokens.values()) {
    if (token.state !== 'free') continue;
    for (const transitionId of net.consumers(token.placeId)) {
      const liveId = draft.liveTaskOf.get(transitionId);
      if (liveId !== undefined && requireTask(draft, liveId).offered.includes(token.id)) continue;
      const list = missing.get(transitionId);
      if (list) list.push(token.id);
      else missing.set(transitionId, [token.id]);
    }
  }
  for (const [transitionId, tokenIds] of missing) {
    let taskId = draft.liveTaskOf.get(transitionId);
    if (taskId === undefined) {
      taskId = entityId(caseId, 'task', draft.counts.tasks + 1);
      record(decision, { type: 'TaskStarted', data: { caseId, taskId, transitionId, at } });
    }
    record(decision, { type: 'TokensReceived', data: { caseId, taskId, tokenIds, at } });
  }
  return missing.size > 0;
}

type Assigned =
  | { readonly ok: true; readonly assignment: WorkitemAssignment }
  | { readonly ok: false; readonly assignment: WorkitemAssignment; readonly message: string };

/**
 * The candidates of a new workitem of the transition, its assignee expression evaluated over the case's
 * data and the task's offered tokens. One that cannot be evaluated, or gives no user, leaves the workitem
 * without an assignee (only its other candidates, and admins, may work it) and says why.
 */
function assign(decision: Decision, task: Task, transition: Transition): Assigned | undefined {
  const { assignment } = transition;
  if (assignment === undefined) return undefined;
  const candidateGroups = assignment.candidateGroups ?? [];
  const candidateUsers = assignment.candidateUsers ?? [];
  const source = assignment.assignee;
  if (source === undefined)
    return { ok: true, assignment: { candidateGroups, candidateUsers, assignee: null } };
  const unassigned = { candidateGroups, candidateUsers, assignee: null };
  const where = `the assignee ${JSON.stringify(source)} of transition ${transition.id}`;
  const evaluate = decision.options.conditions?.evaluateAssignee?.bind(decision.options.conditions);
  if (!evaluate) {
    return {
      ok: false,
      assignment: unassigned,
      message: `${where} cannot be evaluated: no condition language`,
    };
  }
  let user: unknown;
  try {
    user = evaluate(source, { case: decision.draft.data, inputs: offeredInputs(decision.draft, task) });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, assignment: unassigned, message: `${where} failed: ${why}` };
  }
  if (typeof user !== 'string' || user === '') {
    const gave = typeof user === 'string' ? 'an empty string' : user === null ? 'null' : typeof user;
    return { ok: false, assignment: unassigned, message: `${where} gave ${gave}, not a user name` };
  }
  return { ok: true, assignment: { candidateGroups, candidateUsers, assignee: user } };
}

function allocateEnabledTasks(decision: Decision): boolean {
  const { draft, net, at } = decision;
  const { caseId } = draft;
  let allocated = false;
  for (const task of liveTasks(draft)) {
    if (!canAllocate(net, task, tokenOf(draft))) continue;
    const workitemId = entityId(caseId, 'workitem', draft.counts.workitems + 1);
    const transition = net.transition(task.transitionId);
    const assigned = assign(decision, task, transition);
    record(decision, { type: 'TaskAllocated', data: { caseId, taskId: task.id, workitemId, at } });
    record(decision, {
      type: 'WorkitemCreated',
      data: {
        caseId,
        workitemId,
        taskId: task.id,
        transitionId: transition.id,
        executor: transition.executor,
        ...(assigned && { assignment: assigned.assignment }),
        at,
      },
    });
    scheduleAttemptTimers(decision, requireWorkitem(draft, workitemId));
    // As a condition that fails: the task waits for a person, who may complete the workitem or abandon it.
    if (assigned && !assigned.ok) {
      raiseIncident(decision, requireTask(draft, task.id), 'condition_failed', workitemId, assigned.message);
    }
    allocated = true;
  }
  return allocated;
}

/**
 * Records the first immediate answer an open `created` workitem has (see `immediateAnswer`), as its
 * executor's `UpdateWorkitem` would; a completion whose tokens another task holds is left to the executor.
 */
function answerImmediately(decision: Decision): boolean {
  const { draft, net, options } = decision;
  if (!options.immediateAnswer || decision.immediateAnswers >= MAX_IMMEDIATE_ANSWERS) return false;
  for (const task of liveTasks(draft)) {
    for (const workitemId of task.workitemIds) {
      const workitem = draft.workitems.get(workitemId);
      // A timer's workitem is completed by its timer, never by an executor.
      if (workitem?.state !== 'created' || workitem.executor === TIMER_EXECUTOR) continue;
      const transition = net.transition(task.transitionId);
      const tokens = task.offered.map(tokenOf(draft));
      const answer = options.immediateAnswer(
        {
          caseId: draft.caseId,
          workitem,
          tokens,
          params: transition.executorParams,
          attempt: nextAttemptOf(draft, workitem.id),
        },
        transition,
      );
      // An immediate answer is pure: it never fails, and a failure is left to the executor's attempts.
      if (answer === undefined || answer.status === 'failed') continue;
      if (answer.status === 'completed' && task.state !== 'executing') {
        if (!selectTokensToLock(net, task, tokenOf(draft)).ok) continue;
        lockTokens(decision, task);
      }
      decision.immediateAnswers++;
      updateWorkitemState(
        decision,
        workitem,
        answer.status,
        answer.status === 'completed' ? answer.output : null,
      );
      return true;
    }
  }
  return false;
}

/** The finish rule: the only unconsumed token is one free token in `end` (locked tokens count). */
function finishIfDone(decision: Decision): boolean {
  const { draft, net, at } = decision;
  let last: Token | undefined;
  for (const token of draft.tokens.values()) {
    if (token.state === 'consumed') continue;
    if (last) return false;
    last = token;
  }
  if (!last || last.state !== 'free' || last.placeId !== net.endPlaceId) return false;
  for (const task of liveTasks(draft)) abandonTask(decision, task, 'case_ended');
  record(decision, {
    type: 'TokensConsumed',
    data: { caseId: draft.caseId, taskId: TERMINATION, tokenIds: [last.id], at },
  });
  cancelAllTimers(decision);
  record(decision, { type: 'CaseFinished', data: { caseId: draft.caseId, at } });
  return true;
}

/** Runs the steps that need no outside input until nothing moves, so a command is one atomic batch. */
function cascade(decision: Decision): readonly CaseEvent[] {
  while (decision.draft.status === 'active') {
    if (
      cancelOrphanedTimers(decision) ||
      settleTasks(decision) ||
      offerFreeTokens(decision) ||
      allocateEnabledTasks(decision) ||
      answerImmediately(decision)
    )
      continue;
    finishIfDone(decision);
    break;
  }
  return decision.events;
}

// ---- people ----

/** Whether the actor may work a workitem with this assignment: anyone when it has none. */
function isCandidate(assignment: WorkitemAssignment | undefined, actor: Actor): boolean {
  if (assignment === undefined) return true;
  return (
    assignment.candidateUsers.includes(actor.user) ||
    assignment.assignee === actor.user ||
    assignment.candidateGroups.some((group) => actor.groups.includes(group))
  );
}

function candidatesOf({ candidateUsers, candidateGroups, assignee }: WorkitemAssignment): string {
  const parts = [
    candidateUsers.length > 0 && `users ${candidateUsers.join(', ')}`,
    candidateGroups.length > 0 && `groups ${candidateGroups.join(', ')}`,
    assignee !== null && `assignee ${assignee}`,
  ].filter((part) => part !== false);
  return parts.length > 0 ? parts.join('; ') : 'no one but admins';
}

function requireActor(actor: Actor): void {
  if (typeof actor?.user !== 'string' || actor.user === '' || !Array.isArray(actor.groups)) {
    const message = 'a person acting on a workitem needs a user name and groups';
    throw new ValidationError('validation_failed', message, [{ path: 'actor', message }]);
  }
}

/**
 * Holds the actor to the people rules named in `rules`, in the order of their refusals (claim, candidate,
 * four eyes). A person who breaks one is refused; an admin sets them aside, and the rules set aside are
 * answered, for the event to record.
 */
function permit(
  state: Pick<CaseData, 'caseId' | 'completedBy'>,
  net: Net,
  workitem: Workitem,
  actor: Actor,
  rules: readonly OverriddenRule[],
): readonly OverriddenRule[] {
  requireActor(actor);
  const broken: OverriddenRule[] = [];
  const refuse = (rule: OverriddenRule, message: string): void => {
    if (!actor.admin) {
      throw rule === 'workitem_claimed'
        ? new IllegalStateError(rule, message)
        : new NotPermittedError(rule, message);
    }
    broken.push(rule);
  };
  for (const rule of rules) {
    switch (rule) {
      case 'workitem_claimed':
        if (workitem.claimedBy !== undefined && workitem.claimedBy !== actor.user) {
          refuse(rule, `workitem ${workitem.id} is claimed by ${workitem.claimedBy}`);
        }
        break;
      case 'not_a_candidate':
        if (workitem.assignment !== undefined && !isCandidate(workitem.assignment, actor)) {
          refuse(
            rule,
            `${actor.user} is not a candidate for workitem ${workitem.id}: it is for ${candidatesOf(workitem.assignment)}`,
          );
        }
        break;
      case 'separation_of_duties': {
        const earlier = (net.transition(workitem.transitionId).separateFrom ?? []).find((id) =>
          state.completedBy.get(id)?.includes(actor.user),
        );
        if (earlier !== undefined) {
          refuse(
            rule,
            `${actor.user} completed ${earlier} in case ${state.caseId}, so may not complete workitem ${workitem.id} (${workitem.transitionId}): four eyes`,
          );
        }
        break;
      }
      default: {
        const unknown: never = rule;
        throw new Error(`unknown people rule ${String(unknown)}`);
      }
    }
  }
  return broken;
}

/** The rules completing and abandoning a workitem hold a person to. */
const RULES_OF: Readonly<Record<'completed' | 'abandoned', readonly OverriddenRule[]>> = {
  completed: ['workitem_claimed', 'not_a_candidate', 'separation_of_duties'],
  abandoned: ['workitem_claimed', 'not_a_candidate'],
};

/**
 * A person claims an open workitem: claiming one's own claim again changes nothing; an admin may take over
 * someone else's (their claim released first, the override recorded there).
 */
function claimWorkitem(
  { data }: ClaimWorkitem,
  state: CaseState,
  options: CaseDeciderOptions,
): readonly CaseEvent[] {
  const existing = requireCase(state, data.caseId);
  const workitem = requireOpenWorkitem(existing, data.workitemId);
  const decision = begin(requireActive(existing), data.at, options);
  const { actor, caseId, at } = data;
  requireActor(actor);
  if (workitem.claimedBy === actor.user) return [];
  const override = permit(existing, decision.net, workitem, actor, ['workitem_claimed', 'not_a_candidate']);
  const { id: workitemId, taskId } = workitem;
  if (workitem.claimedBy !== undefined) {
    record(decision, {
      type: 'WorkitemReleased',
      data: {
        caseId,
        taskId,
        workitemId,
        by: actor.user,
        claimedBy: workitem.claimedBy,
        override: ['workitem_claimed'],
        at,
      },
    });
  }
  const rest = override.filter((rule) => rule !== 'workitem_claimed');
  record(decision, {
    type: 'WorkitemClaimed',
    data: { caseId, taskId, workitemId, by: actor.user, ...(rest.length > 0 && { override: rest }), at },
  });
  return decision.events;
}

/** The claimer, or an admin, releases a claim; releasing an unclaimed open workitem changes nothing. */
function releaseWorkitem(
  { data }: ReleaseWorkitem,
  state: CaseState,
  options: CaseDeciderOptions,
): readonly CaseEvent[] {
  const existing = requireCase(state, data.caseId);
  const workitem = requireOpenWorkitem(existing, data.workitemId);
  const decision = begin(requireActive(existing), data.at, options);
  const { actor, caseId, at } = data;
  requireActor(actor);
  if (workitem.claimedBy === undefined) return [];
  const override = permit(existing, decision.net, workitem, actor, ['workitem_claimed']);
  record(decision, {
    type: 'WorkitemReleased',
    data: {
      caseId,
      taskId: workitem.taskId,
      workitemId: workitem.id,
      by: actor.user,
      claimedBy: workitem.claimedBy,
      ...(override.length > 0 && { override }),
      at,
    },
  });
  return decision.events;
}

// ---- commands ----

function createCase(
  { data }: CreateCase,
  state: CaseState,
  options: CaseDeciderOptions,
): readonly CaseEvent[] {
  if (state.status !== 'none')
    throw new IllegalStateError('already_exists', `case ${data.caseId} already exists`);
  const { definition } = data.workflow;
  if (data.workflow.state !== 'active') {
    throw new IllegalStateError('case_not_available', `workflow ${definition.id} is discarded`);
  }
  const created: CaseEvent = {
    type: 'CaseCreated',
    data: { caseId: data.caseId, workflowId: definition.id, definition, data: data.data, at: data.at },
  };
  const decision = decisionOf(draftFromCreation(created), data.at, [created], options);
  issueTokens(decision, [{ placeId: decision.net.startPlaceId, payload: data.data, producedBy: GENESIS }]);
  record(decision, { type: 'CaseActivated', data: { caseId: data.caseId, at: data.at } });
  if (definition.caseTimeout !== undefined) {
    const due = dueAfter(options.timing, data.at, definition.caseTimeout);
    if (!due.ok) {
      const message = `the caseTimeout ${definition.caseTimeout} of workflow ${definition.id} cannot be scheduled: ${due.message}`;
      throw new ValidationError('validation_failed', message, [{ path: 'caseTimeout', message }]);
    }
    scheduleTimer(decision, 'case', due.dueAt, null);
  }
  return cascade(decision);
}

function terminateCase(
  { data }: TerminateCase,
  state: CaseState,
  options: CaseDeciderOptions,
): readonly CaseEvent[] {
  const decision = begin(requireActive(requireCase(state, data.caseId)), data.at, options);
  terminate(decision);
  return decision.events;
}

function receiveTokens(
  { data }: ReceiveTokens,
  state: CaseState,
  options: CaseDeciderOptions,
): readonly CaseEvent[] {
  const existing = requireCase(state, data.caseId);
  requireTask(existing, data.taskId);
  const decision = begin(requireActive(existing), data.at, options);
  const { draft, net } = decision;
  const task = requireTask(draft, data.taskId);
  const inputs = net.inputPlaces(task.transitionId);
  const fresh: string[] = [];
  for (const id of new Set(data.tokenIds)) {
    const token = tokenOf(draft)(id);
    if (!inputs.includes(token.placeId)) {
      throw new ValidationError(
        'validation_failed',
        `token ${id} is not in an input place of task ${task.id}`,
        [
          {
            path: 'tokenIds',
            message: `token ${id} sits in ${token.placeId}, not an input place of ${task.transitionId}`,
          },
        ],
      );
    }
    if (!task.offered.includes(id)) fresh.push(id);
  }
  if (fresh.length > 0) {
    record(decision, {
      type: 'TokensReceived',
      data: { caseId: data.caseId, taskId: task.id, tokenIds: fresh, at: data.at },
    });
  }
  return cascade(decision);
}

function discardTokens(
  { data }: DiscardTokens,
  state: CaseState,
  options: CaseDeciderOptions,
): readonly CaseEvent[] {
  const existing = requireCase(state, data.caseId);
  requireTask(existing, data.taskId);
  const decision = begin(requireActive(existing), data.at, options);
  const { draft } = decision;
  const task = requireTask(draft, data.taskId);
  const discarded = [...new Set(data.tokenIds)].filter((id) => task.offered.includes(id));
  for (const id of discarded) {
    const token = tokenOf(draft)(id);
    // A free token stays offered to every task that can take it (the offer rule); only tokens another
    // task holds can be given up.
    if (token.state !== 'locked' || token.lockedByTaskId === task.id) {
      throw new IllegalStateError(
        'tokens_not_available',
        `token ${id} is ${token.state === 'locked' ? 'locked by this task' : 'free'}: only tokens locked by another task can be discarded`,
      );
    }
  }
  if (discarded.length === 0) return [];
  record(decision, {
    type: 'TokensDiscarded',
    data: { caseId: data.caseId, taskId: task.id, tokenIds: discarded, at: data.at },
  });
  if (requireTask(draft, task.id).offered.length === 0) {
    abandonTask(decision, requireTask(draft, task.id), 'tokens_withdrawn');
  }
  return cascade(decision);
}

function preexecuteTask(
  { data }: PreexecuteTask,
  state: CaseState,
  options: CaseDeciderOptions,
): readonly CaseEvent[] {
  const existing = requireCase(state, data.caseId);
  if ('workitemId' in data) {
    requireMade(existing, 'workitem', data.workitemId);
    const workitem = existing.workitems.get(data.workitemId);
    if (workitem) {
      const { caseId, at, actor } = data;
      // Locking is a step towards completing: only who may work the workitem takes it (nothing to record).
      if (actor !== undefined) {
        permit(requireActive(existing), netOf(existing.definition), workitem, actor, [
          'workitem_claimed',
          'not_a_candidate',
        ]);
      }
      return preexecuteTask(
        { type: 'PreexecuteTask', data: { caseId, taskId: workitem.taskId, at } },
        existing,
        options,
      );
    }
    // A workitem leaves the state only with its task, once that has ended: it answers as that task would.
    requireActive(existing);
    throw new IllegalStateError(
      'task_not_enabled',
      `workitem ${data.workitemId} has ended, and its task with it`,
    );
  }
  requireMade(existing, 'task', data.taskId);
  const decision = begin(requireActive(existing), data.at, options);
  lockTokens(decision, requireTask(decision.draft, data.taskId, 'task_not_enabled'));
  return cascade(decision);
}

function forceAbandonTask(
  { data }: ForceAbandonTask,
  state: CaseState,
  options: CaseDeciderOptions,
): readonly CaseEvent[] {
  const existing = requireCase(state, data.caseId);
  requireTask(existing, data.taskId);
  const decision = begin(requireActive(existing), data.at, options);
  abandonTask(decision, requireTask(decision.draft, data.taskId), 'forced');
  return cascade(decision);
}

/** A workitem's new state; with an `actor` (a person, through the API) the people rules apply. */
function updateWorkitem(
  caseId: string,
  workitemId: string,
  to: 'started' | 'completed' | 'abandoned',
  output: JsonValue,
  at: string,
  state: CaseState,
  options: CaseDeciderOptions,
  actor?: Actor,
): readonly CaseEvent[] {
  const existing = requireCase(state, caseId);
  const workitem = requireOpenWorkitem(existing, workitemId);
  const decision = begin(requireActive(existing), at, options);
  // A second `started` report (an executor run twice) changes nothing.
  if (to === 'started' && workitem.state === 'started') return [];
  if (!canMoveTo(workitem.state, to)) {
    throw new IllegalStateError(
      'workitem_not_available',
      `workitem ${workitemId} cannot go from ${workitem.state} to ${to}`,
    );
  }
  const person =
    actor === undefined || to === 'started'
      ? undefined
      : { by: actor.user, override: permit(existing, decision.net, workitem, actor, RULES_OF[to]) };
  // Completing before preexecute locks first, with preexecute's errors, instead of being lost.
  if (to === 'completed') lockTokens(decision, requireTask(decision.draft, workitem.taskId));
  updateWorkitemState(decision, workitem, to, output, person);
  return cascade(decision);
}

/**
 * An operator's route for the task of a split that decides: distinct output places of the split (exactly
 * one for a split that takes the first), in arc order.
 */
function operatorRoute(net: Net, task: Task, placeIds: unknown): Route {
  const transition = net.transition(task.transitionId);
  const { decides } = splitKinds[transition.splitType];
  const outputs = net.outputPlaces(transition.id);
  const refuse = (message: string): never => {
    throw new ValidationError('validation_failed', message, [{ path: 'resolution.placeIds', message }]);
  };
  if (decides === 'none') refuse(`transition ${transition.id} does not decide where its tokens go`);
  if (!Array.isArray(placeIds) || placeIds.length === 0) refuse('placeIds must be a non-empty list');
  const chosen = new Set<unknown>(placeIds as unknown[]);
  if (chosen.size !== (placeIds as unknown[]).length) refuse('placeIds repeats a place');
  for (const placeId of chosen) {
    if (typeof placeId !== 'string' || !outputs.includes(placeId)) {
      refuse(`${JSON.stringify(placeId)} is not an output place of ${transition.id}: ${outputs.join(', ')}`);
    }
  }
  if (decides === 'first' && chosen.size !== 1) {
    refuse(`transition ${transition.id} (${transition.splitType} split) takes exactly one place`);
  }
  return { placeIds: outputs.filter((placeId) => chosen.has(placeId)), by: 'operator' };
}

function resolveIncident(
  { data }: ResolveIncident,
  state: CaseState,
  options: CaseDeciderOptions,
): readonly CaseEvent[] {
  const existing = requireCase(state, data.caseId);
  requireMade(existing, 'incident', data.incidentId);
  const incident = existing.incidents.get(data.incidentId);
  if (!incident) {
    throw new IllegalStateError('incident_not_open', `incident ${data.incidentId} is already resolved`);
  }
  const decision = begin(requireActive(existing), data.at, options);
  const { draft, net } = decision;
  const task = requireTask(draft, incident.taskId);
  const { resolution } = data;
  const resolved = (): void =>
    record(decision, {
      type: 'IncidentResolved',
      data: { caseId: data.caseId, incidentId: incident.id, resolution, at: data.at },
    });
  switch (resolution.action) {
    case 'retry': {
      // Settling the task again evaluates its conditions again; a workitem's executor gets one more
      // attempt, due at once (one that ended meanwhile leaves its task to settle).
      resolved();
      const workitem = incident.workitemId === null ? undefined : draft.workitems.get(incident.workitemId);
      if (incident.kind !== 'condition_failed' && workitem && isOpen(workitem)) {
        scheduleTimer(decision, 'retry', data.at, workitem);
      }
      break;
    }
    case 'route': {
      if (incident.kind !== 'condition_failed') {
        throw new ValidationError(
          'validation_failed',
          `incident ${incident.id} is ${incident.kind}: only a condition_failed incident takes a route`,
        );
      }
      const open = incident.workitemId === null ? undefined : draft.workitems.get(incident.workitemId);
      if (open && isOpen(open)) {
        throw new ValidationError(
          'validation_failed',
          `incident ${incident.id} holds workitem ${open.id}, still ${open.state}: a route is for a decision that failed`,
        );
      }
      const route = operatorRoute(net, task, resolution.placeIds);
      resolved();
      completeTask(decision, requireTask(draft, task.id), route);
      break;
    }
    case 'abandon':
      resolved();
      abandonTask(decision, requireTask(draft, task.id), 'forced');
      break;
    case 'complete': {
      const workitem = incident.workitemId === null ? undefined : draft.workitems.get(incident.workitemId);
      if (!workitem || !isOpen(workitem)) {
        throw new ValidationError(
          'validation_failed',
          `incident ${incident.id} has no open workitem to complete${workitem ? `: ${workitem.id} is ${workitem.state}` : ''}`,
        );
      }
      resolved();
      lockTokens(decision, requireTask(draft, task.id));
      updateWorkitemState(decision, workitem, 'completed', resolution.output);
      break;
    }
    default: {
      const unknown: never = resolution;
      throw new ValidationError(
        'validation_failed',
        `unknown resolution ${JSON.stringify((unknown as { action: unknown }).action)}`,
        [{ path: 'resolution.action', message: 'expected retry, complete, route or abandon' }],
      );
    }
  }
  return cascade(decision);
}

function requireTime(at: string): void {
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at))) {
    throw new ValidationError('validation_failed', `${JSON.stringify(at)} is not an ISO 8601 time`, [
      { path: 'at', message: 'expected an ISO 8601 time' },
    ]);
  }
}

/**
 * A due timer's effect, once: a timer fired or cancelled already, or not due yet at `at`, changes nothing
 * (the scheduler may send it twice, or early). A `timer` executor's workitem locks its tokens and completes
 * (refused with `tokens_not_available`, the timer left pending, while a competitor holds them).
 */
function fireTimer({ data }: FireTimer, state: CaseState, options: CaseDeciderOptions): readonly CaseEvent[] {
  const existing = requireCase(state, data.caseId);
  requireMade(existing, 'timer', data.timerId);
  requireTime(data.at);
  const timer = existing.timers.get(data.timerId);
  if (!timer || !isDue(timer.dueAt, data.at)) return [];
  const decision = begin(requireActive(existing), data.at, options);
  const { draft, net } = decision;
  record(decision, {
    type: 'TimerFired',
    data: {
      caseId: data.caseId,
      timerId: timer.id,
      kind: timer.kind,
      workitemId: timer.workitemId,
      at: data.at,
    },
  });
  if (timer.kind === 'case') {
    terminate(decision, 'timeout');
    return decision.events;
  }
  if (timer.workitemId === null) throw new Error(`timer ${timer.id} (${timer.kind}) has no workitem`);
  // A pending timer's workitem is open (see `hasLiveOwner`).
  const workitem = requireWorkitem(draft, timer.workitemId);
  const timeouts = net.transition(workitem.transitionId).timeouts;
  switch (timer.kind) {
    case 'executor':
      lockTokens(decision, requireTask(draft, workitem.taskId));
      updateWorkitemState(decision, workitem, 'completed', { firedAt: data.at });
      break;
    case 'scheduleToStart':
    case 'startToClose':
      failAttempt(decision, workitem, {
        type: 'timeout',
        message: `the ${timer.kind} timeout ${timeouts?.[timer.kind] ?? ''} ran out`,
        retryable: true,
      });
      break;
    case 'scheduleToClose':
      raiseIncident(
        decision,
        requireTask(draft, workitem.taskId),
        'timeout',
        workitem.id,
        `workitem ${workitem.id} did not complete within its scheduleToClose timeout ${timeouts?.scheduleToClose ?? ''}`,
      );
      break;
    case 'retry':
      scheduleAttemptTimers(decision, workitem);
      break;
    default: {
      const unknown: never = timer.kind;
      throw new Error(`timer ${timer.id} of unknown kind ${String(unknown)}`);
    }
  }
  return cascade(decision);
}

function checkExecutionError({ attempt, error }: FailWorkitem['data']): void {
  const details: { path: string; message: string }[] = [];
  if (!Number.isInteger(attempt) || attempt < 1) {
    details.push({ path: 'attempt', message: 'expected an integer from 1' });
  }
  if (typeof error !== 'object' || error === null) {
    details.push({ path: 'error', message: 'expected {type, message, retryable}' });
  } else {
    if (typeof error.type !== 'string' || error.type === '') {
      details.push({ path: 'error.type', message: 'expected a non-empty string' });
    }
    if (typeof error.message !== 'string')
      details.push({ path: 'error.message', message: 'expected a string' });
    if (typeof error.retryable !== 'boolean') {
      details.push({ path: 'error.retryable', message: 'expected a boolean' });
    }
  }
  const [first] = details;
  if (first) throw new ValidationError('validation_failed', `${first.path}: ${first.message}`, details);
}

/**
 * An attempt of the workitem's executor failed. Only the attempt running may fail: a report of an earlier
 * attempt (repeated after a crash), one while the next attempt waits for its time, or one while an incident
 * holds the task is refused with `workitem_not_available`.
 */
function failWorkitem(
  { data }: FailWorkitem,
  state: CaseState,
  options: CaseDeciderOptions,
): readonly CaseEvent[] {
  checkExecutionError(data);
  const existing = requireCase(state, data.caseId);
  const workitem = requireOpenWorkitem(existing, data.workitemId);
  const decision = begin(requireActive(existing), data.at, options);
  const refuse = (why: string): never => {
    throw new IllegalStateError('workitem_not_available', `workitem ${workitem.id} cannot fail now: ${why}`);
  };
  const failures = existing.attempts.get(workitem.id)?.attempts ?? 0;
  if (data.attempt !== failures + 1) {
    refuse(`attempt ${data.attempt} is not the one running, ${failures + 1} (${failures} failed so far)`);
  }
  const retry = pendingTimerOf(existing, workitem.id, 'retry');
  if (retry) refuse(`its next attempt waits until ${retry.dueAt}`);
  const [incident] = openIncidentsOf(existing, workitem.taskId);
  if (incident) refuse(`incident ${incident.id} holds its task ${workitem.taskId}`);
  failAttempt(decision, workitem, data.error);
  return cascade(decision);
}

/**
 * `decideCase` with the state after the events it decides, equal to `foldCase(state, events)`: the
 * decision's own draft already holds those events, so they need not be applied again to another copy of
 * the state.
 */
export function decideCaseAndFold(
  command: CaseCommand,
  state: CaseState,
  options: CaseDeciderOptions = {},
): { readonly events: readonly CaseEvent[]; readonly state: CaseState } {
  const events = decideCase(command, state, options);
  const draft = draftsByEvents.get(events);
  if (events.length === 0 || draft === undefined) return { events, state: foldCase(state, events) };
  // The draft becomes a state that others hold: no later call may hand it out again.
  draftsByEvents.delete(events);
  return { events, state: endFold(draft) };
}

export function decideCase(
  command: CaseCommand,
  state: CaseState,
  options: CaseDeciderOptions = {},
): readonly CaseEvent[] {
  switch (command.type) {
    case 'CreateCase':
      return createCase(command, state, options);
    case 'TerminateCase':
      return terminateCase(command, state, options);
    case 'ReceiveTokens':
      return receiveTokens(command, state, options);
    case 'DiscardTokens':
      return discardTokens(command, state, options);
    case 'PreexecuteTask':
      return preexecuteTask(command, state, options);
    case 'ForceAbandonTask':
      return forceAbandonTask(command, state, options);
    case 'UpdateWorkitem': {
      const { caseId, workitemId, state: to, output, at } = command.data;
      return updateWorkitem(caseId, workitemId, to, output ?? null, at, state, options);
    }
    case 'CompleteWorkitem': {
      const { caseId, workitemId, output, at, actor } = command.data;
      return updateWorkitem(caseId, workitemId, 'completed', output, at, state, options, actor);
    }
    case 'AbandonWorkitem': {
      const { caseId, workitemId, at, actor } = command.data;
      return updateWorkitem(caseId, workitemId, 'abandoned', null, at, state, options, actor);
    }
    case 'ClaimWorkitem':
      return claimWorkitem(command, state, options);
    case 'ReleaseWorkitem':
      return releaseWorkitem(command, state, options);
    case 'ResolveIncident':
      return resolveIncident(command, state, options);
    case 'FireTimer':
      return fireTimer(command, state, options);
    case 'FailWorkitem':
      return failWorkitem(command, state, options);
    default: {
      const unknown: never = command;
      throw new ValidationError(
        'validation_failed',
        `unknown case command ${(unknown as { type: string }).type}`,
      );
    }
  }
}
