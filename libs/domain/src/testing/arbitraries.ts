import fc from 'fast-check';
import { IllegalStateError, NotFoundError, ValidationError } from '../core/errors.js';
import type { JsonValue } from '../core/message.js';
import type { WorkflowDefinition } from '../net/definition.js';
import type { ExecutorName, NetBlock } from '../net/blocks.js';
import { netFromBlock } from '../net/blocks.js';
import { netOf } from '../net/net.js';
import type { CaseCommand } from '../case/commands.js';
import { decideCase } from '../case/decide.js';
import type { CaseEvent } from '../case/events.js';
import { entityId } from '../case/ids.js';
import { foldCase, foldCaseWithEnded, initialCaseState } from '../case/evolve.js';
import type { CaseData, CaseState, Task, Token, Workitem } from '../case/state.js';
import { isLive } from '../task/task.js';
import { isOpen } from '../workitem/workitem.js';

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
  | 'recreate';

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
];

export function arbitraryCommandPick(): fc.Arbitrary<CommandPick> {
  return fc.record({
    kind: fc.oneof(...PICK_WEIGHTS.map(([kind, weight]) => ({ arbitrary: fc.constant(kind), weight }))),
    target: fc.nat(),
    extra: fc.nat(),
    wild: fc.nat(9).map((n) => n === 0),
  });
}

export function arbitraryCommandPicks(maxLength = 60): fc.Arbitrary<readonly CommandPick[]> {
  return fc.array(arbitraryCommandPick(), { maxLength, size: 'max' });
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
      // and completes with its output, `manual` reports started.
      const workitemId = pickWorkitem((w) => w.state === 'created');
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
