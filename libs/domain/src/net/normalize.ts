import type { JsonValue } from '../core/message.js';
import type {
  Arc,
  Assignment,
  Place,
  PlaceType,
  RetryPolicy,
  Timeouts,
  Transition,
  WorkflowDefinition,
} from './definition.js';
import { ASSIGNMENT_FIELDS, RETRY_FIELDS, TIMEOUT_KINDS } from './definition.js';
import { DEFAULT_JOIN_TYPE, DEFAULT_SPLIT_TYPE } from './kinds.js';
import type { JoinType, SplitType } from './kinds.js';

export interface PlaceInput {
  readonly id: string;
  /** `normal` when absent. */
  readonly type?: PlaceType;
  readonly name?: string;
}

export interface TransitionInput {
  readonly id: string;
  readonly name?: string;
  readonly executor: string;
  /** `{}` when absent. */
  readonly executorParams?: { readonly [key: string]: JsonValue };
  /** `none` when absent. */
  readonly joinType?: JoinType;
  /** `none` when absent. */
  readonly splitType?: SplitType;
  readonly orJoin?: { readonly split: string };
  readonly timeouts?: Timeouts;
  readonly retry?: Partial<RetryPolicy>;
  readonly assignment?: Assignment;
  readonly separateFrom?: readonly string[];
  readonly outputSchema?: { readonly [key: string]: JsonValue };
}

export interface ArcInput {
  readonly from: string;
  readonly to: string;
  readonly condition?: string;
  /** Kept only when true. */
  readonly default?: boolean;
}

/** The body of `POST /workflows` once the HTTP layer has given it an id (a UUID when the body has none). */
export interface WorkflowInput {
  readonly id: string;
  /** The id when absent. */
  readonly name?: string;
  readonly places: readonly PlaceInput[];
  readonly transitions: readonly TransitionInput[];
  readonly arcs: readonly ArcInput[];
  /** `{}` when absent. */
  readonly metadata?: { readonly [key: string]: JsonValue };
  readonly caseTimeout?: string;
}

/**
 * The definition with every default filled. Only known fields are copied, so the stored definition
 * (and the idempotency check that compares it) never depends on extra fields of a request body. Timeouts,
 * retry policies and the case timeout are kept as given, and only when given: `validateNet` judges them,
 * and a definition without them stays as it was stored before they existed.
 */
export function normalizeWorkflow(input: WorkflowInput): WorkflowDefinition {
  return {
    id: input.id,
    name: input.name ?? input.id,
    places: input.places.map(normalizePlace),
    transitions: input.transitions.map(normalizeTransition),
    arcs: input.arcs.map(normalizeArc),
    metadata: input.metadata ?? {},
    ...(input.caseTimeout !== undefined && { caseTimeout: input.caseTimeout }),
  };
}

function normalizePlace({ id, type, name }: PlaceInput): Place {
  return { id, type: type ?? 'normal', ...(name !== undefined && { name }) };
}

function normalizeTransition(input: TransitionInput): Transition {
  const { id, name, executor, executorParams, joinType, splitType, orJoin, timeouts, retry } = input;
  const { assignment, separateFrom, outputSchema } = input;
  return {
    id,
    ...(name !== undefined && { name }),
    executor,
    executorParams: executorParams ?? {},
    joinType: joinType ?? DEFAULT_JOIN_TYPE,
    splitType: splitType ?? DEFAULT_SPLIT_TYPE,
    ...(orJoin !== undefined && { orJoin: { split: orJoin.split } }),
    ...(timeouts !== undefined && { timeouts: knownMembers(timeouts, TIMEOUT_KINDS) }),
    ...(retry !== undefined && { retry: knownMembers(retry, RETRY_FIELDS) }),
    // Anything but an object is kept as given, for `validateNet` to refuse.
    ...(assignment !== undefined && {
      assignment: isRecord(assignment) ? knownMembers(assignment, ASSIGNMENT_FIELDS) : assignment,
    }),
    ...(separateFrom !== undefined && { separateFrom }),
    ...(outputSchema !== undefined && { outputSchema }),
  };
}

/** The given members of `keys`: one present but undefined would hide its default when the policy is spread. */
function knownMembers<T extends object>(value: T, keys: readonly (keyof T)[]): T {
  const kept: Partial<T> = {};
  for (const key of keys) if (value[key] !== undefined) kept[key] = value[key];
  return kept as T;
}

const isRecord = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function normalizeArc({ from, to, condition, default: isDefault }: ArcInput): Arc {
  return {
    from,
    to,
    ...(condition !== undefined && { condition }),
    ...(isDefault === true && { default: true }),
  };
}
