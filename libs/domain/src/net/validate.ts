import { ValidationError } from '../core/errors.js';
import { ASSIGNMENT_FIELDS, ID_PATTERN, RETRY_FIELDS, TIMEOUT_KINDS } from './definition.js';
import type { WorkflowDefinition } from './definition.js';
import {
  admits,
  DEFAULT_JOIN_TYPE,
  DEFAULT_SPLIT_TYPE,
  isJoinType,
  isSplitType,
  joinKinds,
  splitKinds,
} from './kinds.js';
import type { ArcCount, JoinType, SplitType } from './kinds.js';
import type { ConditionLanguage } from './conditions.js';
import type { Timing } from './timing.js';
import { orBlocksOf } from './or-blocks.js';

/** The structural rules of a workflow net; each is the `rule` of an `invalid_net` detail. */
export type NetRule =
  | 'invalid_id'
  | 'duplicate_id'
  | 'start_place_count'
  | 'end_place_count'
  | 'unknown_node'
  | 'place_to_place'
  | 'transition_to_transition'
  | 'duplicate_arc'
  | 'arc_into_start'
  | 'arc_out_of_end'
  | `${JoinType}_join_inputs`
  | `${SplitType}_split_outputs`
  | 'not_on_path'
  | 'condition_outside_decision'
  | 'default_arc_count'
  | 'default_with_condition'
  | 'condition_missing'
  | 'condition_invalid'
  | 'or_join_block'
  | 'or_join_kind'
  | 'timeouts_invalid'
  | 'retry_invalid'
  | 'case_timeout_invalid'
  | 'assignment_invalid'
  | 'separate_from_invalid'
  | 'output_schema_invalid';

export interface ValidateOptions {
  /** Checks each condition's source; without it conditions are held only to the structural rules. */
  readonly conditions?: ConditionLanguage;
  /** Checks durations; without it timeouts, retry intervals and the case timeout need only be strings. */
  readonly timing?: Timing;
}

export interface NetViolation {
  readonly rule: NetRule;
  /** The offending nodes: a node rule names the node, an arc rule the arc's `from` and `to`. */
  readonly ids: readonly string[];
  readonly message: string;
  /** Where in the definition, e.g. `places[2].id`, `arcs[3]`, `transitions[1]`. */
  readonly path: string;
}

type NodeKind = 'place' | 'transition';

interface NodeRef {
  readonly kind: NodeKind;
  readonly path: string;
}

interface Scope {
  readonly definition: WorkflowDefinition;
  /** The first node declared under each id; later duplicates are reported, not indexed. */
  readonly nodes: ReadonlyMap<string, NodeRef>;
  readonly startIds: ReadonlySet<string>;
  readonly endIds: ReadonlySet<string>;
  /** Arcs whose ends are both known and of different kinds: the arcs a firing can use. */
  readonly flowArcs: readonly { readonly from: string; readonly to: string }[];
}

/**
 * Every rule the definition breaks, in a stable order (ids, node counts, arcs, joins and splits, paths).
 * Total over any structure: a broken part is reported and left out of the rules that build on it.
 */
export function validateNet(
  definition: WorkflowDefinition,
  options: ValidateOptions = {},
): readonly NetViolation[] {
  const violations: NetViolation[] = [];
  const report = (rule: NetRule, ids: readonly string[], path: string, message: string): void => {
    violations.push({ rule, ids, path, message });
  };
  const scope = indexNodes(definition, report);
  checkArcs(scope, report);
  checkJoinsAndSplits(scope, report);
  checkPaths(scope, report);
  checkDecisions(scope, report, options.conditions);
  checkOrJoins(scope, report);
  checkTimes(definition, report, options.timing);
  checkPeople(definition, report, options.conditions);
  return violations;
}

/** Throws `invalid_net` with one detail per broken rule unless the definition is a workflow net. */
export function assertValidNet(definition: WorkflowDefinition, options: ValidateOptions = {}): void {
  const violations = validateNet(definition, options);
  const [first] = violations;
  if (first) {
    const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : '';
    throw new ValidationError(
      'invalid_net',
      `workflow ${String(definition.id)} is not a valid workflow net: ${first.message}${more}`,
      violations.map(({ path, message, rule, ids }) => ({ path, message, rule, ids })),
    );
  }
}

type Report = (rule: NetRule, ids: readonly string[], path: string, message: string) => void;

const isId = (id: unknown): id is string => typeof id === 'string' && ID_PATTERN.test(id);

function indexNodes(definition: WorkflowDefinition, report: Report): Scope {
  if (!isId(definition.id)) {
    report(
      'invalid_id',
      [String(definition.id)],
      'id',
      `workflow id ${JSON.stringify(definition.id)} is invalid`,
    );
  }
  const nodes = new Map<string, NodeRef>();
  const declare = (kind: NodeKind, id: string, path: string): void => {
    if (!isId(id)) {
      report('invalid_id', [String(id)], `${path}.id`, `${kind} id ${JSON.stringify(id)} is invalid`);
      if (typeof id !== 'string') return;
    }
    const first = nodes.get(id);
    if (first) {
      report('duplicate_id', [id], `${path}.id`, `${kind} id ${id} is already used by ${first.path}`);
    } else {
      nodes.set(id, { kind, path });
    }
  };
  definition.places.forEach((place, i) => declare('place', place.id, `places[${i}]`));
  definition.transitions.forEach((transition, i) =>
    declare('transition', transition.id, `transitions[${i}]`),
  );

  const startIds = placeIdsOfType(definition, 'start');
  const endIds = placeIdsOfType(definition, 'end');
  for (const [rule, type, ids] of [
    ['start_place_count', 'start', startIds],
    ['end_place_count', 'end', endIds],
  ] as const) {
    if (ids.size !== 1) {
      const list = ids.size > 0 ? `: ${[...ids].join(', ')}` : '';
      report(rule, [...ids], 'places', `a workflow net has one ${type} place, found ${ids.size}${list}`);
    }
  }

  const flowArcs = definition.arcs.filter(
    ({ from, to }) => nodes.has(from) && nodes.has(to) && nodes.get(from)?.kind !== nodes.get(to)?.kind,
  );
  return { definition, nodes, startIds, endIds, flowArcs };
}

function placeIdsOfType(definition: WorkflowDefinition, type: 'start' | 'end'): Set<string> {
  return new Set(definition.places.filter((p) => p.type === type).map((p) => p.id));
}

function checkArcs({ definition, nodes, startIds, endIds }: Scope, report: Report): void {
  const seen = new Map<string, number>();
  definition.arcs.forEach(({ from, to }, i) => {
    const path = `arcs[${i}]`;
    const arc = `arc ${from} → ${to}`;
    const fromNode = nodes.get(from);
    const toNode = nodes.get(to);
    if (!fromNode) report('unknown_node', [String(from)], `${path}.from`, `${arc} starts at an unknown node`);
    if (!toNode) report('unknown_node', [String(to)], `${path}.to`, `${arc} ends at an unknown node`);
    if (fromNode && toNode && fromNode.kind === toNode.kind) {
      report(
        fromNode.kind === 'place' ? 'place_to_place' : 'transition_to_transition',
        [from, to],
        path,
        `${arc} joins two ${fromNode.kind}s`,
      );
    }
    const key = JSON.stringify([from, to]);
    const earlier = seen.get(key);
    if (earlier === undefined) seen.set(key, i);
    else report('duplicate_arc', [from, to], path, `${arc} repeats arcs[${earlier}]`);
    if (startIds.has(to)) report('arc_into_start', [from, to], path, `${arc} enters the start place`);
    if (endIds.has(from)) report('arc_out_of_end', [from, to], path, `${arc} leaves the end place`);
  });
}

function checkJoinsAndSplits({ definition, nodes, flowArcs }: Scope, report: Report): void {
  const inputs = new Map<string, Set<string>>();
  const outputs = new Map<string, Set<string>>();
  const add = (index: Map<string, Set<string>>, transitionId: string, placeId: string): void => {
    const places = index.get(transitionId);
    if (places) places.add(placeId);
    else index.set(transitionId, new Set([placeId]));
  };
  for (const { from, to } of flowArcs) {
    if (nodes.get(to)?.kind === 'transition') add(inputs, to, from);
    else add(outputs, from, to);
  }
  definition.transitions.forEach(({ id, joinType, splitType }, i) => {
    const path = `transitions[${i}]`;
    // Arcs cannot tell a duplicate apart from the node first declared under its id.
    if (nodes.get(id)?.path !== path) return;
    // A kind outside the tables (only an untyped caller can pass one) is held to the default kind's rule.
    const join = isJoinType(joinType) ? joinType : DEFAULT_JOIN_TYPE;
    const split = isSplitType(splitType) ? splitType : DEFAULT_SPLIT_TYPE;
    const check = (rule: NetRule, arcs: ArcCount, count: number): void => {
      if (!admits(arcs, count)) report(rule, [id], path, arcs.message(id, count));
    };
    check(`${join}_join_inputs`, joinKinds[join].inputArcs, inputs.get(id)?.size ?? 0);
    check(`${split}_split_outputs`, splitKinds[split].outputArcs, outputs.get(id)?.size ?? 0);
  });
}

const decides = (splitType: unknown): boolean =>
  isSplitType(splitType) && splitKinds[splitType].decides !== 'none';

/**
 * Conditions and defaults sit only on the output arcs of a split that decides; there every arc but one
 * carries a condition the language accepts, and that one is the default.
 */
function checkDecisions(
  { definition, nodes }: Scope,
  report: Report,
  conditions: ConditionLanguage | undefined,
): void {
  const deciding = new Set(
    definition.transitions
      .filter((t, i) => decides(t.splitType) && nodes.get(t.id)?.path === `transitions[${i}]`)
      .map((t) => t.id),
  );
  const defaults = new Map<string, number>();
  definition.arcs.forEach((arc, i) => {
    const { from, to } = arc;
    const path = `arcs[${i}]`;
    const name = `arc ${from} → ${to}`;
    const hasCondition = arc.condition !== undefined;
    const isDefault = arc.default !== undefined;
    const decision = deciding.has(from) && nodes.get(to)?.kind === 'place';
    if (!decision) {
      if (hasCondition || isDefault) {
        report(
          'condition_outside_decision',
          [from, to],
          path,
          `${name} has a ${hasCondition ? 'condition' : 'default'}, but only an output arc of an xor or or split can`,
        );
      }
      return;
    }
    if (isDefault) {
      defaults.set(from, (defaults.get(from) ?? 0) + 1);
      if (hasCondition) {
        report('default_with_condition', [from, to], path, `${name} is the default and has a condition`);
      }
      return;
    }
    if (!hasCondition) {
      report('condition_missing', [from, to], path, `${name} of a split that decides has no condition`);
      return;
    }
    const why =
      typeof arc.condition !== 'string' ? 'a condition is a string' : conditions?.check(arc.condition);
    if (why !== undefined) report('condition_invalid', [from, to], `${path}.condition`, why);
  });
  definition.transitions.forEach(({ id, splitType }, i) => {
    if (!deciding.has(id) || nodes.get(id)?.path !== `transitions[${i}]`) return;
    const count = defaults.get(id) ?? 0;
    if (count !== 1) {
      report(
        'default_arc_count',
        [id],
        `transitions[${i}]`,
        `transition ${id} (${String(splitType)} split) needs one default arc, has ${count}`,
      );
    }
  });
}

/** An `or` join closes the block of the `or` split it names; `orJoin` belongs to such a join only. */
function checkOrJoins({ definition }: Scope, report: Report): void {
  const paths = new Map<string, string>();
  definition.transitions.forEach(({ id, joinType, orJoin }, i) => {
    if (!paths.has(id)) paths.set(id, `transitions[${i}]`);
    if (orJoin !== undefined && !(isJoinType(joinType) && joinKinds[joinType].pairedWithSplit)) {
      report(
        'or_join_kind',
        [id],
        `transitions[${i}].orJoin`,
        `transition ${id} has orJoin but its join is ${String(joinType)}, not or`,
      );
    }
  });
  for (const { join, message } of orBlocksOf(definition).problems) {
    report('or_join_block', [join], paths.get(join) ?? 'transitions', message);
  }
}

/** Without a start or an end place there is no path to be on; the count rules already say so. */
function checkPaths({ nodes, startIds, endIds, flowArcs }: Scope, report: Report): void {
  const sources = [...startIds].filter((id) => nodes.get(id)?.kind === 'place');
  const sinks = [...endIds].filter((id) => nodes.get(id)?.kind === 'place');
  if (sources.length === 0 || sinks.length === 0) return;
  const forward = reachable(sources, flowArcs, 'from', 'to');
  const backward = reachable(sinks, flowArcs, 'to', 'from');
  for (const [id, { kind, path }] of nodes) {
    if (forward.has(id) && backward.has(id)) continue;
    const why = forward.has(id)
      ? 'the end place cannot be reached from it'
      : 'it cannot be reached from the start place';
    report('not_on_path', [id], path, `${kind} ${id} is on no path from start to end: ${why}`);
  }
}

function reachable(
  roots: readonly string[],
  arcs: readonly { readonly from: string; readonly to: string }[],
  along: 'from' | 'to',
  towards: 'from' | 'to',
): Set<string> {
  const next = new Map<string, string[]>();
  for (const arc of arcs) {
    const list = next.get(arc[along]);
    if (list) list.push(arc[towards]);
    else next.set(arc[along], [arc[towards]]);
  }
  const seen = new Set(roots);
  const stack = [...roots];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    for (const to of next.get(id) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        stack.push(to);
      }
    }
  }
  return seen;
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Timeouts and retry policies of transitions, and the workflow's case timeout (all optional). */
function checkTimes(definition: WorkflowDefinition, report: Report, timing: Timing | undefined): void {
  const durationProblem = (value: unknown): string | undefined =>
    typeof value !== 'string' ? 'expected an ISO 8601 duration such as PT1H' : timing?.checkDuration(value);

  if (definition.caseTimeout !== undefined) {
    const why = durationProblem(definition.caseTimeout);
    if (why !== undefined) {
      report('case_timeout_invalid', [String(definition.id)], 'caseTimeout', `caseTimeout: ${why}`);
    }
  }
  definition.transitions.forEach(({ id, timeouts, retry }, i) => {
    const path = `transitions[${i}]`;
    const ids = [String(id)];
    if (timeouts !== undefined) {
      const refuse = (at: string, why: string): void =>
        report('timeouts_invalid', ids, `${path}.timeouts${at}`, `the timeouts of transition ${id}: ${why}`);
      if (!isRecord(timeouts)) {
        refuse('', 'expected an object of scheduleToStart, startToClose and scheduleToClose durations');
      } else {
        for (const [key, value] of Object.entries(timeouts)) {
          if (!(TIMEOUT_KINDS as readonly string[]).includes(key)) {
            refuse(`.${key}`, `${key} is not a timeout: expected ${TIMEOUT_KINDS.join(', ')}`);
            continue;
          }
          const why = durationProblem(value);
          if (why !== undefined) refuse(`.${key}`, `${key}: ${why}`);
        }
      }
    }
    if (retry !== undefined) {
      const refuse = (at: string, why: string): void =>
        report('retry_invalid', ids, `${path}.retry${at}`, `the retry policy of transition ${id}: ${why}`);
      if (!isRecord(retry)) {
        refuse('', `expected an object of ${RETRY_FIELDS.join(', ')}`);
        return;
      }
      for (const [key, value] of Object.entries(retry)) {
        const why = retryFieldProblem(key, value, durationProblem);
        if (why !== undefined) refuse(`.${key}`, `${key}: ${why}`);
      }
    }
  });
}

function retryFieldProblem(
  field: string,
  value: unknown,
  durationProblem: (value: unknown) => string | undefined,
): string | undefined {
  switch (field) {
    case 'initialInterval':
    case 'maximumInterval':
      return durationProblem(value);
    case 'backoffCoefficient':
      return typeof value === 'number' && Number.isFinite(value) && value >= 1
        ? undefined
        : 'expected a number of at least 1';
    case 'maximumAttempts':
      return Number.isInteger(value) && (value as number) >= 0
        ? undefined
        : 'expected a whole number of attempts, 0 for no limit';
    case 'nonRetryableErrorTypes':
      return Array.isArray(value) && value.every((type) => typeof type === 'string')
        ? undefined
        : 'expected a list of error types (strings)';
    default:
      return `not a field of a retry policy: expected ${RETRY_FIELDS.join(', ')}`;
  }
}

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * Who may work each transition's workitems (`assignment`), four eyes (`separateFrom`) and the form of its
 * output (`outputSchema`, here only its shape: whether a schema compiles is the application's to say).
 */
function checkPeople(
  definition: WorkflowDefinition,
  report: Report,
  conditions: ConditionLanguage | undefined,
): void {
  const transitionIds = new Set(definition.transitions.map((t) => t.id));
  definition.transitions.forEach(({ id, assignment, separateFrom, outputSchema }, i) => {
    const path = `transitions[${i}]`;
    const ids = [String(id)];
    if (assignment !== undefined) {
      let refused = false;
      const refuse = (at: string, why: string): void => {
        refused = true;
        report(
          'assignment_invalid',
          ids,
          `${path}.assignment${at}`,
          `the assignment of transition ${id}: ${why}`,
        );
      };
      if (!isRecord(assignment)) {
        refuse('', `expected an object of ${ASSIGNMENT_FIELDS.join(', ')}`);
      } else {
        for (const key of Object.keys(assignment)) {
          if (!(ASSIGNMENT_FIELDS as readonly string[]).includes(key)) {
            refuse(
              `.${key}`,
              `${key} is not a field of an assignment: expected ${ASSIGNMENT_FIELDS.join(', ')}`,
            );
          }
        }
        const { candidateGroups, candidateUsers, assignee } = assignment as Record<string, unknown>;
        for (const [field, list] of [
          ['candidateGroups', candidateGroups],
          ['candidateUsers', candidateUsers],
        ] as const) {
          if (list !== undefined && !(Array.isArray(list) && list.every(isNonEmptyString))) {
            refuse(`.${field}`, `${field}: expected a list of names (non-empty strings)`);
          }
        }
        if (assignee !== undefined) {
          const why = isNonEmptyString(assignee)
            ? conditions?.checkAssignee?.(assignee)
            : 'expected an expression giving a user name (a non-empty string)';
          if (why !== undefined) refuse('.assignee', `assignee: ${why}`);
        }
        const names = (list: unknown): number => (Array.isArray(list) ? list.length : 0);
        if (!refused && names(candidateGroups) + names(candidateUsers) === 0 && assignee === undefined) {
          refuse('', 'it names no candidate group, candidate user or assignee, so only admins could work it');
        }
      }
    }
    if (separateFrom !== undefined) {
      const refuse = (at: string, why: string): void =>
        report(
          'separate_from_invalid',
          ids,
          `${path}.separateFrom${at}`,
          `separateFrom of transition ${id}: ${why}`,
        );
      if (!Array.isArray(separateFrom)) {
        refuse('', 'expected a list of ids of other transitions of the net');
      } else {
        (separateFrom as readonly unknown[]).forEach((other, j) => {
          if (other === id) refuse(`[${j}]`, 'a transition cannot be kept apart from itself');
          else if (typeof other !== 'string' || !transitionIds.has(other)) {
            refuse(`[${j}]`, `${JSON.stringify(other)} is not a transition of the net`);
          }
        });
      }
    }
    if (outputSchema !== undefined && !isRecord(outputSchema)) {
      report(
        'output_schema_invalid',
        ids,
        `${path}.outputSchema`,
        `the outputSchema of transition ${id}: expected a JSON Schema object`,
      );
    }
  });
}
