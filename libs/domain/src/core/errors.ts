/** Codes of the HTTP contract that a refused command answers with (409 unless said otherwise). */
export type IllegalStateCode =
  | 'already_exists'
  | 'task_not_enabled'
  | 'tokens_not_available'
  | 'task_not_available'
  | 'workitem_not_available'
  | 'case_not_available'
  | 'incident_not_open'
  | 'workitem_claimed';

export interface ValidationDetail {
  readonly path: string;
  readonly message: string;
  /** The broken rule, for `invalid_net` details. */
  readonly rule?: string;
  /** The ids of the offending nodes or arcs, for `invalid_net` details. */
  readonly ids?: readonly string[];
}

/** Input that can never be accepted, whatever the state (400). */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly code: 'validation_failed' | 'invalid_net',
    message: string,
    readonly details: readonly ValidationDetail[] = [],
  ) {
    super(message);
  }
}

/** The entity a command or query names does not exist (404). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly entity: 'workflow' | 'case' | 'task' | 'workitem' | 'token' | 'incident' | 'timer',
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
  }
}

/** A command that the current state refuses (409). */
export class IllegalStateError extends Error {
  override readonly name = 'IllegalStateError';
  constructor(
    readonly code: IllegalStateCode,
    message: string,
  ) {
    super(message);
  }
}

/** The caller may not do this to this workitem, whatever the state (403). */
export class NotPermittedError extends Error {
  override readonly name = 'NotPermittedError';
  constructor(
    readonly code: 'not_a_candidate' | 'separation_of_duties',
    message: string,
  ) {
    super(message);
  }
}

/** An append whose expected revision did not match the stream (409 `concurrency_conflict` once retries run out). */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`stream ${streamId}: expected revision ${expected}, found ${actual}`);
  }
}

/** The event store cannot be reached or cannot write (503 `store_unavailable`). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
