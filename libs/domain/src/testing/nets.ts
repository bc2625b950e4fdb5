import type { JsonValue } from '../core/message.js';
import type { RetryPolicy, Timeouts, WorkflowDefinition } from '../net/definition.js';
import { TIMER_EXECUTOR } from '../net/timing.js';
import { normalizeWorkflow } from '../net/normalize.js';
import { placeTransitionJoin, placeTransitionSplit } from '../net/kinds.js';
import type { JoinType, SplitType } from '../net/kinds.js';

// Nets the example fixtures (`net/fixtures.ts`) do not cover, each built fresh per call.

/** `start → step → end`, one step run by the given executor. */
export function oneStepNet(executor: 'auto' | 'manual' = 'manual'): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'one-step',
    places: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    transitions: [{ id: 'step', executor, executorParams: { output: 'stepped' } }],
    arcs: [
      { from: 'start', to: 'step' },
      { from: 'step', to: 'end' },
    ],
  });
}

/**
 * Two tokens in one place: `fork` (and split, auto) sends one token through `x` and one through `y`
 * (both auto) into `mid`; the manual `m1` and `m2` compete for both, and `join` (and join, auto) needs
 * one token from each to finish.
 */
export function twoTokensNet(): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'two-tokens',
    places: [
      { id: 'start', type: 'start' },
      { id: 'p' },
      { id: 'q' },
      { id: 'mid' },
      { id: 'u' },
      { id: 'v' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'fork', executor: 'auto', splitType: 'and' },
      { id: 'x', executor: 'auto', executorParams: { output: 'x' } },
      { id: 'y', executor: 'auto', executorParams: { output: 'y' } },
      { id: 'm1', executor: 'manual' },
      { id: 'm2', executor: 'manual' },
      { id: 'join', executor: 'auto', joinType: 'and' },
    ],
    arcs: [
      { from: 'start', to: 'fork' },
      { from: 'fork', to: 'p' },
      { from: 'fork', to: 'q' },
      { from: 'p', to: 'x' },
      { from: 'q', to: 'y' },
      { from: 'x', to: 'mid' },
      { from: 'y', to: 'mid' },
      { from: 'mid', to: 'm1' },
      { from: 'mid', to: 'm2' },
      { from: 'm1', to: 'u' },
      { from: 'm2', to: 'v' },
      { from: 'u', to: 'join' },
      { from: 'v', to: 'join' },
      { from: 'join', to: 'end' },
    ],
  });
}

/**
 * A token in `p` wanted by the manual `take` (one input) and by the and join `both` (inputs `p` and
 * `q`); `q` is filled only once the manual `slow` completes.
 */
export function competingJoinNet(): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'competing-join',
    places: [
      { id: 'start', type: 'start' },
      { id: 'p' },
      { id: 'x' },
      { id: 'q' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'fork', executor: 'auto', splitType: 'and' },
      { id: 'take', executor: 'manual' },
      { id: 'slow', executor: 'manual' },
      { id: 'both', executor: 'manual', joinType: 'and' },
    ],
    arcs: [
      { from: 'start', to: 'fork' },
      { from: 'fork', to: 'p' },
      { from: 'fork', to: 'x' },
      { from: 'p', to: 'take' },
      { from: 'x', to: 'slow' },
      { from: 'slow', to: 'q' },
      { from: 'p', to: 'both' },
      { from: 'q', to: 'both' },
      { from: 'take', to: 'end' },
      { from: 'both', to: 'end' },
    ],
  });
}

/** `fork` (and split, auto) puts a token straight into `end` and one into `p`, where the manual `late` waits. */
export function earlyEndNet(): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'early-end',
    places: [{ id: 'start', type: 'start' }, { id: 'p' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'fork', executor: 'auto', splitType: 'and' },
      { id: 'late', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'fork' },
      { from: 'fork', to: 'end' },
      { from: 'fork', to: 'p' },
      { from: 'p', to: 'late' },
      { from: 'late', to: 'end' },
    ],
  });
}

/**
 * 107 places and 107 transitions with 9,942 arcs between them, alternating in and out: the shape of a
 * net ELK ran on for fourteen minutes. Every node lies on a path from start to end; it is far from sound.
 */
export function denseNet(id = 'dense'): WorkflowDefinition {
  const size = 107;
  const arcs: { from: string; to: string }[] = [];
  // By distance between indices, so every transition gets inputs and outputs before the count is reached.
  for (let distance = 0; distance < size && arcs.length < 9_942; distance++) {
    for (let t = 0; t < size && arcs.length < 9_942; t++) {
      const p = (t + distance) % size;
      const into = (t + p) % 2 === 0;
      if (into && p !== size - 1) arcs.push({ from: `p${p}`, to: `t${t}` });
      if (!into && p !== 0) arcs.push({ from: `t${t}`, to: `p${p}` });
    }
  }
  return {
    id,
    name: 'Dense',
    places: Array.from({ length: size }, (_, p) => ({
      id: `p${p}`,
      type: p === 0 ? ('start' as const) : p === size - 1 ? ('end' as const) : ('normal' as const),
    })),
    transitions: Array.from({ length: size }, (_, t) => ({
      id: `t${t}`,
      executor: 'manual',
      executorParams: {},
      joinType: 'and' as const,
      splitType: 'and' as const,
    })),
    arcs,
    metadata: {},
  };
}

/**
 * An xor split on the case's data: `register` (auto) sends the token to `board` when `toBoard` holds, else
 * by its default arc to `clerk`; the manual `boardReview` and `clerkReview` lead to `end`.
 */
export function xorNet(toBoard = 'case.amount > 10000'): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'xor-review',
    places: [{ id: 'start', type: 'start' }, { id: 'board' }, { id: 'clerk' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'register', executor: 'auto', splitType: 'xor' },
      { id: 'boardReview', executor: 'manual' },
      { id: 'clerkReview', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'register' },
      { from: 'register', to: 'board', condition: toBoard },
      { from: 'register', to: 'clerk', default: true },
      { from: 'board', to: 'boardReview' },
      { from: 'clerk', to: 'clerkReview' },
      { from: 'boardReview', to: 'end' },
      { from: 'clerkReview', to: 'end' },
    ],
  });
}

/**
 * An or block: `checks` (auto, or split) sends a token to `kyc` when `toKyc` holds and to `fraud` when
 * `toFraud` holds, else by its default arc to `basic`; the manual `kycCheck`, `fraudCheck` and `basicCheck`
 * mark `kycDone`, `fraudDone`, `basicDone`, which the or join `decide` (manual) closes.
 */
export function orBlockNet({
  toKyc = 'case.amount > 5000',
  toFraud = 'case.risk > 0',
}: { toKyc?: string; toFraud?: string } = {}): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'or-checks',
    places: [
      { id: 'start', type: 'start' },
      { id: 'kyc' },
      { id: 'fraud' },
      { id: 'basic' },
      { id: 'kycDone' },
      { id: 'fraudDone' },
      { id: 'basicDone' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'checks', executor: 'auto', splitType: 'or' },
      { id: 'kycCheck', executor: 'manual' },
      { id: 'fraudCheck', executor: 'manual' },
      { id: 'basicCheck', executor: 'manual' },
      { id: 'decide', executor: 'manual', joinType: 'or', orJoin: { split: 'checks' } },
    ],
    arcs: [
      { from: 'start', to: 'checks' },
      { from: 'checks', to: 'kyc', condition: toKyc },
      { from: 'checks', to: 'fraud', condition: toFraud },
      { from: 'checks', to: 'basic', default: true },
      { from: 'kyc', to: 'kycCheck' },
      { from: 'fraud', to: 'fraudCheck' },
      { from: 'basic', to: 'basicCheck' },
      { from: 'kycCheck', to: 'kycDone' },
      { from: 'fraudCheck', to: 'fraudDone' },
      { from: 'basicCheck', to: 'basicDone' },
      { from: 'kycDone', to: 'decide' },
      { from: 'fraudDone', to: 'decide' },
      { from: 'basicDone', to: 'decide' },
      { from: 'decide', to: 'end' },
    ],
  });
}

/** `[from, to]`, with `'default'` or a condition third for an output arc of a split that decides. */
export type DecisionArc = readonly [string, string, string?];

/**
 * A net from its arcs: places are the nodes not named as transitions. Each transition is given as
 * `[join, split, the split its or join closes]`; a join or split left out is read from the arc counts.
 */
export function decisionNet(
  id: string,
  transitions: { readonly [id: string]: readonly [JoinType?, SplitType?, string?] },
  arcs: readonly DecisionArc[],
): WorkflowDefinition {
  const places = new Set<string>();
  for (const [from, to] of arcs) {
    if (!(from in transitions)) places.add(from);
    if (!(to in transitions)) places.add(to);
  }
  const count = (ends: (arc: DecisionArc) => boolean): number => arcs.filter(ends).length;
  return normalizeWorkflow({
    id,
    places: [...places].map((placeId) => ({
      id: placeId,
      type: placeId === 'start' ? 'start' : placeId === 'end' ? 'end' : 'normal',
    })),
    transitions: Object.entries(transitions).map(([transitionId, [join, split, orJoinSplit]]) => ({
      id: transitionId,
      executor: 'auto',
      joinType: join ?? placeTransitionJoin(count(([, to]) => to === transitionId)),
      splitType: split ?? placeTransitionSplit(count(([from]) => from === transitionId)),
      ...(orJoinSplit !== undefined && { orJoin: { split: orJoinSplit } }),
    })),
    arcs: arcs.map(([from, to, decision]) =>
      decision === undefined
        ? { from, to }
        : decision === 'default'
          ? { from, to, default: true }
          : { from, to, condition: decision },
    ),
  });
}

/**
 * Two xor splits on the same condition in parallel, each branch pair closed by an and join: on data the
 * two always agree, as free choices they need not.
 */
export const correlatedChoicesNet = (id = 'correlated-choices'): WorkflowDefinition =>
  decisionNet(id, { fork: [], x1: [undefined, 'xor'], x2: [undefined, 'xor'], both: [], neither: [] }, [
    ['start', 'fork'],
    ['fork', 'p1'],
    ['fork', 'p2'],
    ['p1', 'x1'],
    ['p2', 'x2'],
    ['x1', 'big1', 'case.big == true'],
    ['x1', 'small1', 'default'],
    ['x2', 'big2', 'case.big == true'],
    ['x2', 'small2', 'default'],
    ['big1', 'both'],
    ['big2', 'both'],
    ['small1', 'neither'],
    ['small2', 'neither'],
    ['both', 'end'],
    ['neither', 'end'],
  ]);

/**
 * A deadline, the deferred choice of the contract: the manual `approve` and the timer `escalate` (by
 * default 48 hours after its workitem is created) race for the token in `start`; whichever acts first
 * wins and the other is withdrawn.
 */
export function deadlineNet(
  timer: { readonly after: string } | { readonly at: string } = { after: 'PT48H' },
): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'deadline',
    places: [
      { id: 'start', type: 'start' },
      { id: 'approved' },
      { id: 'escalated' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'approve', executor: 'manual' },
      { id: 'escalate', executor: TIMER_EXECUTOR, executorParams: timer },
      { id: 'archive', executor: 'manual' },
      { id: 'review', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'approve' },
      { from: 'start', to: 'escalate' },
      { from: 'approve', to: 'approved' },
      { from: 'escalate', to: 'escalated' },
      { from: 'approved', to: 'archive' },
      { from: 'escalated', to: 'review' },
      { from: 'archive', to: 'end' },
      { from: 'review', to: 'end' },
    ],
  });
}

/**
 * `start → step → after → end`: `step` run by `executor` (by default a webhook, which only the dispatcher
 * answers) with the given timeouts and retry policy, then a manual `after`; the workflow may have a case
 * timeout.
 */
export function timedStepNet({
  executor = 'webhook',
  executorParams = {},
  timeouts,
  retry,
  caseTimeout,
}: {
  executor?: string;
  executorParams?: { readonly [key: string]: JsonValue };
  timeouts?: Timeouts;
  retry?: Partial<RetryPolicy>;
  caseTimeout?: string;
} = {}): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'timed-step',
    places: [{ id: 'start', type: 'start' }, { id: 'done' }, { id: 'end', type: 'end' }],
    transitions: [
      {
        id: 'step',
        executor,
        executorParams,
        ...(timeouts && { timeouts }),
        ...(retry && { retry }),
      },
      { id: 'after', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'step' },
      { from: 'step', to: 'done' },
      { from: 'done', to: 'after' },
      { from: 'after', to: 'end' },
    ],
    ...(caseTimeout !== undefined && { caseTimeout }),
  });
}

/**
 * `submit → approve`, both manual: approve is for the managers and for bob (`assignment`, plus the given
 * assignee expression), and never for who submitted (`separateFrom`).
 */
export function peopleNet(assignee?: string): WorkflowDefinition {
  return normalizeWorkflow({
    id: 'people',
    places: [{ id: 'start', type: 'start' }, { id: 'submitted' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'submit', executor: 'manual' },
      {
        id: 'approve',
        executor: 'manual',
        assignment: {
          candidateGroups: ['managers'],
          candidateUsers: ['bob'],
          ...(assignee !== undefined && { assignee }),
        },
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
}
