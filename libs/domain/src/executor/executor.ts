import type { JsonValue } from '../core/message.js';
import type { Transition } from '../net/definition.js';
import type { ExecutionError } from '../case/events.js';
import type { Token, Workitem } from '../case/state.js';

/**
 * What an executor answers for a workitem: it reports later, it finished with an output, it gave up, or
 * this attempt failed (retried by the transition's retry policy unless the error is not retryable).
 */
export type ExecutionResult =
  | { readonly status: 'started' }
  | { readonly status: 'completed'; readonly output: JsonValue }
  | { readonly status: 'abandoned' }
  | { readonly status: 'failed'; readonly error: ExecutionError };

export interface ExecutionRequest {
  readonly caseId: string;
  readonly workitem: Workitem;
  /** The tokens the workitem's task was offered, with their payloads. */
  readonly tokens: readonly Token[];
  readonly params: Transition['executorParams'];
  /** Which attempt this is, from 1: one more than the failed attempts recorded for the workitem. */
  readonly attempt: number;
}

/**
 * The code that does a workitem's work, registered by name. `execute` may run more than once for the
 * same workitem (the engine delivers at least once), so it must tolerate a second run.
 */
export interface Executor {
  readonly execute: (request: ExecutionRequest) => Promise<ExecutionResult> | ExecutionResult;
  /**
   * The answer, when it is known at once without doing anything outside (pure, synchronous, no I/O):
   * the engine records it in the command that creates the workitem and never calls `execute` for it.
   * Undefined: no answer yet, `execute` runs as usual.
   */
  readonly immediate?: (request: ExecutionRequest) => ExecutionResult | undefined;
  /** Cleanup when the engine abandons one of this executor's open workitems. */
  readonly abandon?: (workitem: Workitem) => Promise<void> | void;
  /** The payload of the tokens a completed task issues; `defaultTokenPayload` when absent. Must be pure. */
  readonly buildTokenPayload?: (workitems: readonly Workitem[]) => JsonValue;
  /**
   * What is wrong with a transition's `executorParams` (each `path` within them), checked when a net is
   * defined so that parameters that could never work are refused then rather than failing every attempt.
   */
  readonly paramsProblems?: (params: {
    readonly [key: string]: JsonValue;
  }) => readonly { readonly path: string; readonly message: string }[];
}

/** `{ [workitemId]: output }` over the completed workitems. */
export function defaultTokenPayload(workitems: readonly Workitem[]): JsonValue {
  const payload: Record<string, JsonValue> = {};
  for (const workitem of workitems) {
    if (workitem.state === 'completed') payload[workitem.id] = workitem.output;
  }
  return payload;
}
