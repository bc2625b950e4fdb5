import { expect } from '@jest/globals';
import type { JsonValue } from '../core/message.js';
import type { WorkflowDefinition } from '../net/definition.js';
import type { CaseCommand } from '../case/commands.js';
import type { CaseDeciderOptions } from '../case/decide.js';
import { decideCase } from '../case/decide.js';
import type { CaseEvent } from '../case/events.js';
import { foldCase, foldCaseWithEnded, initialCaseState } from '../case/evolve.js';
import type { CaseData, CaseState, Task, Workitem } from '../case/state.js';
import { TIMER_EXECUTOR } from '../net/timing.js';
import { isOpen } from '../workitem/workitem.js';

export const AT = '2026-01-01T00:00:00.000Z';

/** Immediate answers as the built-in executors give them, with every `auto` step immediate. */
export const immediateBuiltIns: CaseDeciderOptions = {
  immediateAnswer: (request, transition) =>
    transition.executor === 'auto'
      ? { status: 'completed', output: request.params['output'] ?? null }
      : transition.executor === 'manual'
        ? { status: 'started' }
        : undefined,
};

type Expected = { readonly type: string; readonly data?: object };

/** given events / when command / then events (compared by type and the data fields named) or error. */
export function given(history: readonly CaseEvent[], options: CaseDeciderOptions = {}) {
  const state = foldCase(initialCaseState(), history);
  return {
    when(command: CaseCommand) {
      const decide = (): readonly CaseEvent[] => decideCase(command, state, options);
      return {
        then(expected: readonly Expected[]): readonly CaseEvent[] {
          const events = decide();
          expect(events.map((e) => e.type)).toEqual(expected.map((e) => e.type));
          expected.forEach((e, i) => {
            if (e.data) expect(events[i]?.data).toMatchObject(e.data);
          });
          return events;
        },
        thenFails(code: string): void {
          expect(decide).toThrow(expect.objectContaining({ code }));
        },
        thenFailsWith(errorName: string): void {
          expect(decide).toThrow(expect.objectContaining({ name: errorName }));
        },
        events: decide,
      };
    },
  };
}

export interface CaseRun {
  readonly caseId: string;
  /** What the case's decisions are taken with. */
  readonly options: CaseDeciderOptions;
  readonly history: readonly CaseEvent[];
  readonly state: CaseData;
  /** The whole history folded keeping what has ended: the tasks, workitems and tokens `state` has let go. */
  readonly withEnded: CaseData;
  /** Decides and records a command's events; a refusal throws and records nothing. */
  send(command: CaseCommand): readonly CaseEvent[];
  /** The live task of a transition. */
  task(transitionId: string): Task;
  /** The open workitem of a transition's live task. */
  workitem(transitionId: string): Workitem;
  /**
   * What the dispatcher does: runs `auto` workitems (lock, complete) and starts `manual` ones (and any
   * other executor's), until quiet; a `timer` workitem waits for its timer.
   */
  runExecutors(): void;
}

/** A case of the given net, created and with its executors run, recording every event. */
export function startCase(
  definition: WorkflowDefinition,
  {
    caseId = 'c1',
    data = {},
    options = {},
    runExecutors = true,
  }: { caseId?: string; data?: JsonValue; options?: CaseDeciderOptions; runExecutors?: boolean } = {},
): CaseRun {
  const history: CaseEvent[] = [];
  let state: CaseState = initialCaseState();
  const send = (command: CaseCommand): readonly CaseEvent[] => {
    const events = decideCase(command, state, options);
    state = foldCase(state, events);
    history.push(...events);
    return events;
  };
  const data_ = (): CaseData => {
    if (state.status === 'none') throw new Error('the case does not exist');
    return state;
  };
  const task = (transitionId: string): Task => {
    const taskId = data_().liveTaskOf.get(transitionId);
    const found = taskId === undefined ? undefined : data_().tasks.get(taskId);
    if (!found) throw new Error(`no live task of ${transitionId}`);
    return found;
  };
  const run: CaseRun = {
    caseId,
    options,
    history,
    get state() {
      return data_();
    },
    get withEnded() {
      return foldCaseWithEnded(initialCaseState(), history) as CaseData;
    },
    send,
    task,
    workitem(transitionId) {
      const found = task(transitionId)
        .workitemIds.map((id) => data_().workitems.get(id))
        .find((w) => w !== undefined && isOpen(w));
      if (!found) throw new Error(`no open workitem of ${transitionId}`);
      return found;
    },
    runExecutors() {
      for (let moved = true; moved && data_().status === 'active';) {
        moved = false;
        for (const workitem of data_().workitems.values()) {
          if (workitem.state !== 'created') continue;
          const transition = data_().definition.transitions.find((t) => t.id === workitem.transitionId);
          if (transition?.executor === TIMER_EXECUTOR) continue;
          if (transition?.executor === 'auto') {
            send({
              type: 'UpdateWorkitem',
              data: {
                caseId,
                workitemId: workitem.id,
                state: 'completed',
                output: transition.executorParams['output'] ?? null,
                at: AT,
              },
            });
          } else {
            send({
              type: 'UpdateWorkitem',
              data: { caseId, workitemId: workitem.id, state: 'started', at: AT },
            });
          }
          moved = true;
          break;
        }
      }
    },
  };
  send({ type: 'CreateCase', data: { caseId, workflow: { definition, state: 'active' }, data, at: AT } });
  if (runExecutors) run.runExecutors();
  return run;
}

/** Replays a history from scratch, one event at a time. */
export const replay = (history: readonly CaseEvent[]): CaseState =>
  history.reduce<CaseState>((state, event) => foldCase(state, [event]), initialCaseState());
