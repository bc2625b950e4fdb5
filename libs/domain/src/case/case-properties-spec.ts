import { expect } from '@jest/globals';
import { splitKinds } from '../net/kinds.js';
import { netOf } from '../net/net.js';
import { canAllocate, isLive, settledOutcome } from '../task/task.js';
import { isOpen } from '../workitem/workitem.js';
import type { CommandPick } from '../testing/arbitraries.js';
import { isDomainRefusal, resolvePick, stepTime } from '../testing/arbitraries.js';
import { replay } from '../testing/case-harness.js';
import { durationMillis } from '../testing/timing.js';
import { retryPolicyOf, TIMER_EXECUTOR } from '../net/timing.js';
import { decideCase } from './decide.js';
import type { CaseDeciderOptions } from './decide.js';
import { caseFromSnapshot, caseToSnapshot } from './decider.js';
import type { CaseEvent } from './events.js';
import { TERMINATION } from './events.js';
import { foldCase, foldCaseWithEnded, initialCaseState } from './evolve.js';
import type { CaseData, CaseState, Task, Workitem } from './state.js';
import type { CaseCommand } from './commands.js';

/** What the case property specs share: a random play of commands checked against every invariant after each. */
export const NUM_RUNS = 1000;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const json = (state: CaseState): string => JSON.stringify(caseToSnapshot(state));

/** Plain data, or a map of plain data with its entries in key order, as JSON: the same text, the same data. */
const canonical = (value: unknown): string =>
  JSON.stringify(
    value instanceof Map ? [...(value as Map<string, unknown>)].sort(([a], [b]) => (a < b ? -1 : 1)) : value,
  );

/**
 * `expect(actual).toEqual(expected)`, asked only when the canonical JSON differs: equal JSON of plain data
 * implies `toEqual`'s equality, and a matcher call costs far more (it captures a stack) than the comparison.
 */
function equal(actual: unknown, expected: unknown): void {
  if (canonical(actual) !== canonical(expected)) expect(actual).toEqual(expected);
}

/** Compares as JSON first, which is fast; `toEqual` then gives a readable diff (and ignores map order). */
function sameState(actual: CaseState, expected: CaseState, what: string): void {
  if (json(actual) !== json(expected)) {
    expect({ what, state: actual }).toEqual({ what, state: expected });
  }
}

/** The invariants of the token game that hold after every accepted command. */
function checkInvariants(state: CaseData, everConsumed: Set<string>): void {
  const net = netOf(state.definition);
  const places = new Set([
    ...state.definition.places.map((p) => p.id),
    ...state.definition.transitions.flatMap((t) => net.orBlockOf(t.id, 'join')?.controlPlace ?? []),
  ]);
  const tasks = [...state.tasks.values()];
  const live = tasks.filter(isLive);

  for (const token of state.tokens.values()) {
    const where = `token ${token.id} (${token.state})`;
    check(places.has(token.placeId), `${where} sits in unknown place ${token.placeId}`);
    switch (token.state) {
      case 'free':
        check(
          token.lockedByTaskId === null && token.consumedByTaskId === null,
          `${where} has a locker or consumer`,
        );
        break;
      case 'locked': {
        check(token.consumedByTaskId === null, `${where} has a consumer`);
        const locker = token.lockedByTaskId === null ? undefined : state.tasks.get(token.lockedByTaskId);
        check(locker !== undefined, `${where} has no locking task`);
        check(locker.locked.includes(token.id), `${where}: its locker does not list it`);
        // rule 11: a terminated case leaves its locks with the tasks it abandoned.
        if (state.status === 'terminated') {
          check(
            locker.state === 'abandoned' && locker.abandonReason === 'case_ended',
            `${where}: locker ${locker.id} should have been abandoned by the termination`,
          );
        } else {
          check(locker.state === 'executing', `${where}: locker ${locker.id} is ${locker.state}`);
        }
        break;
      }
      case 'consumed':
        check(token.consumedByTaskId !== null, `${where} has no consumer`);
        everConsumed.add(token.id);
        break;
      default: {
        const unknown: never = token.state;
        throw new Error(`token ${token.id} in state ${String(unknown)}`);
      }
    }
  }
  for (const id of everConsumed) {
    check(state.tokens.get(id)?.state === 'consumed', `consumed token ${id} was revived`);
  }

  // rule 2: at most one live task per transition, and the index of live tasks agrees.
  const liveByTransition = new Map<string, string>();
  for (const task of live) {
    check(!liveByTransition.has(task.transitionId), `two live tasks of ${task.transitionId}`);
    liveByTransition.set(task.transitionId, task.id);
  }
  equal([...state.liveTaskOf].sort(), [...liveByTransition].sort());

  for (const task of live) {
    for (const id of task.locked) {
      check(state.tokens.get(id)?.lockedByTaskId === task.id, `task ${task.id} lists ${id} it does not lock`);
      check(state.tokens.get(id)?.state === 'locked', `live task ${task.id} lists unlocked ${id}`);
    }
    check(task.workitemIds.length <= 1, `task ${task.id} has ${task.workitemIds.length} workitems`);
    // rule 7: a task left with no offered token is abandoned.
    check(task.offered.length > 0, `live task ${task.id} was left with no offered token`);
    check(new Set(task.offered).size === task.offered.length, `task ${task.id} was offered a token twice`);
  }
  for (const incident of state.incidents.values()) {
    const task = state.tasks.get(incident.taskId);
    check(task !== undefined && isLive(task), `incident ${incident.id} outlives its task ${incident.taskId}`);
    if (incident.kind === 'condition_failed') {
      check(task.state === 'executing', `task ${task.id} with a condition_failed incident is ${task.state}`);
    }
  }
  for (const workitem of state.workitems.values()) {
    if (isOpen(workitem)) {
      check(isLive(state.tasks.get(workitem.taskId)!), `open workitem ${workitem.id} of an ended task`);
    }
  }

  checkTimerOwners(state);

  switch (state.status) {
    case 'active': {
      // rules 2 and 9, read as an invariant: a case never stalls on a free token.
      for (const token of state.tokens.values()) {
        if (token.state !== 'free') continue;
        for (const transitionId of net.consumers(token.placeId)) {
          const taskId = state.liveTaskOf.get(transitionId);
          check(
            taskId !== undefined && state.tasks.get(taskId)!.offered.includes(token.id),
            `free ${token.id} is not offered to a live task of ${transitionId}`,
          );
        }
      }
      // The cascade ran to quiescence: nothing left to allocate (rule 3), settle (6, 8) or withdraw (7).
      const tokenOf = (id: string) => state.tokens.get(id)!;
      const withIncident = new Set([...state.incidents.values()].map((incident) => incident.taskId));
      for (const task of live) {
        check(!canAllocate(net, task, tokenOf), `task ${task.id} could allocate but did not`);
        const offeredPlaces = new Set(task.offered.map((id) => tokenOf(id).placeId));
        check(
          task.state !== 'started' || neededPlaces(state, task)?.every((p) => offeredPlaces.has(p)) !== true,
          `task ${task.id} is offered all it needs but was not allocated`,
        );
        const workitems = task.workitemIds.map((id) => state.workitems.get(id)!);
        // An incident holds its task, and only its task, where it was: executing, its tokens locked.
        check(
          withIncident.has(task.id) || settledOutcome(task, workitems) === 'wait',
          `task ${task.id} should have settled`,
        );
        for (const id of task.offered) {
          check(state.tokens.get(id)!.state !== 'consumed', `task ${task.id} still holds consumed ${id}`);
        }
      }
      break;
    }
    case 'finished': {
      // rule 10.
      const terminal = [...state.tokens.values()].filter((t) => t.consumedByTaskId === TERMINATION);
      check(terminal.length === 1, `a finished case has ${terminal.length} tokens consumed by termination`);
      check(terminal[0]!.placeId === net.endPlaceId, 'the termination consumed a token outside end');
      check(
        [...state.tokens.values()].every((t) => t.state === 'consumed'),
        'a finished case has unconsumed tokens',
      );
      check(live.length === 0, 'a finished case has live tasks');
      check(state.incidents.size === 0, 'a finished case has open incidents');
      break;
    }
    case 'terminated':
      check(live.length === 0, 'a terminated case has live tasks');
      check(state.incidents.size === 0, 'a terminated case has open incidents');
      check(![...state.workitems.values()].some(isOpen), 'a terminated case has open workitems');
      break;
    case 'created':
      throw new Error('a case is never left created');
    default: {
      const unknown: never = state.status;
      throw new Error(`case status ${String(unknown)}`);
    }
  }
}

/**
 * Every pending timer has a live owner: the case's own timer an active case; a workitem's timer an open
 * workitem of a live task with no open incident, and `scheduleToStart` a workitem still `created`. An
 * owner has at most one pending timer of a kind, and none bounding an attempt while its retry waits.
 */
function checkTimerOwners(state: CaseData): void {
  const kinds = new Set<string>();
  for (const timer of state.timers.values()) {
    const key = `${timer.workitemId}/${timer.kind}`;
    check(!kinds.has(key), `two pending ${timer.kind} timers of ${timer.workitemId ?? 'the case'}`);
    kinds.add(key);
  }
  for (const timer of state.timers.values()) {
    // An attempt waiting for its retry is not running: nothing bounds it yet.
    if (timer.kind === 'scheduleToStart' || timer.kind === 'startToClose') {
      check(!kinds.has(`${timer.workitemId}/retry`), `${timer.kind} timer ${timer.id} while a retry waits`);
    }
  }
  for (const timer of state.timers.values()) {
    const where = `pending timer ${timer.id} (${timer.kind})`;
    check(state.status === 'active', `${where} in a ${state.status} case`);
    if (timer.kind === 'case') {
      check(timer.workitemId === null, `${where} has a workitem`);
      continue;
    }
    const workitem = timer.workitemId === null ? undefined : state.workitems.get(timer.workitemId);
    check(workitem !== undefined && isOpen(workitem), `${where}: its workitem ${timer.workitemId} has ended`);
    check(timer.taskId === workitem.taskId, `${where} names task ${timer.taskId}, not ${workitem.taskId}`);
    check(isLive(state.tasks.get(workitem.taskId)!), `${where}: its task has ended`);
    check(
      ![...state.incidents.values()].some((incident) => incident.taskId === workitem.taskId),
      `${where}: an incident holds its task ${workitem.taskId}`,
    );
    if (timer.kind === 'scheduleToStart') {
      check(workitem.state === 'created', `${where}: its workitem is ${workitem.state}`);
    }
    if (timer.kind === 'executor') {
      check(workitem.executor === TIMER_EXECUTOR, `${where} on a ${workitem.executor} workitem`);
    }
  }
}

/** `from` plus a `PnDTnHnMnS` duration, in milliseconds. */
const plus = (from: string, duration: string): number => Date.parse(from) + durationMillis(duration)!;

/**
 * What an accepted command did with timers and attempts, read against the state it met (`before`, the
 * fold keeping what has ended). A timer fires only from `FireTimer` naming it, pending and due; an attempt
 * is the one after the last; the policy retries a retryable error while attempts are left, after the
 * interval it sets, and otherwise an `executor_failed` incident follows.
 */
function checkTimerEvents(
  before: CaseData,
  command: CaseCommand,
  events: readonly CaseEvent[],
  operatorRetried: ReadonlySet<string>,
): void {
  const { at } = command.data;
  const fired = events.filter((e) => e.type === 'TimerFired');
  if (command.type === 'FireTimer') {
    const timer = before.timers.get(command.data.timerId);
    const due = timer !== undefined && Date.parse(at) >= Date.parse(timer.dueAt);
    check(
      due || events.length === 0,
      `FireTimer of a timer not pending and due recorded ${events.length} events`,
    );
    check(!due || fired.length === 1, `FireTimer of a due timer recorded ${fired.length} TimerFired`);
  } else {
    check(fired.length === 0, `${command.type} fired a timer`);
  }
  for (const { data } of fired) {
    const timer = before.timers.get(data.timerId);
    check(timer !== undefined, `timer ${data.timerId} fired but was not pending`);
    check(
      Date.parse(at) >= Date.parse(timer.dueAt),
      `timer ${timer.id} fired at ${at}, before ${timer.dueAt}`,
    );
    check(
      data.kind === timer.kind && data.workitemId === timer.workitemId,
      `timer ${timer.id} fired as another`,
    );
    const owner = timer.workitemId === null ? undefined : before.workitems.get(timer.workitemId);
    check(
      timer.workitemId === null || (owner !== undefined && isOpen(owner)),
      `timer ${timer.id} fired after its owner ended`,
    );
  }
  events.forEach((event, i) => {
    if (event.type !== 'WorkitemFailed') return;
    const { workitemId, attempt, error, retryAt } = event.data;
    const workitem = before.workitems.get(workitemId)!;
    const policy = retryPolicyOf(before.definition.transitions.find((t) => t.id === workitem.transitionId)!);
    check(
      attempt === (before.attempts.get(workitemId)?.attempts ?? 0) + 1,
      `workitem ${workitemId} failed attempt ${attempt} after ${before.attempts.get(workitemId)?.attempts ?? 0}`,
    );
    const limited = policy.maximumAttempts !== 0;
    check(
      !limited || attempt <= policy.maximumAttempts || operatorRetried.has(workitemId),
      `workitem ${workitemId} ran attempt ${attempt} of ${policy.maximumAttempts} with no operator's retry`,
    );
    const retries =
      error.retryable &&
      !policy.nonRetryableErrorTypes.includes(error.type) &&
      (!limited || attempt < policy.maximumAttempts);
    if (!retries) {
      check(retryAt === null, `workitem ${workitemId} is retried against its policy`);
      const next = events[i + 1];
      check(
        next?.type === 'IncidentRaised' && next.data.kind === 'executor_failed',
        `attempt ${attempt} of ${workitemId} failed for good without an incident`,
      );
      return;
    }
    const wait = Math.min(
      (plus(at, policy.initialInterval) - Date.parse(at)) * policy.backoffCoefficient ** (attempt - 1),
      plus(at, policy.maximumInterval) - Date.parse(at),
    );
    check(
      retryAt !== null && Date.parse(retryAt) === Date.parse(at) + Math.round(wait),
      `workitem ${workitemId} retries at ${retryAt}, ${wait} ms after ${at} expected`,
    );
    check(
      events.some(
        (e) =>
          e.type === 'TimerScheduled' &&
          e.data.kind === 'retry' &&
          e.data.workitemId === workitemId &&
          e.data.dueAt === retryAt,
      ),
      `no retry timer for ${workitemId} at ${retryAt}`,
    );
  });
}

/**
 * The places a task needs a token from, read from the rules rather than the engine: every input place, but
 * an or join needs its control token and a token of each branch that token names, no other; `undefined`
 * for an or join not offered a control token.
 */
function neededPlaces(state: CaseData, task: Task): readonly string[] | undefined {
  const net = netOf(state.definition);
  const block = net.orBlockOf(task.transitionId, 'join');
  if (!block) return net.inputPlaces(task.transitionId);
  const control = task.offered
    .map((id) => state.tokens.get(id)!)
    .find((t) => t.placeId === block.controlPlace);
  if (!control) return undefined;
  const named = (control.payload as { branches?: string[] }).branches ?? [];
  return [block.controlPlace, ...block.branches.filter((b) => named.includes(b.output)).map((b) => b.input)];
}

/** The state keeps exactly what can still change; what has ended is only in `full`, the fold that keeps it. */
function checkPruned(state: CaseData, full: CaseData, history: readonly CaseEvent[]): void {
  const live = [...full.tasks.values()].filter(isLive);
  equal(state.counts, {
    tokens: full.tokens.size,
    tasks: full.tasks.size,
    workitems: full.workitems.size,
    incidents: history.filter((e) => e.type === 'IncidentRaised').length,
    timers: history.filter((e) => e.type === 'TimerScheduled').length,
  });
  // Only pending timers are kept, in both folds.
  equal(state.timers, full.timers);
  // Only open incidents are kept, in both folds.
  equal(state.incidents, full.incidents);
  equal(state.tokens, new Map([...full.tokens].filter(([, token]) => token.state !== 'consumed')));
  equal(state.tasks, new Map(live.map((task) => [task.id, task])));
  equal(
    state.workitems,
    new Map(live.flatMap((task) => task.workitemIds.map((id) => [id, full.workitems.get(id)!]))),
  );
}

/**
 * Every completion of a split that decides records a route the split can take, and the tokens it issues go
 * exactly there (and, for an or split closed by a join, one control token naming the route); any other
 * completion records none.
 */
function checkRoutes(definition: CaseData['definition'], history: readonly CaseEvent[]): void {
  const net = netOf(definition);
  const transitionOf = new Map<string, string>();
  history.forEach((event, i) => {
    if (event.type === 'TaskStarted') transitionOf.set(event.data.taskId, event.data.transitionId);
    if (event.type !== 'TaskCompleted') return;
    const transition = net.transition(transitionOf.get(event.data.taskId)!);
    const { decides } = splitKinds[transition.splitType];
    const { route } = event.data;
    if (decides === 'none') {
      check(route === undefined, `${transition.id} does not decide but recorded a route`);
      return;
    }
    check(route !== undefined, `${transition.id} decides but recorded no route`);
    const outputs = net.outputPlaces(transition.id);
    check(
      route.placeIds.length > 0 &&
        route.placeIds.every((p) => outputs.includes(p)) &&
        (decides === 'every' || route.placeIds.length === 1),
      `${transition.id} took route ${route.placeIds.join(', ')}`,
    );
    const issued = history[i + 1];
    check(issued?.type === 'TokensIssued', `${transition.id} completed without issuing tokens`);
    const block = net.orBlockOf(transition.id, 'split');
    expect(issued.data.tokens.map((t) => [t.placeId, t.producedByTaskId])).toEqual([
      ...route.placeIds.map((p) => [p, event.data.taskId]),
      ...(block ? [[block.controlPlace, event.data.taskId]] : []),
    ]);
  });
}

/**
 * What the rules say a command in this state must be refused with (any one of the codes, or the error name
 * for NotFoundError), or `undefined` when it must be accepted. Written from domain.md, apart from decide.
 */
function expectedRefusal(state: CaseData, command: CaseCommand): readonly string[] | undefined {
  if (command.type === 'CreateCase') return ['already_exists'];
  // An id that names nothing is not found, then an ended task or workitem says so, then the case refuses.
  const caseRefusal = state.status === 'active' ? undefined : ['case_not_available'];
  const net = netOf(state.definition);
  const lockRefusal = (task: Task): readonly string[] | undefined => {
    if (task.state === 'executing') return undefined;
    if (task.state !== 'allocated') return ['task_not_enabled'];
    const codes = new Set<string>();
    const needed = neededPlaces(state, task);
    if (!needed) return ['task_not_enabled'];
    for (const placeId of needed) {
      const inPlace = task.offered.map((id) => state.tokens.get(id)!).filter((t) => t.placeId === placeId);
      if (inPlace.length === 0) codes.add('task_not_enabled');
      else if (!inPlace.some((t) => t.state === 'free')) codes.add('tokens_not_available');
    }
    return codes.size > 0 ? [...codes] : undefined;
  };
  const liveTask = (taskId: string): Task | readonly string[] => {
    const task = state.tasks.get(taskId);
    if (!task) return ['NotFoundError'];
    if (!isLive(task)) return ['task_not_available'];
    return caseRefusal ?? task;
  };
  const openWorkitem = (workitemId: string): Workitem | readonly string[] => {
    const workitem = state.workitems.get(workitemId);
    if (!workitem) return ['NotFoundError'];
    if (!isOpen(workitem)) return ['workitem_not_available'];
    return caseRefusal ?? workitem;
  };
  const isTask = (x: Task | readonly string[]): x is Task => !Array.isArray(x);
  const isWorkitem = (x: Workitem | readonly string[]): x is Workitem => !Array.isArray(x);

  switch (command.type) {
    case 'TerminateCase':
      return caseRefusal;
    case 'PreexecuteTask': {
      // Addressed to a workitem, it is its task's; locking acts on the case's tokens, so an ended case
      // refuses it before the task can.
      const { data } = command;
      const taskId = 'taskId' in data ? data.taskId : state.workitems.get(data.workitemId)?.taskId;
      const task = taskId === undefined ? undefined : state.tasks.get(taskId);
      return task ? (caseRefusal ?? lockRefusal(task)) : ['NotFoundError'];
    }
    case 'ForceAbandonTask': {
      const task = liveTask(command.data.taskId);
      return isTask(task) ? undefined : task;
    }
    case 'CompleteWorkitem':
    case 'AbandonWorkitem':
    case 'UpdateWorkitem': {
      const workitem = openWorkitem(command.data.workitemId);
      if (!isWorkitem(workitem)) return workitem;
      const completes =
        command.type === 'CompleteWorkitem' ||
        (command.type === 'UpdateWorkitem' && command.data.state === 'completed');
      return completes ? lockRefusal(state.tasks.get(workitem.taskId)!) : undefined;
    }
    case 'ClaimWorkitem':
    case 'ReleaseWorkitem': {
      const workitem = openWorkitem(command.data.workitemId);
      return isWorkitem(workitem) ? undefined : workitem;
    }
    case 'ReceiveTokens': {
      const task = liveTask(command.data.taskId);
      if (!isTask(task)) return task;
      for (const id of new Set(command.data.tokenIds)) {
        const token = state.tokens.get(id);
        if (!token) return ['NotFoundError'];
        // A consumed token has left the case state, so where it sat is not known when it is refused.
        if (token.state === 'consumed') return ['tokens_not_available'];
        if (!net.inputPlaces(task.transitionId).includes(token.placeId)) return ['validation_failed'];
      }
      return undefined;
    }
    case 'DiscardTokens': {
      const task = liveTask(command.data.taskId);
      if (!isTask(task)) return task;
      const mayGiveUp = (id: string): boolean => {
        const token = state.tokens.get(id)!;
        return token.state === 'locked' && token.lockedByTaskId !== task.id;
      };
      return command.data.tokenIds.every((id) => !task.offered.includes(id) || mayGiveUp(id))
        ? undefined
        : ['tokens_not_available'];
    }
    case 'ResolveIncident': {
      const { incidentId, resolution } = command.data;
      if (!madeIds(state, 'incident').includes(incidentId)) return ['NotFoundError'];
      const incident = state.incidents.get(incidentId);
      if (!incident) return ['incident_not_open'];
      const task = state.tasks.get(incident.taskId)!;
      switch (resolution.action) {
        case 'retry':
        case 'abandon':
          return undefined;
        case 'complete': {
          const workitem =
            incident.workitemId === null ? undefined : state.workitems.get(incident.workitemId);
          return workitem && isOpen(workitem) ? lockRefusal(task) : ['validation_failed'];
        }
        case 'route': {
          const { splitType } = state.definition.transitions.find((t) => t.id === task.transitionId)!;
          const outputs = net.outputPlaces(task.transitionId);
          const { placeIds } = resolution;
          const fits =
            incident.kind === 'condition_failed' &&
            placeIds.length > 0 &&
            new Set(placeIds).size === placeIds.length &&
            placeIds.every((id) => outputs.includes(id)) &&
            (splitKinds[splitType].decides === 'every' || placeIds.length === 1);
          return fits ? undefined : ['validation_failed'];
        }
        default: {
          const unknown: never = resolution;
          throw new Error(`unknown resolution ${JSON.stringify(unknown)}`);
        }
      }
    }
    case 'FireTimer': {
      const { timerId, at } = command.data;
      if (!madeIds(state, 'timer').includes(timerId)) return ['NotFoundError'];
      const timer = state.timers.get(timerId);
      // Fired, cancelled or not yet due: accepted, with no effect.
      if (!timer || Date.parse(at) < Date.parse(timer.dueAt)) return undefined;
      if (caseRefusal) return caseRefusal;
      const workitem = timer.workitemId === null ? undefined : state.workitems.get(timer.workitemId);
      return timer.kind === 'executor' && workitem
        ? lockRefusal(state.tasks.get(workitem.taskId)!)
        : undefined;
    }
    case 'FailWorkitem': {
      if (!Number.isInteger(command.data.attempt) || command.data.attempt < 1) return ['validation_failed'];
      const workitem = openWorkitem(command.data.workitemId);
      if (!isWorkitem(workitem)) return workitem;
      const failures = state.attempts.get(workitem.id)?.attempts ?? 0;
      const waitsForRetry = [...state.timers.values()].some(
        (t) => t.kind === 'retry' && t.workitemId === workitem.id,
      );
      const heldByIncident = [...state.incidents.values()].some((i) => i.taskId === workitem.taskId);
      return command.data.attempt !== failures + 1 || waitsForRetry || heldByIncident
        ? ['workitem_not_available']
        : undefined;
    }
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

/** The ids of the incidents or timers the case has made, ended ones included. */
const madeIds = (state: CaseData, entity: 'incident' | 'timer'): string[] =>
  Array.from({ length: state.counts[`${entity}s`] }, (_, i) => `${state.caseId}:${entity}-${i + 1}`);

const refusalOf = (error: unknown): string => {
  const { code, name } = error as { code?: string; name?: string };
  return code ?? name ?? String(error);
};

/**
 * Sends the picks one by one; `state` is the incremental fold, one fold per accepted command's batch, and
 * `full` the same fold keeping what has ended, from which commands pick their ids and the rules are read.
 * The i-th pick is sent at `times[i]`, by default one second after the one before.
 */
export function playAndCheck(
  definition: CaseData['definition'],
  picks: readonly CommandPick[],
  options: CaseDeciderOptions = {},
  times: readonly string[] = picks.map((_, i) => stepTime(i + 1)),
): void {
  const created = decideCase(
    {
      type: 'CreateCase',
      data: { caseId: 'c1', workflow: { definition, state: 'active' }, data: { n: 1 }, at: stepTime(0) },
    },
    initialCaseState(),
    options,
  );
  const history: CaseEvent[] = [...created];
  let state = foldCase(initialCaseState(), created) as CaseData;
  let full = foldCaseWithEnded(initialCaseState(), created) as CaseData;
  const everConsumed = new Set<string>();
  const operatorRetried = new Set<string>();
  checkInvariants(full, everConsumed);
  checkPruned(state, full, history);
  // The history replayed one event at a time; folds are pure, so carrying it on from the last step is
  // replaying the whole history again (which the end does once from scratch).
  let replayed = replay(history);
  sameState(replayed, state, 'replay after creation');

  for (const [i, pick] of picks.entries()) {
    const command = resolvePick(full, pick, times[i]!);
    const before = json(state);
    const refusal = expectedRefusal(full, command);
    let events: readonly CaseEvent[];
    try {
      events = decideCase(command, state, options);
    } catch (error) {
      check(isDomainRefusal(error), `${command.type} failed with ${String(error)}`);
      check(
        refusal?.includes(refusalOf(error)) === true,
        `${JSON.stringify(command)} refused with ${refusalOf(error)}, expected ${refusal ? refusal.join(' or ') : 'acceptance'}`,
      );
      check(json(state) === before, `refused ${command.type} changed the state`);
      continue;
    }
    check(
      refusal === undefined,
      `${JSON.stringify(command)} was accepted, expected ${refusal?.join(' or ')}`,
    );
    check(json(state) === before, `${command.type} changed the state it decided on`);
    checkTimerEvents(full, command, events, operatorRetried);
    if (command.type === 'ResolveIncident' && command.data.resolution.action === 'retry') {
      const workitemId = full.incidents.get(command.data.incidentId)?.workitemId;
      if (workitemId) operatorRetried.add(workitemId);
    }
    const previous = full;
    state = foldCase(state, events) as CaseData;
    full = foldCaseWithEnded(full, events) as CaseData;
    history.push(...events);
    if (events.some((e) => e.type === 'CaseTerminated')) {
      // rule 11: terminating (or the case timing out) abandons the work but moves no token, locked ones included.
      expect(full.tokens).toEqual(previous.tokens);
    }
    checkInvariants(full, everConsumed);
    checkPruned(state, full, history);
    for (const event of events) replayed = foldCase(replayed, [event]);
    sameState(replayed, state, `replay after step ${i}`);
  }

  sameState(replay(history), state, 'replay of the whole history');

  sameState(
    caseFromSnapshot(JSON.parse(JSON.stringify(caseToSnapshot(state)))),
    state,
    'snapshot round trip',
  );
  checkRoutes(definition, history);
}
