import type { Decider } from '../core/decider.js';
import type { CaseCommand } from './commands.js';
import type { CaseDeciderOptions } from './decide.js';
import { decideCase, decideCaseAndFold } from './decide.js';
import type { CaseEvent } from './events.js';
import { evolveCase, foldCase, initialCaseState } from './evolve.js';
import type {
  CaseCounts,
  CaseData,
  CaseState,
  Incident,
  Task,
  Timer,
  Token,
  Workitem,
  WorkitemAttempts,
} from './state.js';

export type CaseDecider = Decider<CaseCommand, CaseEvent, CaseState>;

export const caseDecider = (options: CaseDeciderOptions = {}): CaseDecider => ({
  initialState: initialCaseState,
  decide: (command, state) => decideCase(command, state, options),
  evolve: evolveCase,
  fold: foldCase,
  decideAndFold: (command, state) => decideCaseAndFold(command, state, options),
});

/** Preexecute's answer: the tokens the task holds locked. */
export const lockedTokensOf = (state: CaseData, taskId: string): readonly Token[] =>
  (state.tasks.get(taskId)?.locked ?? []).map((id) => state.tokens.get(id)).filter((t) => t !== undefined);

type CaseSnapshot =
  | { readonly status: 'none' }
  | (Omit<
      CaseData,
      | 'tokens'
      | 'tasks'
      | 'workitems'
      | 'incidents'
      | 'timers'
      | 'attempts'
      | 'completedBy'
      | 'liveTaskOf'
      | 'counts'
    > & {
      readonly counts: Omit<CaseCounts, 'incidents' | 'timers'> & {
        readonly incidents?: number;
        readonly timers?: number;
      };
      readonly tokens: readonly Token[];
      readonly tasks: readonly Task[];
      readonly workitems: readonly Workitem[];
      /** Absent in snapshots taken before incidents existed: none was open then. */
      readonly incidents?: readonly Incident[];
      /** Absent in snapshots taken before timers and retries existed: none was pending then. */
      readonly timers?: readonly Timer[];
      readonly attempts?: readonly (readonly [string, WorkitemAttempts])[];
      /** Absent in snapshots taken before people existed: nobody had completed anything through the API then. */
      readonly completedBy?: readonly (readonly [string, readonly string[]])[];
      readonly liveTaskOf: readonly (readonly [string, string])[];
    });

/** A case state as plain JSON (maps as lists), for snapshots. */
export function caseToSnapshot(state: CaseState): CaseSnapshot {
  if (state.status === 'none') return state;
  return {
    ...state,
    tokens: [...state.tokens.values()],
    tasks: [...state.tasks.values()],
    workitems: [...state.workitems.values()],
    incidents: [...state.incidents.values()],
    timers: [...state.timers.values()],
    attempts: [...state.attempts],
    completedBy: [...state.completedBy],
    liveTaskOf: [...state.liveTaskOf],
  };
}

export function caseFromSnapshot(json: unknown): CaseState {
  const snapshot = json as CaseSnapshot;
  if (snapshot.status === 'none') return { status: 'none' };
  // Older snapshots kept what had ended and had no counts; their streams are replayed instead.
  if (typeof snapshot.counts !== 'object') throw new Error('a snapshot of an older case state');
  return {
    ...snapshot,
    tokens: new Map(snapshot.tokens.map((t) => [t.id, t])),
    tasks: new Map(snapshot.tasks.map((t) => [t.id, t])),
    workitems: new Map(snapshot.workitems.map((w) => [w.id, w])),
    incidents: new Map((snapshot.incidents ?? []).map((i) => [i.id, i])),
    timers: new Map((snapshot.timers ?? []).map((t) => [t.id, t])),
    attempts: new Map(snapshot.attempts ?? []),
    completedBy: new Map(snapshot.completedBy ?? []),
    counts: {
      ...snapshot.counts,
      incidents: snapshot.counts.incidents ?? 0,
      timers: snapshot.counts.timers ?? 0,
    },
    liveTaskOf: new Map(snapshot.liveTaskOf),
  };
}
