import type { JsonValue } from '../core/message.js';

/** What a condition reads (the CEL variables of the contract). */
export interface ConditionScope {
  /** The case's data. */
  readonly case: JsonValue;
  /** The completed workitem's output (the first completed one's, when a task has several). */
  readonly output: JsonValue;
  /** The consumed tokens' payloads by input place id. */
  readonly inputs: { readonly [placeId: string]: JsonValue };
  /** The payload the task is about to issue. */
  readonly payload: JsonValue;
  /** The command's time (ISO 8601), a CEL timestamp. */
  readonly now: string;
}

/** What an assignee expression reads when its workitem is created. */
export interface AssigneeScope {
  /** The case's data. */
  readonly case: JsonValue;
  /** The payloads of the tokens offered to the workitem's task, by input place id. */
  readonly inputs: { readonly [placeId: string]: JsonValue };
}

/**
 * The expression language of arc conditions and of assignee expressions, supplied by the caller: the domain stays free of any
 * library. Both methods are pure; an implementation compiles each source once and may cache it.
 */
export interface ConditionLanguage {
  /** Why the source is not a condition (a syntax error, an unknown variable, not a `bool`), else undefined. */
  check(source: string): string | undefined;
  /** The condition's value in the scope; throws `ConditionFailure` when it cannot be evaluated. */
  evaluate(source: string, scope: ConditionScope): boolean;
  /**
   * Why the source is not an assignee expression (one that gives a string over `AssigneeScope`), else
   * undefined. A language without it takes no assignee expression.
   */
  checkAssignee?(source: string): string | undefined;
  /** The user the assignee expression names in the scope; throws `ConditionFailure` when it cannot be evaluated. */
  evaluateAssignee?(source: string, scope: AssigneeScope): string;
}

/** A condition that could not be evaluated on a case (a missing field, a type error, a budget exceeded). */
export class ConditionFailure extends Error {
  override readonly name = 'ConditionFailure';
}
