import { CASE_STREAM_PREFIX, DEFAULT_SPLIT_TYPE, splitKinds } from '@wfnet/domain';
import type { RecordedEvent } from '@wfnet/domain';
import type { NetBody } from './matrix-nets.js';

// An audit of the event store that shares no code with the engine: it folds each case's stream by the
// domain's rules as written in the spec and checks them event by event, and checks the whole state of
// every case against the net's state equation. Only what each split kind marks comes from the domain,
// from its table of kinds: the spec as data.

/** A transition as the audit needs it: its executor, input places (pre) and output places (post). */
export interface TransitionShape {
  readonly executor: string;
  readonly pre: readonly string[];
  readonly post: readonly string[];
  /** The output places one firing may mark, one list per way its split can go (`none`, `and`: one way). */
  readonly marks: readonly (readonly string[])[];
}

export interface NetShape {
  readonly id: string;
  readonly places: readonly string[];
  readonly transitions: ReadonlyMap<string, TransitionShape>;
  /** The transitions each place feeds. */
  readonly consumers: ReadonlyMap<string, readonly string[]>;
}

/** Pre and post sets read off the net's arcs; one token per arc either way (the nets have no weights). */
export function netShape(net: NetBody): NetShape {
  const places = net.places.map((p) => p.id);
  const transitions = new Map(
    net.transitions.map((t) => {
      const post = net.arcs.filter((a) => a.from === t.id).map((a) => a.to);
      const shape: TransitionShape = {
        executor: t.executor,
        pre: net.arcs.filter((a) => a.to === t.id).map((a) => a.from),
        post,
        marks: splitKinds[t.splitType ?? DEFAULT_SPLIT_TYPE].firings(post),
      };
      return [t.id, shape];
    }),
  );
  const consumers = new Map(
    places.map((p) => [p, net.arcs.filter((a) => a.from === p && transitions.has(a.to)).map((a) => a.to)]),
  );
  return { id: net.id, places, transitions, consumers };
}

const TERMINATION = 'termination';
const GENESIS = 'genesis';
const START = 'start';
const END = 'end';

type TokenState = 'free' | 'locked' | 'consumed';
type TaskState = 'started' | 'allocated' | 'executing' | 'completed' | 'abandoned';
type WorkitemState = 'created' | 'started' | 'completed' | 'abandoned';

export interface AuditedToken {
  readonly placeId: string;
  readonly producedBy: string;
  state: TokenState;
  lockedBy: string | null;
  consumedBy: string | null;
}

export interface AuditedTask {
  readonly transitionId: string;
  state: TaskState;
  readonly offered: Set<string>;
  readonly locked: Set<string>;
  /** Whether the task ever held its tokens locked (a preexecute that was stored). */
  lockedEver: boolean;
  readonly workitems: string[];
}

export interface AuditedWorkitem {
  readonly taskId: string;
  readonly transitionId: string;
  readonly executor: string;
  state: WorkitemState;
  output: unknown;
}

export interface AuditedTimer {
  readonly kind: string;
  readonly dueAt: string;
  readonly workitemId: string | null;
  state: 'pending' | 'fired' | 'cancelled';
  /** The `at` of its `TimerFired`. */
  firedAt: string | null;
}

export interface AuditedFailure {
  readonly attempt: number;
  /** When the failure was recorded (the command's time). */
  readonly at: string;
  readonly retryAt: string | null;
  /** What the attempt failed with, as the executor or the dispatcher told it. */
  readonly error: unknown;
}

export interface AuditedCase {
  readonly id: string;
  readonly workflowId: string;
  readonly shape: NetShape;
  status: 'created' | 'active' | 'finished' | 'terminated';
  revision: bigint;
  finishedEvents: number;
  terminations: number;
  readonly tokens: Map<string, AuditedToken>;
  readonly tasks: Map<string, AuditedTask>;
  readonly workitems: Map<string, AuditedWorkitem>;
  readonly timers: Map<string, AuditedTimer>;
  /** The failed attempts of each workitem that failed, in order. */
  readonly failures: Map<string, AuditedFailure[]>;
}

const LIVE: ReadonlySet<TaskState> = new Set(['started', 'allocated', 'executing']);
const OPEN: ReadonlySet<WorkitemState> = new Set(['created', 'started']);
const NEXT_WORKITEM_STATES: Record<WorkitemState, readonly WorkitemState[]> = {
  created: ['started', 'completed', 'abandoned'],
  started: ['completed', 'abandoned'],
  completed: [],
  abandoned: [],
};

const isLive = (task: AuditedTask): boolean => LIVE.has(task.state);
const isOpen = (workitem: AuditedWorkitem): boolean => OPEN.has(workitem.state);
export const isEnded = (c: AuditedCase): boolean => c.status === 'finished' || c.status === 'terminated';

/** The fields of case events the audit reads; each event type carries its own subset. */
interface CaseEventData {
  readonly caseId: string;
  readonly workflowId: string;
  readonly taskId: string;
  readonly transitionId: string;
  readonly workitemId: string;
  readonly executor: string;
  readonly state: WorkitemState;
  readonly output: unknown;
  readonly reason: 'forced' | 'workitems_abandoned' | 'tokens_withdrawn' | 'case_ended';
  readonly tokenIds: readonly string[];
  readonly timerId: string;
  readonly kind: string;
  readonly dueAt: string;
  readonly at: string;
  readonly attempt: number;
  readonly retryAt: string | null;
  readonly error: unknown;
  readonly tokens: readonly {
    readonly id: string;
    readonly placeId: string;
    readonly producedByTaskId: string;
  }[];
}

const sorted = (items: Iterable<string>): string => [...items].sort().join(',');

const stateOf = (token: AuditedToken): string =>
  token.state === 'free' ? 'free' : `${token.state} by ${token.lockedBy ?? token.consumedBy}`;

/** Folds the store's events, case by case, as they are read; incremental from `position`. */
export class StoreAudit {
  readonly cases = new Map<string, AuditedCase>();
  /** The position of the last event applied. */
  position = 0n;
  events = 0;
  #violations: string[] = [];

  constructor(private readonly shapes: ReadonlyMap<string, NetShape>) {}

  /** Applies events in position order; events at or below `position` are skipped. */
  apply(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      if (event.position <= this.position) continue;
      this.position = event.position;
      this.events++;
      if (event.streamId.startsWith(CASE_STREAM_PREFIX)) this.#applyCase(event);
    }
  }

  /** What broke a rule, event by event, since the last call. */
  takeViolations(): string[] {
    const taken = this.#violations;
    this.#violations = [];
    return taken;
  }

  /**
   * The whole state of every case: the state equation per place, the consumption and production of
   * each completed task, and what a finished case must look like.
   */
  conservation(): string[] {
    const broken: string[] = [];
    for (const c of this.cases.values()) broken.push(...checkCase(c).map((why) => `${describe(c)}: ${why}`));
    return broken;
  }

  /**
   * Cases not at rest, each with why: a case rests when it is ended, or when its only open work is
   * `started` manual workitems and every free token is offered to a live task of every transition of
   * its place. Anything else is work the service still has to do (or a stall).
   */
  moving(): { readonly caseId: string; readonly why: string }[] {
    const moving: { caseId: string; why: string }[] = [];
    for (const c of this.cases.values()) {
      const why = unrest(c);
      if (why !== undefined) moving.push({ caseId: c.id, why });
    }
    return moving;
  }

  #fail(caseId: string, event: RecordedEvent, why: string): void {
    this.#violations.push(
      `case ${caseId}, ${event.type} at revision ${event.revision} (position ${event.position}): ${why}`,
    );
  }

  #applyCase(event: RecordedEvent): void {
    const data = event.data as CaseEventData;
    const fail = (why: string) => this.#fail(data.caseId, event, why);
    if (event.type === 'CaseCreated') {
      if (this.cases.has(data.caseId)) return fail('the case was created twice');
      const shape = this.shapes.get(data.workflowId);
      if (!shape) return fail(`workflow ${data.workflowId} is not one of the matrix's nets`);
      if (event.revision !== 0n) fail('the stream does not begin with CaseCreated');
      this.cases.set(data.caseId, {
        id: data.caseId,
        workflowId: data.workflowId,
        shape,
        status: 'created',
        revision: event.revision,
        finishedEvents: 0,
        terminations: 0,
        tokens: new Map(),
        tasks: new Map(),
        workitems: new Map(),
        timers: new Map(),
        failures: new Map(),
      });
      return;
    }
    const c = this.cases.get(data.caseId);
    if (!c) return fail('an event before CaseCreated');
    if (event.revision !== c.revision + 1n) fail(`revision ${event.revision} follows ${c.revision}`);
    c.revision = event.revision;
    if (isEnded(c)) fail(`the case moved after it was ${c.status}`);
    const token = (id: string): AuditedToken | undefined => {
      const found = c.tokens.get(id);
      if (!found) fail(`token ${id} was never issued`);
      return found;
    };
    const task = (id: string): AuditedTask | undefined => {
      const found = c.tasks.get(id);
      if (!found) fail(`task ${id} was never started`);
      return found;
    };
    const transition = (t: AuditedTask): TransitionShape => c.shape.transitions.get(t.transitionId)!;

    switch (event.type) {
      case 'CaseActivated':
        if (c.status !== 'created') fail(`activated while ${c.status}`);
        c.status = 'active';
        break;
      case 'TokensIssued':
        for (const { id, placeId, producedByTaskId } of data.tokens) {
          if (c.tokens.has(id)) fail(`token ${id} was issued twice`);
          if (!c.shape.places.includes(placeId)) fail(`token ${id} issued into unknown place ${placeId}`);
          if (producedByTaskId === GENESIS) {
            if (placeId !== START) fail(`the genesis token ${id} is in ${placeId}`);
          } else {
            const producer = c.tasks.get(producedByTaskId);
            if (producer?.state !== 'completed')
              fail(`token ${id} produced by task ${producedByTaskId} that has not completed`);
            else if (!transition(producer).post.includes(placeId))
              fail(`token ${id} produced by ${producer.transitionId} into ${placeId}, not an output place`);
          }
          c.tokens.set(id, {
            placeId,
            producedBy: producedByTaskId,
            state: 'free',
            lockedBy: null,
            consumedBy: null,
          });
        }
        break;
      case 'TaskStarted': {
        if (!c.shape.transitions.has(data.transitionId))
          return fail(`unknown transition ${data.transitionId}`);
        if (c.tasks.has(data.taskId)) fail(`task ${data.taskId} started twice`);
        const rival = [...c.tasks.entries()].find(
          ([, t]) => t.transitionId === data.transitionId && isLive(t),
        );
        if (rival) fail(`a second live task of ${data.transitionId} beside ${rival[0]}`);
        c.tasks.set(data.taskId, {
          transitionId: data.transitionId,
          state: 'started',
          offered: new Set(),
          locked: new Set(),
          lockedEver: false,
          workitems: [],
        });
        break;
      }
      case 'TokensReceived': {
        const t = task(data.taskId);
        if (!t) break;
        if (!isLive(t)) fail(`tokens offered to task ${data.taskId} while ${t.state}`);
        for (const id of data.tokenIds) {
          const offered = token(id);
          if (offered?.state === 'consumed') fail(`consumed token ${id} offered to ${data.taskId}`);
          if (offered && !transition(t).pre.includes(offered.placeId))
            fail(
              `token ${id} in ${offered.placeId} offered to ${t.transitionId}, which does not take from it`,
            );
          t.offered.add(id);
        }
        break;
      }
      case 'TokensDiscarded': {
        const t = task(data.taskId);
        for (const id of data.tokenIds) {
          if (t && !t.offered.has(id))
            fail(`token ${id} discarded by ${data.taskId}, which was not offered it`);
          t?.offered.delete(id);
        }
        break;
      }
      case 'TaskAllocated': {
        const t = task(data.taskId);
        if (t && t.state !== 'started') fail(`task ${data.taskId} allocated while ${t.state}`);
        if (t) t.state = 'allocated';
        break;
      }
      case 'WorkitemCreated': {
        const t = task(data.taskId);
        if (!t) break;
        if (c.workitems.has(data.workitemId)) fail(`workitem ${data.workitemId} created twice`);
        if (t.state !== 'allocated') fail(`workitem ${data.workitemId} created for a task ${t.state}`);
        if (t.workitems.length > 0) fail(`a second workitem for task ${data.taskId}`);
        if (data.transitionId !== t.transitionId || data.executor !== transition(t).executor)
          fail(
            `workitem ${data.workitemId} is for ${data.transitionId}/${data.executor}, its task for ${t.transitionId}`,
          );
        t.workitems.push(data.workitemId);
        c.workitems.set(data.workitemId, {
          taskId: data.taskId,
          transitionId: data.transitionId,
          executor: data.executor,
          state: 'created',
          output: null,
        });
        break;
      }
      case 'WorkitemUpdated': {
        const workitem = c.workitems.get(data.workitemId);
        if (!workitem) return fail(`workitem ${data.workitemId} was never created`);
        if (!NEXT_WORKITEM_STATES[workitem.state].includes(data.state))
          fail(`workitem ${data.workitemId} went from ${workitem.state} to ${data.state}`);
        if (data.state === 'completed' && c.tasks.get(workitem.taskId)?.state !== 'executing')
          fail(`workitem ${data.workitemId} completed while its task holds no locks`);
        workitem.state = data.state;
        workitem.output = data.output;
        break;
      }
      case 'TokensLocked': {
        const t = task(data.taskId);
        if (!t) break;
        if (t.state !== 'allocated') fail(`task ${data.taskId} locked tokens while ${t.state}`);
        const places: string[] = [];
        for (const id of data.tokenIds) {
          const locked = token(id);
          if (!locked) continue;
          if (locked.state !== 'free') fail(`token ${id} locked by ${data.taskId} while ${stateOf(locked)}`);
          if (!t.offered.has(id)) fail(`token ${id} locked by ${data.taskId}, which was not offered it`);
          places.push(locked.placeId);
          Object.assign(locked, { state: 'locked', lockedBy: data.taskId });
          t.locked.add(id);
        }
        if (sorted(places) !== sorted(transition(t).pre))
          fail(
            `task ${data.taskId} locked tokens in ${sorted(places)}, not one in each of ${sorted(transition(t).pre)}`,
          );
        t.state = 'executing';
        t.lockedEver = true;
        break;
      }
      case 'TokensUnlocked': {
        const t = task(data.taskId);
        for (const id of data.tokenIds) {
          const unlocked = token(id);
          if (!unlocked) continue;
          if (unlocked.state !== 'locked' || unlocked.lockedBy !== data.taskId)
            fail(`token ${id} unlocked by ${data.taskId} while ${stateOf(unlocked)}`);
          Object.assign(unlocked, { state: 'free', lockedBy: null });
          t?.locked.delete(id);
        }
        break;
      }
      case 'TokensConsumed':
        for (const id of data.tokenIds) {
          const consumed = token(id);
          if (!consumed) continue;
          const allowed =
            data.taskId === TERMINATION
              ? consumed.state === 'free' && consumed.placeId === END
              : consumed.state === 'locked' && consumed.lockedBy === data.taskId;
          if (!allowed)
            fail(`token ${id} in ${consumed.placeId} consumed by ${data.taskId} while ${stateOf(consumed)}`);
          Object.assign(consumed, { state: 'consumed', lockedBy: null, consumedBy: data.taskId });
          if (data.taskId !== TERMINATION) c.tasks.get(data.taskId)?.locked.delete(id);
        }
        if (data.taskId === TERMINATION) c.terminations++;
        break;
      case 'TaskCompleted': {
        const t = task(data.taskId);
        if (!t) break;
        if (t.state !== 'executing') fail(`task ${data.taskId} completed while ${t.state}`);
        if (t.locked.size > 0) fail(`task ${data.taskId} completed still holding ${sorted(t.locked)}`);
        const states = t.workitems.map((id) => c.workitems.get(id)!.state);
        if (states.some((s) => OPEN.has(s)) || !states.includes('completed'))
          fail(`task ${data.taskId} completed with workitems ${states.join(',') || 'none'}`);
        t.state = 'completed';
        break;
      }
      case 'TaskAbandoned': {
        const t = task(data.taskId);
        if (!t) break;
        if (!isLive(t)) fail(`task ${data.taskId} abandoned while ${t.state}`);
        if (t.locked.size > 0) fail(`task ${data.taskId} abandoned still holding ${sorted(t.locked)}`);
        const open = t.workitems.filter((id) => isOpen(c.workitems.get(id)!));
        if (open.length > 0) fail(`task ${data.taskId} abandoned with workitems ${open.join(',')} open`);
        const abandoned = t.workitems.filter((id) => c.workitems.get(id)!.state === 'abandoned');
        if (
          data.reason === 'workitems_abandoned' &&
          (abandoned.length === 0 || abandoned.length < t.workitems.length)
        )
          fail(
            `task ${data.taskId} abandoned for its workitems, but ${abandoned.length} of ${t.workitems.length} were`,
          );
        if (data.reason === 'tokens_withdrawn' && t.offered.size > 0)
          fail(`task ${data.taskId} abandoned as withdrawn, still offered ${sorted(t.offered)}`);
        t.state = 'abandoned';
        break;
      }
      case 'CaseFinished':
        c.finishedEvents++;
        if (c.finishedEvents > 1) fail('the case finished twice');
        if (c.terminations !== 1) fail(`finished after ${c.terminations} terminations`);
        c.status = 'finished';
        break;
      case 'CaseTerminated':
        c.status = 'terminated';
        break;
      case 'TimerScheduled':
        if (c.timers.has(data.timerId)) fail(`timer ${data.timerId} scheduled twice`);
        if (data.workitemId !== null && !c.workitems.has(data.workitemId))
          fail(`timer ${data.timerId} is for workitem ${data.workitemId}, which was never created`);
        c.timers.set(data.timerId, {
          kind: data.kind,
          dueAt: data.dueAt,
          workitemId: data.workitemId,
          state: 'pending',
          firedAt: null,
        });
        break;
      case 'TimerFired': {
        const timer = c.timers.get(data.timerId);
        if (!timer) return fail(`timer ${data.timerId} fired without being scheduled`);
        if (timer.state !== 'pending') fail(`timer ${data.timerId} fired when it was ${timer.state}`);
        if (Date.parse(data.at) < Date.parse(timer.dueAt))
          fail(`timer ${data.timerId} fired at ${data.at}, before it was due at ${timer.dueAt}`);
        timer.state = 'fired';
        timer.firedAt = data.at;
        break;
      }
      case 'TimerCancelled': {
        const timer = c.timers.get(data.timerId);
        if (!timer) return fail(`timer ${data.timerId} cancelled without being scheduled`);
        if (timer.state !== 'pending') fail(`timer ${data.timerId} cancelled when it was ${timer.state}`);
        timer.state = 'cancelled';
        break;
      }
      case 'WorkitemFailed': {
        const workitem = c.workitems.get(data.workitemId);
        if (!workitem) return fail(`workitem ${data.workitemId} failed without being created`);
        if (!isOpen(workitem)) fail(`workitem ${data.workitemId} failed when it was ${workitem.state}`);
        const failures = c.failures.get(data.workitemId) ?? [];
        if (data.attempt !== failures.length + 1)
          fail(
            `workitem ${data.workitemId} failed attempt ${data.attempt} after ${failures.length} failures`,
          );
        failures.push({ attempt: data.attempt, at: data.at, retryAt: data.retryAt, error: data.error });
        c.failures.set(data.workitemId, failures);
        break;
      }
      case 'WorkitemClaimed':
      case 'WorkitemReleased': {
        const workitem = c.workitems.get(data.workitemId);
        if (!workitem) return fail(`workitem ${data.workitemId} was never created`);
        if (!isOpen(workitem))
          fail(`workitem ${data.workitemId} was claimed or released when ${workitem.state}`);
        break;
      }
      default:
        fail('an event type the audit does not know');
    }
  }
}

function describe(c: AuditedCase): string {
  return `case ${c.id} (${c.workflowId}, ${c.status})`;
}

function countByPlace(places: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const place of places) counts.set(place, (counts.get(place) ?? 0) + 1);
  return counts;
}

/** What is wrong with the whole state of one case. */
function checkCase(c: AuditedCase): string[] {
  const broken: string[] = [];
  const tokens = [...c.tokens.entries()];
  const unconsumed = countByPlace(tokens.filter(([, t]) => t.state !== 'consumed').map(([, t]) => t.placeId));
  // The state equation: M = M0 + Σ over completed tasks of (marked(t) − pre(t)) − what the termination took,
  // where marked(t) is the way of its split the task took (the first when it took none).
  const expected = new Map<string, number>([[START, 1]]);
  const add = (place: string, n: number) => expected.set(place, (expected.get(place) ?? 0) + n);
  for (const [taskId, task] of c.tasks) {
    if (task.state !== 'completed') continue;
    const shape = c.shape.transitions.get(task.transitionId)!;
    const consumed = tokens.filter(([, t]) => t.consumedBy === taskId).map(([, t]) => t.placeId);
    if (sorted(consumed) !== sorted(shape.pre))
      broken.push(
        `task ${taskId} (${task.transitionId}) consumed tokens in [${sorted(consumed)}], its pre set is [${sorted(shape.pre)}]`,
      );
    const produced = tokens.filter(([, t]) => t.producedBy === taskId).map(([, t]) => t.placeId);
    const marked = shape.marks.find((places) => sorted(places) === sorted(produced));
    if (!marked)
      broken.push(
        `task ${taskId} (${task.transitionId}) produced tokens in [${sorted(produced)}], its split marks ${shape.marks.map((places) => `[${sorted(places)}]`).join(' or ')}`,
      );
    for (const place of marked ?? shape.marks[0] ?? []) add(place, 1);
    for (const place of shape.pre) add(place, -1);
  }
  for (const [, t] of tokens) if (t.consumedBy === TERMINATION) add(t.placeId, -1);
  for (const place of new Set([...expected.keys(), ...unconsumed.keys()])) {
    const want = expected.get(place) ?? 0;
    const have = unconsumed.get(place) ?? 0;
    if (want !== have) broken.push(`${have} unconsumed tokens in ${place}, the state equation gives ${want}`);
  }
  for (const [id, t] of tokens) {
    if (
      t.consumedBy !== null &&
      t.consumedBy !== TERMINATION &&
      c.tasks.get(t.consumedBy)?.state !== 'completed'
    )
      broken.push(`token ${id} consumed by ${t.consumedBy}, which has not completed`);
  }
  for (const [id, timer] of c.timers) {
    const owner = timer.workitemId === null ? undefined : c.workitems.get(timer.workitemId);
    if (timer.state === 'pending' && owner !== undefined && !isOpen(owner))
      broken.push(`timer ${id} is pending, yet its workitem ${timer.workitemId} is ${owner.state}`);
  }
  const genesis = tokens.filter(([, t]) => t.producedBy === GENESIS).length;
  if (genesis !== 1) broken.push(`${genesis} genesis tokens`);
  if (c.status === 'finished') {
    if (c.finishedEvents !== 1) broken.push(`${c.finishedEvents} CaseFinished events`);
    if (c.terminations !== 1) broken.push(`${c.terminations} TokensConsumed by termination`);
    const live = [...c.tasks.entries()].filter(([, t]) => isLive(t)).map(([id]) => id);
    if (live.length > 0) broken.push(`tasks ${live.join(', ')} still live`);
    const open = [...c.workitems.entries()].filter(([, w]) => isOpen(w)).map(([id]) => id);
    if (open.length > 0) broken.push(`workitems ${open.join(', ')} still open`);
    const pending = [...c.timers.entries()].filter(([, t]) => t.state === 'pending').map(([id]) => id);
    if (pending.length > 0) broken.push(`timers ${pending.join(', ')} still pending`);
  } else if (c.finishedEvents !== 0 || c.terminations !== 0) {
    broken.push(`${c.finishedEvents} CaseFinished and ${c.terminations} terminations, yet not finished`);
  }
  return broken;
}

/** Why a case is not at rest, or undefined when it is. */
function unrest(c: AuditedCase): string | undefined {
  if (isEnded(c)) return undefined;
  if (c.status === 'created') return 'created but not active';
  for (const [id, task] of c.tasks) {
    if (!isLive(task)) continue;
    const executor = c.shape.transitions.get(task.transitionId)!.executor;
    if (executor !== 'manual') return `task ${id} (${task.transitionId}, ${executor}) is ${task.state}`;
    if (!task.workitems.some((w) => c.workitems.get(w)!.state === 'started'))
      return `manual task ${id} (${task.transitionId}) is ${task.state} with no started workitem`;
  }
  for (const [id, workitem] of c.workitems) {
    if (workitem.state === 'created') return `workitem ${id} (${workitem.transitionId}) is still created`;
  }
  for (const [id, timer] of c.timers) {
    if (timer.state === 'pending') return `timer ${id} (${timer.kind}) is pending, due at ${timer.dueAt}`;
  }
  for (const [id, token] of c.tokens) {
    if (token.state !== 'free') continue;
    for (const transitionId of c.shape.consumers.get(token.placeId) ?? []) {
      const offered = [...c.tasks.values()].some(
        (t) => t.transitionId === transitionId && isLive(t) && t.offered.has(id),
      );
      if (!offered)
        return `free token ${id} in ${token.placeId} is offered to no live task of ${transitionId}`;
    }
  }
  if (c.tokens.size > 0 && [...c.tokens.values()].every((t) => t.state === 'consumed'))
    return 'active with no token left';
  return undefined;
}
