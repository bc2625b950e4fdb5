import fc from 'fast-check';
import { IllegalStateError, NotFoundError, ValidationError } from '../core/errors.js';
import type { JsonValue } from '../core/message.js';
import type { RetryPolicy, Timeouts, WorkflowDefinition } from '../net/definition.js';
import { TIMER_EXECUTOR } from '../net/timing.js';
import type { ExecutorName, NetBlock } from '../net/blocks.js';
import { blockNet, buildSharedBlock, netFromBlock } from '../net/blocks.js';
import { netOf } from '../net/net.js';
import type { CaseCommand } from '../case/commands.js';
import type { ExecutionError, IncidentResolution } from '../case/events.js';
import { decideCase } from '../case/decide.js';
import type { CaseEvent } from '../case/events.js';
import { entityId } from '../case/ids.js';
import { foldCase, foldCaseWithEnded, initialCaseState } from '../case/evolve.js';
import type { CaseData, CaseState, Task, Token, Workitem } from '../case/state.js';
import { isLive } from '../task/task.js';
import { isOpen } from '../workitem/workitem.js';
import { isoTime } from './timing.js';

export { netFromBlock } from '../net/blocks.js';
export type { ExecutorName, NetBlock } from '../net/blocks.js';

/** The blocks with parts, drawn from `part`, each with its weight. */
function composite(part: fc.Arbitrary<NetBlock>): fc.WeightedArbitrary<NetBlock>[] {
  return [
    {
      arbitrary: fc.record({ kind: fc.constant('sequence' as const), first: part, second: part }),
      weight: 3,
    },
    { arbitrary: fc.record({ kind: fc.constant('parallel' as const), left: part, right: part }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('choice' as const), left: part, right: part }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('loop' as const), body: part, back: part }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('merge' as const), left: part, right: part }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('race' as const), left: part, right: part }), weight: 1 },
  ];
}

/** A block that is never a lone step, so every net has some structure. */
export function arbitraryNetBlock(maxDepth = 3): fc.Arbitrary<NetBlock> {
  const block = fc.letrec<{ block: NetBlock }>((tie) => ({
    block: fc.oneof(
      { maxDepth: maxDepth - 1, depthSize: 'small', withCrossShrink: true },
      { arbitrary: fc.constant({ kind: 'step' } as const), weight: 4 },
      ...composite(tie('block')),
    ),
  })).block;
  return fc.oneof(...composite(block));
}

/**
 * Small valid workflow nets: sequences, and splits and joins, deferred choices, loops, merges and races;
 * auto and manual steps.
 */
export function arbitraryWorkflowNet(maxDepth = 3): fc.Arbitrary<WorkflowDefinition> {
  return fc
    .record({
      block: arbitraryNetBlock(maxDepth),
      executors: fc.array(fc.constantFrom<ExecutorName>('auto', 'manual'), { minLength: 1, maxLength: 5 }),
    })
    .map(({ block, executors }) => netFromBlock(block, executors));
}

/**
 * The shape of a random net that decides, between an input and an output place: steps in sequence, and
 * splits and joins, xor splits whose branches meet again, or splits closed by their or join (or left open,
 * their branches meeting in one place), and loops whose exit is an xor split. Conditions are sources of
 * `fakeConditions`; the last arc of every split that decides is its default.
 */
export type DecisionBlock =
  | { readonly kind: 'step' }
  | { readonly kind: 'sequence'; readonly first: DecisionBlock; readonly second: DecisionBlock }
  | { readonly kind: 'parallel'; readonly left: DecisionBlock; readonly right: DecisionBlock }
  | {
      readonly kind: 'xor' | 'or';
      readonly branches: readonly DecisionBlock[];
      /** One per branch but the last, whose arc is the default. */
      readonly conditions: readonly string[];
      /** For an or split: closed by its paired or join. */
      readonly joined: boolean;
    }
  | { readonly kind: 'loop'; readonly body: DecisionBlock; readonly again: string };

/** Conditions of `fakeConditions` over a case whose data is `{ n: 1 }`: some hold, some not, some fail. */
export const DECISION_CONDITIONS: readonly string[] = [
  'true',
  'false',
  'fail',
  'case.n > 0',
  'case.n > 1',
  'output.n > 0',
];

export function arbitraryDecisionBlock(maxDepth = 3): fc.Arbitrary<DecisionBlock> {
  const condition = fc.constantFrom(...DECISION_CONDITIONS);
  return fc.letrec<{ block: DecisionBlock }>((tie) => {
    const part = tie('block');
    const splitting = (kind: 'xor' | 'or') =>
      fc
        .record({
          branches: fc.array(part, { minLength: 2, maxLength: 3 }),
          conditions: fc.array(condition, { minLength: 2, maxLength: 2 }),
          joined: fc.nat(3).map((n) => kind === 'or' && n > 0),
        })
        .map(({ branches, conditions, joined }) => ({
          kind,
          branches,
          conditions: conditions.slice(0, branches.length - 1),
          joined,
        }));
    return {
      block: fc.oneof(
        { maxDepth: maxDepth - 1, depthSize: 'small', withCrossShrink: true },
        { arbitrary: fc.constant({ kind: 'step' } as const), weight: 4 },
        {
          arbitrary: fc.record({ kind: fc.constant('sequence' as const), first: part, second: part }),
          weight: 2,
        },
        {
          arbitrary: fc.record({ kind: fc.constant('parallel' as const), left: part, right: part }),
          weight: 1,
        },
        { arbitrary: splitting('xor'), weight: 3 },
        { arbitrary: splitting('or'), weight: 3 },
        {
          arbitrary: fc.record({ kind: fc.constant('loop' as const), body: part, again: condition }),
          weight: 1,
        },
      ),
    };
  }).block;
}

/** The net of a `DecisionBlock`, built as `netFromBlock` builds a `NetBlock`. */
export function netFromDecisionBlock(
  block: DecisionBlock,
  executors: readonly ExecutorName[],
  id = 'deciding',
): WorkflowDefinition {
  return blockNet(id, executors, (net, first, end) => {
    const { place, transition } = net;
    const build = (b: DecisionBlock, from: string, to: string): void => {
      switch (b.kind) {
        case 'step':
        case 'sequence':
        case 'parallel':
          buildSharedBlock(net, b, from, to, build);
          return;
        case 'xor':
        case 'or': {
          const outputs = b.branches.map(() => place());
          const split = transition([from], outputs, { splitType: b.kind }, b.conditions);
          if (!b.joined) {
            b.branches.forEach((branch, i) => build(branch, outputs[i]!, to));
            return;
          }
          const done = b.branches.map(() => place());
          b.branches.forEach((branch, i) => build(branch, outputs[i]!, done[i]!));
          transition(done, [to], { joinType: 'or', orJoin: { split } });
          return;
        }
        case 'loop': {
          const [decide, back] = [place(), place()];
          build(b.body, from, decide);
          transition([decide], [back, to], { splitType: 'xor' }, [b.again]);
          transition([back], [from]);
          return;
        }
        default: {
          const unknown: never = b;
          throw new Error(`unknown block ${JSON.stringify(unknown)}`);
        }
      }
    };
    build(block, first, end);
  });
}

/** Small valid nets that decide (see `DecisionBlock`), with auto and manual steps. */
export function arbitraryDecisionNet(maxDepth = 3): fc.Arbitrary<WorkflowDefinition> {
  return fc
    .record({
      block: arbitraryDecisionBlock(maxDepth),
      executors: fc.array(fc.constantFrom<ExecutorName>('auto', 'manual'), { minLength: 1, maxLength: 5 }),
    })
    .map(({ block, executors }) => netFromDecisionBlock(block, executors));
}

export type PickKind =
  | 'dispatch'
  | 'preexecute'
  | 'complete'
  | 'abandon'
  | 'start'
  | 'forceAbandon'
  | 'receive'
  | 'discard'
  | 'terminate'
  | 'recreate'
  | 'resolve'
  | 'fire'
  | 'fail';

/**
 * A command chosen against the state it will meet: `target` and `extra` index into what exists, and a
 * `wild` pick may name anything, ended, foreign or unknown, so refusals get exercised too.
 */
export interface CommandPick {
  readonly kind: PickKind;
  readonly target: number;
  readonly extra: number;
  readonly wild: boolean;
}

const PICK_WEIGHTS: readonly (readonly [PickKind, number])[] = [
  ['dispatch', 24],
  ['complete', 12],
  ['preexecute', 8],
  ['abandon', 4],
  ['start', 4],
  ['forceAbandon', 4],
  ['receive', 4],
  ['discard', 6],
  ['recreate', 2],
  ['terminate', 1],
  ['resolve', 6],
];

/** With timers: the scheduler's `FireTimer` and the dispatcher's `FailWorkitem` among the others. */
const TIMED_PICK_WEIGHTS: readonly (readonly [PickKind, number])[] = [
  ...PICK_WEIGHTS,
  ['fire', 20],
  ['fail', 12],
];

export function arbitraryCommandPick(
  weights: readonly (readonly [PickKind, number])[] = PICK_WEIGHTS,
): fc.Arbitrary<CommandPick> {
  return fc.record({
    kind: fc.oneof(...weights.map(([kind, weight]) => ({ arbitrary: fc.constant(kind), weight }))),
    target: fc.nat(),
    extra: fc.nat(),
    wild: fc.nat(9).map((n) => n === 0),
  });
}

export function arbitraryCommandPicks(maxLength = 60): fc.Arbitrary<readonly CommandPick[]> {
  return fc.array(arbitraryCommandPick(), { maxLength, size: 'max' });
}

/** A pick and how many seconds the clock moves before it is sent (often none, now and then hours). */
export interface TimedPick {
  readonly pick: CommandPick;
  readonly advance: number;
}

export function arbitraryTimedCommandPicks(maxLength = 60): fc.Arbitrary<readonly TimedPick[]> {
  const advance = fc.oneof(
    { arbitrary: fc.constant(0), weight: 3 },
    { arbitrary: fc.integer({ min: 1, max: 30 }), weight: 4 },
    { arbitrary: fc.integer({ min: 31, max: 400 }), weight: 2 },
    { arbitrary: fc.integer({ min: 401, max: 7200 }), weight: 1 },
  );
  return fc.array(fc.record({ pick: arbitraryCommandPick(TIMED_PICK_WEIGHTS), advance }), {
    maxLength,
    size: 'max',
  });
}

/** The times of timed picks: the clock starts at `stepTime(0)` and each pick moves it before it is sent. */
export function pickTimes(picks: readonly TimedPick[]): string[] {
  let seconds = 0;
  return picks.map(({ advance }) => isoTime(Date.parse(stepTime(0)) + (seconds += advance) * 1000));
}

/** Errors a dispatcher reports: retryable ones, one that some policies do not retry, one never retried. */
export const EXECUTION_ERRORS: readonly ExecutionError[] = [
  { type: 'http_5xx', message: 'the service answered 503', retryable: true },
  { type: 'network', message: 'connection refused', retryable: true },
  { type: 'invalid_address', message: 'no such street', retryable: true },
  { type: 'error', message: 'the executor threw', retryable: false },
];

const seconds = (min: number, max: number): fc.Arbitrary<string> =>
  fc.integer({ min, max }).map((n) => `PT${n}S`);

interface TransitionTiming {
  readonly executor: 'keep' | 'timer' | 'webhook';
  readonly timer: { readonly after: string } | { readonly at: string };
  readonly timeouts?: Timeouts;
  readonly retry?: Partial<RetryPolicy>;
}

const arbitraryTransitionTiming: fc.Arbitrary<TransitionTiming> = fc.record(
  {
    executor: fc.constantFrom<TransitionTiming['executor']>('keep', 'keep', 'timer', 'webhook'),
    timer: fc.oneof(
      seconds(1, 600).map((after) => ({ after })),
      // `now`, a fixed time (perhaps past), or a field the case's data `{ n: 1 }` lacks: an incident.
      fc.constantFrom('now', '2026-01-01T00:05:00Z', 'case.due').map((at) => ({ at })),
    ),
    timeouts: fc.record(
      {
        scheduleToStart: seconds(1, 900),
        startToClose: seconds(1, 900),
        scheduleToClose: seconds(60, 3600),
      },
      { requiredKeys: [] },
    ),
    retry: fc.record(
      {
        initialInterval: seconds(1, 20),
        backoffCoefficient: fc.constantFrom(1, 1.5, 2, 3),
        maximumInterval: seconds(5, 120),
        maximumAttempts: fc.nat(4),
        nonRetryableErrorTypes: fc.constantFrom([], ['invalid_address']),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['executor', 'timer'] },
);

/**
 * A net of `nets` whose transitions get random timer settings: some become `timer` executors (after a
 * duration, or at a time an expression gives, some of which cannot be evaluated) or webhooks, some get
 * timeouts and retry policies; the workflow may have a case timeout. Valid with `fakeTiming()`.
 */
export function arbitraryTimedNet(
  nets: fc.Arbitrary<WorkflowDefinition> = arbitraryWorkflowNet(),
): fc.Arbitrary<WorkflowDefinition> {
  return fc
    .record({
      definition: nets,
      settings: fc.array(arbitraryTransitionTiming, { minLength: 1, maxLength: 6 }),
      caseTimeout: fc.option(seconds(600, 36_000), { nil: undefined }),
    })
    .map(({ definition, settings, caseTimeout }) => ({
      ...definition,
      transitions: definition.transitions.map((transition, i) => {
        const { executor, timer, timeouts, retry } = settings[i % settings.length]!;
        return {
          ...transition,
          ...(executor === 'timer' && { executor: TIMER_EXECUTOR, executorParams: timer }),
          ...(executor === 'webhook' && { executor: 'webhook' }),
          ...(timeouts && Object.keys(timeouts).length > 0 && { timeouts }),
          ...(retry && { retry }),
        };
      }),
      ...(caseTimeout !== undefined && { caseTimeout }),
    }));
}

/** A distinct, increasing ISO time per step, so histories carry times worth projecting. */
export function stepTime(step: number): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `2026-01-01T${pad(Math.floor(step / 3600) % 24)}:${pad(Math.floor(step / 60) % 60)}:${pad(step % 60)}.000Z`;
}

const choose = <T>(list: readonly T[], index: number): T | undefined =>
  list[index % Math.max(list.length, 1)];

/** The command a pick stands for in the given state: the fold that keeps what has ended, so picks reach it too. */
export function resolvePick(state: CaseData, pick: CommandPick, at: string): CaseCommand {
  const { caseId } = state;
  const tasks = [...state.tasks.values()];
  const workitems = [...state.workitems.values()];
  const tokens = [...state.tokens.values()];
  const unknownTask = entityId(caseId, 'task', 999);
  const unknownWorkitem = entityId(caseId, 'workitem', 999);
  const unknownToken = entityId(caseId, 'token', 999);

  const pickTask = (): Task | undefined => {
    const live = tasks.filter(isLive);
    return pick.wild || live.length === 0
      ? choose([...tasks, undefined], pick.target)
      : choose(live, pick.target);
  };
  const pickWorkitem = (among: (w: Workitem) => boolean): string => {
    const candidates = workitems.filter(among);
    const chosen =
      pick.wild || candidates.length === 0
        ? choose([...workitems, undefined], pick.target)
        : choose(candidates, pick.target);
    return chosen?.id ?? unknownWorkitem;
  };
  const pickTokens = (candidates: readonly Token[]): string[] => {
    const pool = pick.wild || candidates.length === 0 ? [...tokens, undefined] : candidates;
    const first = choose(pool, pick.extra);
    const second = choose(pool, pick.extra >> 3);
    return [
      ...new Set([first?.id ?? unknownToken, ...(pick.extra % 3 === 0 ? [second?.id ?? unknownToken] : [])]),
    ];
  };
  const base = { caseId, at };

  switch (pick.kind) {
    case 'dispatch': {
      // What the dispatcher and the built-in executors do: `auto` locks (sometimes as a step of its own)
      // and completes with its output, `manual` reports started; a `timer` workitem is never dispatched.
      const workitemId = pickWorkitem((w) => w.state === 'created' && w.executor !== TIMER_EXECUTOR);
      const workitem = state.workitems.get(workitemId);
      const transition = state.definition.transitions.find((t) => t.id === workitem?.transitionId);
      if (transition?.executor !== 'auto') {
        return { type: 'UpdateWorkitem', data: { ...base, workitemId, state: 'started' } };
      }
      const taskId = workitem?.taskId ?? unknownTask;
      return state.tasks.get(taskId)?.state === 'allocated' && pick.extra % 2 === 0
        ? { type: 'PreexecuteTask', data: { ...base, taskId } }
        : {
            type: 'UpdateWorkitem',
            data: {
              ...base,
              workitemId,
              state: 'completed',
              output: transition.executorParams['output'] ?? null,
            },
          };
    }
    case 'complete': {
      const workitemId = pickWorkitem(isOpen);
      const output: JsonValue = { by: `worker-${pick.extra % 4}` };
      return pick.extra % 2 === 0
        ? { type: 'CompleteWorkitem', data: { ...base, workitemId, output } }
        : { type: 'UpdateWorkitem', data: { ...base, workitemId, state: 'completed', output } };
    }
    case 'abandon': {
      const workitemId = pickWorkitem(isOpen);
      return pick.extra % 2 === 0
        ? { type: 'AbandonWorkitem', data: { ...base, workitemId } }
        : { type: 'UpdateWorkitem', data: { ...base, workitemId, state: 'abandoned' } };
    }
    case 'start':
      return {
        type: 'UpdateWorkitem',
        data: { ...base, workitemId: pickWorkitem(isOpen), state: 'started' },
      };
    case 'preexecute':
      // As `POST /workitems/:id/preexecute` does, now and then through one of the task's workitems.
      return pick.extra % 3 === 0
        ? { type: 'PreexecuteTask', data: { ...base, workitemId: pickWorkitem(isOpen) } }
        : { type: 'PreexecuteTask', data: { ...base, taskId: pickTask()?.id ?? unknownTask } };
    case 'forceAbandon':
      return { type: 'ForceAbandonTask', data: { ...base, taskId: pickTask()?.id ?? unknownTask } };
    case 'receive': {
      // A token worth receiving is one in an input place that the task was not offered: one locked by another.
      const net = netOf(state.definition);
      const fresh = tasks
        .filter(isLive)
        .flatMap((task) =>
          tokens
            .filter(
              (t) =>
                net.inputPlaces(task.transitionId).includes(t.placeId) &&
                t.state !== 'consumed' &&
                !task.offered.includes(t.id),
            )
            .map((token) => ({ task, token })),
        );
      const aimed = pick.wild ? undefined : choose(fresh, pick.target);
      const task = aimed?.task ?? pickTask();
      const inputs = task ? net.inputPlaces(task.transitionId) : [];
      const tokenIds = aimed
        ? [aimed.token.id]
        : pickTokens(tokens.filter((t) => inputs.includes(t.placeId) && t.state !== 'consumed'));
      return { type: 'ReceiveTokens', data: { ...base, taskId: task?.id ?? unknownTask, tokenIds } };
    }
    case 'discard': {
      const heldByOthers = (task: Task): Token[] =>
        task.offered
          .map((id) => state.tokens.get(id))
          .filter((t): t is Token => t !== undefined && t.state === 'locked' && t.lockedByTaskId !== task.id);
      const aimed = pick.wild
        ? undefined
        : choose(
            tasks.filter(isLive).filter((t) => heldByOthers(t).length > 0),
            pick.target,
          );
      const task = aimed ?? pickTask();
      const offered = (task?.offered ?? []).map((id) => state.tokens.get(id)).filter((t) => t !== undefined);
      const tokenIds = pickTokens(aimed ? heldByOthers(aimed) : offered);
      return { type: 'DiscardTokens', data: { ...base, taskId: task?.id ?? unknownTask, tokenIds } };
    }
    case 'terminate':
      return { type: 'TerminateCase', data: base };
    case 'resolve': {
      // An open incident, or (wild, or none open) any incident id the case may or may not have made.
      const open = [...state.incidents.values()];
      const chosen = pick.wild || open.length === 0 ? undefined : choose(open, pick.target);
      const incidentId =
        chosen?.id ?? entityId(caseId, 'incident', (pick.target % (state.counts.incidents + 2)) + 1);
      const taskId = chosen?.taskId ?? state.incidents.get(incidentId)?.taskId;
      const transitionId = taskId === undefined ? undefined : state.tasks.get(taskId)?.transitionId;
      const outputs = transitionId === undefined ? [] : netOf(state.definition).outputPlaces(transitionId);
      const resolutions: IncidentResolution[] = [
        { action: 'retry' },
        { action: 'abandon' },
        { action: 'complete', output: { by: 'operator' } },
        // Now and then a route of several places, which only an or split takes.
        { action: 'route', placeIds: outputs.filter((_, i) => ((pick.extra >> 2) & (1 << i)) !== 0) },
        { action: 'route', placeIds: [choose(outputs, pick.extra >> 2) ?? 'nowhere'] },
      ];
      return {
        type: 'ResolveIncident',
        data: { ...base, incidentId, resolution: choose(resolutions, pick.extra)! },
      };
    }
    case 'fire': {
      // A pending timer, due or not at `at`; or (wild, or none pending) any timer id, made or not.
      const pending = [...state.timers.values()];
      const chosen = pick.wild || pending.length === 0 ? undefined : choose(pending, pick.target);
      const timerId = chosen?.id ?? entityId(caseId, 'timer', (pick.target % (state.counts.timers + 2)) + 1);
      return { type: 'FireTimer', data: { ...base, timerId } };
    }
    case 'fail': {
      // The attempt running, now and then a stale one (reported twice, or one not begun).
      const workitemId = pickWorkitem(isOpen);
      const failures = state.attempts.get(workitemId)?.attempts ?? 0;
      const attempt = pick.extra % 7 === 0 ? failures : pick.extra % 11 === 0 ? failures + 2 : failures + 1;
      const error = choose(EXECUTION_ERRORS, pick.extra >> 2)!;
      return { type: 'FailWorkitem', data: { ...base, workitemId, attempt, error } };
    }
    case 'recreate':
      return {
        type: 'CreateCase',
        data: { ...base, workflow: { definition: state.definition, state: 'active' }, data: null },
      };
    default: {
      const unknown: never = pick.kind;
      throw new Error(`unknown pick ${String(unknown)}`);
    }
  }
}

/** The errors a command may be refused with; anything else is a bug. */
export const isDomainRefusal = (error: unknown): boolean =>
  error instanceof IllegalStateError || error instanceof NotFoundError || error instanceof ValidationError;

export interface CaseHistory {
  readonly definition: WorkflowDefinition;
  readonly events: readonly CaseEvent[];
}

/** Creates a case and sends the picked commands, keeping the events of those accepted. */
export function runPicks(
  definition: WorkflowDefinition,
  picks: readonly CommandPick[],
  { caseId = 'c1', data = { n: 1 } }: { caseId?: string; data?: JsonValue } = {},
): CaseHistory & { readonly state: CaseState } {
  const events: CaseEvent[] = [
    ...decideCase(
      {
        type: 'CreateCase',
        data: { caseId, workflow: { definition, state: 'active' }, data, at: stepTime(0) },
      },
      initialCaseState(),
    ),
  ];
  let state = foldCase(initialCaseState(), events);
  let full = foldCaseWithEnded(initialCaseState(), events);
  picks.forEach((pick, i) => {
    if (state.status !== 'active' || full.status === 'none') return;
    try {
      const decided = decideCase(resolvePick(full, pick, stepTime(i + 1)), state);
      state = foldCase(state, decided);
      full = foldCaseWithEnded(full, decided);
      events.push(...decided);
    } catch (error) {
      if (!isDomainRefusal(error)) throw error;
    }
  });
  return { definition, events, state };
}

/**
 * The events of one random run of a random valid net: what a case stream can hold. Every run starts with
 * `CaseCreated`; many end with `CaseFinished` or `CaseTerminated`, some are left waiting.
 */
export function arbitraryCaseHistory({
  caseId = 'c1',
  maxCommands = 60,
}: { caseId?: string; maxCommands?: number } = {}): fc.Arbitrary<CaseHistory> {
  return fc
    .tuple(
      arbitraryWorkflowNet(),
      arbitraryCommandPicks(maxCommands),
      fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.parse(JSON.stringify(v)) as JsonValue),
    )
    .map(([definition, picks, data]) => {
      const { events } = runPicks(definition, picks, { caseId, data });
      return { definition, events };
    });
}
