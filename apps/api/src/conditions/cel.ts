import { Environment, EvaluationError, ParseError, TypeError as CelTypeError } from '@marcbachmann/cel-js';
import type { ASTNode, ParseResult } from '@marcbachmann/cel-js';
import { ConditionFailure } from '@wfnet/domain';
import type {
  AssigneeScope,
  ConditionLanguage,
  ConditionScope,
  JsonValue,
  TimestampScope,
} from '@wfnet/domain';

/** What one condition may be and do: checked once per source, and spent while it runs. */
export interface ConditionLimits {
  /** UTF-8 bytes of source. */
  readonly maxSourceBytes: number;
  readonly maxAstNodes: number;
  /** Nesting of calls, selections, indexes and literals, as the parser counts it. */
  readonly maxDepth: number;
  /**
   * What one evaluation may read of the case: one unit per value it reaches (a field, an element, a key
   * it lists) and one per 256 characters of each string it reads. It bounds the work of a macro over
   * case data, which the source alone cannot.
   */
  readonly maxReadUnits: number;
  /** Compiled sources kept; the oldest is dropped first. */
  readonly cacheSize: number;
}

export const CONDITION_LIMITS: ConditionLimits = {
  maxSourceBytes: 1024,
  maxAstNodes: 200,
  maxDepth: 32,
  maxReadUnits: 2_000,
  cacheSize: 1000,
};

/** The macros of CEL: each runs its body once per element, so one inside another multiplies. */
const MACROS = new Set(['map', 'filter', 'all', 'exists', 'exists_one']);

/** Functions an expression may not call, and why (`where` names the expressions: `conditions`). */
const REFUSED_FUNCTIONS: ReadonlyMap<string, (where: string) => string> = new Map([
  // The library runs patterns as JavaScript regular expressions, which can backtrack for ever.
  ['matches', (where: string) => `regular expressions (matches) are not allowed in ${where}`],
  // A bound value used twice doubles with each binding: a short source could build an enormous list.
  ['bind', (where: string) => `cel.bind is not allowed in ${where}`],
]);

/** Declared variables (see `ConditionScope`); any other name is an unknown variable. */
function conditionEnvironment(limits: ConditionLimits): Environment {
  return new Environment({
    limits: { maxAstNodes: limits.maxAstNodes, maxDepth: limits.maxDepth },
  })
    .registerVariable('case', 'map', { description: "The case's data" })
    .registerVariable('output', 'dyn', { description: "The completed workitem's output" })
    .registerVariable('inputs', 'map<string, dyn>', {
      description: "The consumed tokens' payloads by input place id",
    })
    .registerVariable('payload', 'dyn', { description: 'The payload the task is about to issue' })
    .registerVariable('now', 'google.protobuf.Timestamp', { description: "The command's time" });
}

/** Declared variables of an assignee expression (see `AssigneeScope`). */
function assigneeEnvironment(limits: ConditionLimits): Environment {
  return new Environment({
    limits: { maxAstNodes: limits.maxAstNodes, maxDepth: limits.maxDepth },
  })
    .registerVariable('case', 'map', { description: "The case's data" })
    .registerVariable('inputs', 'map<string, dyn>', {
      description: "The payloads of the tokens offered to the workitem's task, by input place id",
    });
}

/** Declared variables of a `timer` executor's `at` (see `TimestampScope`). */
function timestampEnvironment(limits: ConditionLimits): Environment {
  return new Environment({
    limits: { maxAstNodes: limits.maxAstNodes, maxDepth: limits.maxDepth },
  })
    .registerVariable('case', 'map', { description: "The case's data" })
    .registerVariable('inputs', 'map<string, dyn>', {
      description: "The payloads of the tokens offered to the workitem's task, by input place id",
    })
    .registerVariable('now', 'google.protobuf.Timestamp', { description: "The command's time" });
}

type Compiled =
  { readonly ok: true; readonly program: ParseResult } | { readonly ok: false; readonly problem: string };

const isNode = (value: unknown): value is ASTNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && 'op' in value;

/** The nodes among a node's arguments, however deeply its arguments nest them in arrays. */
function childNodes(args: unknown): ASTNode[] {
  if (isNode(args)) return [args];
  return Array.isArray(args) ? args.flatMap(childNodes) : [];
}

/**
 * Why the syntax tree uses what expressions may not (a refused function, a macro inside a macro); `where`
 * names the expressions for the message.
 */
function structureProblem(node: ASTNode, insideMacro: string | undefined, where: string): string | undefined {
  if (node.op === 'rcall' || node.op === 'call') {
    const [name] = node.args as unknown as [string, ...unknown[]];
    const refused = REFUSED_FUNCTIONS.get(name);
    if (refused) return refused(where);
    if (node.op === 'rcall' && MACROS.has(name)) {
      if (insideMacro) return `macro ${name} inside macro ${insideMacro}: a macro may not be nested`;
      const [, receiver, body] = node.args as unknown as [string, unknown, unknown];
      return (
        childNodes(receiver)
          .map((child) => structureProblem(child, undefined, where))
          .find(Boolean) ??
        childNodes(body)
          .map((child) => structureProblem(child, name, where))
          .find(Boolean)
      );
    }
  }
  return childNodes(node.args)
    .map((child) => structureProblem(child, insideMacro, where))
    .find(Boolean);
}

/** The library's error as one line: what is wrong and where. */
function oneLine(error: Error): string {
  if (error instanceof ParseError || error instanceof EvaluationError || error instanceof CelTypeError) {
    const at = error.range ? ` (at character ${error.range.start + 1})` : '';
    return `${error.summary}${at}`;
  }
  return error.message;
}

class ReadBudgetExceeded extends Error {}

/** What one evaluation may still read; see `ConditionLimits.maxReadUnits`. */
class ReadBudget {
  constructor(private remaining: number) {}

  spend(units: number): void {
    this.remaining -= units;
    if (this.remaining < 0) throw new ReadBudgetExceeded();
  }
}

const isList = (value: object): value is readonly JsonValue[] => Array.isArray(value);

/**
 * A JSON value as CEL reads it: safe integers as `int` (bigint), other numbers as `double`, objects and
 * arrays as views that convert each value when it is read. Nothing is copied, so a condition over a large
 * case pays for what it reads, and every read is spent from the budget.
 */
function celValue(value: JsonValue | undefined, budget: ReadBudget): unknown {
  budget.spend(1);
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (typeof value === 'string') budget.spend(value.length >> 8);
  if (typeof value !== 'object' || value === null) return value;
  return isList(value) ? listView(value, budget) : mapView(value, budget);
}

/** Where a view's target keeps the JSON value it shows and the budget its reads are spent from. */
const SOURCE = Symbol('source');
const BUDGET = Symbol('budget');

interface MapTarget {
  readonly [SOURCE]: { readonly [key: string]: JsonValue };
  readonly [BUDGET]: ReadBudget;
}

interface ListTarget extends Array<unknown> {
  [SOURCE]: readonly JsonValue[];
  [BUDGET]: ReadBudget;
}

const ownField = (target: MapTarget, key: string | symbol): key is string =>
  typeof key === 'string' && Object.hasOwn(target[SOURCE], key);

/**
 * A JSON object as a CEL map. The target has no prototype, which the library reads as a map, and
 * `constructor` is never the data's: the library takes a value's type from it. Only own keys are fields,
 * so nothing of `Object.prototype` can be reached. One handler serves every view (a view is made per
 * read, so it must be cheap).
 */
const mapHandler: ProxyHandler<MapTarget> = {
  get: (target, key) =>
    key !== 'constructor' && ownField(target, key)
      ? celValue(target[SOURCE][key], target[BUDGET])
      : undefined,
  has: ownField,
  ownKeys: (target) => {
    const keys = Object.keys(target[SOURCE]);
    target[BUDGET].spend(keys.length);
    return keys;
  },
  getOwnPropertyDescriptor: (target, key) =>
    ownField(target, key)
      ? { value: target[SOURCE][key], writable: false, enumerable: true, configurable: true }
      : undefined,
};

function mapView(object: { readonly [key: string]: JsonValue }, budget: ReadBudget): object {
  const target = Object.create(null) as { [SOURCE]: typeof object; [BUDGET]: ReadBudget };
  target[SOURCE] = object;
  target[BUDGET] = budget;
  return new Proxy(target, mapHandler);
}

// An array's own keys are its indexes and `length`.
const heldIndex = (target: ListTarget, key: string | symbol): key is string =>
  typeof key === 'string' && key !== 'length' && Object.hasOwn(target[SOURCE], key);

/** A JSON array as a CEL list: its target is an array, which is how the library tells a list. */
const listHandler: ProxyHandler<ListTarget> = {
  get: (target, key) => {
    if (key === 'length') return target[SOURCE].length;
    if (heldIndex(target, key)) return celValue(target[SOURCE][key as unknown as number], target[BUDGET]);
    return Reflect.get(target, key) as unknown;
  },
  has: (target, key) => key === 'length' || heldIndex(target, key),
  ownKeys: (target) => {
    target[BUDGET].spend(target[SOURCE].length);
    return [...target[SOURCE].keys()].map(String).concat('length');
  },
  getOwnPropertyDescriptor: (target, key) => {
    if (key === 'length') {
      return { value: target[SOURCE].length, writable: true, enumerable: false, configurable: false };
    }
    return heldIndex(target, key)
      ? {
          value: target[SOURCE][key as unknown as number],
          writable: false,
          enumerable: true,
          configurable: true,
        }
      : undefined;
  },
};

function listView(list: readonly JsonValue[], budget: ReadBudget): object {
  const target = [] as unknown as ListTarget;
  target[SOURCE] = list;
  target[BUDGET] = budget;
  return new Proxy(target, listHandler);
}

/** What a kind of expression is: its variables, the types it may give, and its name in messages. */
interface ExpressionKind {
  /** `condition`: "the condition is … bytes long". */
  readonly noun: string;
  /** `conditions`: "… are not allowed in conditions". */
  readonly plural: string;
  readonly environment: Environment;
  /** The type it must give; `dyn` is also taken, its value checked when it runs. */
  readonly gives: string;
  /** How that type is named in "gives int, not bool". */
  readonly givesName: string;
}

/**
 * Compiles and checks sources of one kind once each and keeps them; a source compiles when it fits the
 * limits, calls nothing refused, nests no macro and type-checks to the kind's type (or `dyn`).
 */
class CelCompiler {
  private readonly compiled = new Map<string, Compiled>();

  constructor(
    private readonly kind: ExpressionKind,
    private readonly limits: ConditionLimits,
  ) {}

  compile(source: string): Compiled {
    const cached = this.compiled.get(source);
    if (cached) return cached;
    const compiled = this.compileAnew(source);
    if (this.compiled.size >= this.limits.cacheSize) {
      const [oldest] = this.compiled.keys();
      if (oldest !== undefined) this.compiled.delete(oldest);
    }
    this.compiled.set(source, compiled);
    return compiled;
  }

  private compileAnew(source: string): Compiled {
    const { noun } = this.kind;
    const bytes = Buffer.byteLength(source, 'utf8');
    if (bytes > this.limits.maxSourceBytes) {
      return {
        ok: false,
        problem: `the ${noun} is ${bytes} bytes long, more than ${this.limits.maxSourceBytes}`,
      };
    }
    let program: ParseResult;
    try {
      program = this.kind.environment.parse(source);
    } catch (error) {
      return { ok: false, problem: oneLine(error instanceof Error ? error : new Error(String(error))) };
    }
    const problem = structureProblem(program.ast, undefined, this.kind.plural);
    if (problem) return { ok: false, problem };
    const checked = program.check();
    if (!checked.valid) {
      return {
        ok: false,
        problem: checked.error ? oneLine(checked.error) : `the ${noun} does not type-check`,
      };
    }
    if (checked.type !== this.kind.gives && checked.type !== 'dyn') {
      return { ok: false, problem: `the ${noun} gives ${checked.type}, not ${this.kind.givesName}` };
    }
    return { ok: true, program };
  }
}

function whyFailed(error: unknown, limits: ConditionLimits): string {
  if (error instanceof ReadBudgetExceeded)
    return `it read more than ${limits.maxReadUnits} units of the case (each value, and each 256 characters of a string)`;
  return error instanceof Error ? oneLine(error) : String(error);
}

/**
 * What `source` gives over the variables `scope` makes (each JSON value read within `limits`), or a
 * `fail`ure naming it as `what`: not compiled, failed, or a value `is` refuses (`expected` names the kind).
 */
function run<T>(
  compiler: CelCompiler,
  limits: ConditionLimits,
  what: string,
  source: string,
  scope: (read: (value: JsonValue | undefined) => unknown) => Record<string, unknown>,
  is: (value: unknown) => value is T,
  expected: string,
  fail: (message: string, cause?: unknown) => Error,
): T {
  const named = `${what} ${JSON.stringify(source)}`;
  const compiled = compiler.compile(source);
  if (!compiled.ok) throw fail(`${named}: ${compiled.problem}`);
  const budget = new ReadBudget(limits.maxReadUnits);
  let value: unknown;
  try {
    value = compiled.program(scope((json) => celValue(json, budget)));
  } catch (error) {
    throw fail(`${named} failed: ${whyFailed(error, limits)}`, error);
  }
  if (!is(value)) throw fail(`${named} gave ${value === null ? 'null' : typeof value}, not ${expected}`);
  return value;
}

const conditionFailure = (message: string): Error => new ConditionFailure(message);

/**
 * Arc conditions in CEL (the domain's `ConditionLanguage`): sources that give a `bool` (or `dyn`, whose
 * value is checked when it runs) over the declared variables.
 */
export class CelConditions implements ConditionLanguage {
  private readonly compiler: CelCompiler;
  private readonly assignees: CelCompiler;

  constructor(private readonly limits: ConditionLimits = CONDITION_LIMITS) {
    this.compiler = new CelCompiler(
      {
        noun: 'condition',
        plural: 'conditions',
        environment: conditionEnvironment(limits),
        gives: 'bool',
        givesName: 'bool',
      },
      limits,
    );
    this.assignees = new CelCompiler(
      {
        noun: 'assignee expression',
        plural: 'assignee expressions',
        environment: assigneeEnvironment(limits),
        gives: 'string',
        givesName: 'a string',
      },
      limits,
    );
  }

  checkAssignee(source: string): string | undefined {
    const compiled = this.assignees.compile(source);
    return compiled.ok ? undefined : compiled.problem;
  }

  evaluateAssignee(source: string, scope: AssigneeScope): string {
    return run(
      this.assignees,
      this.limits,
      'assignee',
      source,
      (read) => ({ case: read(scope.case), inputs: read(scope.inputs) }),
      (value) => typeof value === 'string',
      'a string',
      conditionFailure,
    );
  }

  check(source: string): string | undefined {
    const compiled = this.compiler.compile(source);
    return compiled.ok ? undefined : compiled.problem;
  }

  evaluate(source: string, scope: ConditionScope): boolean {
    return run(
      this.compiler,
      this.limits,
      'condition',
      source,
      (read) => ({
        case: read(scope.case),
        output: read(scope.output),
        inputs: read(scope.inputs),
        payload: read(scope.payload),
        now: new Date(scope.now),
      }),
      (value) => typeof value === 'boolean',
      'a bool',
      conditionFailure,
    );
  }
}

/** The times a timestamp may name: those ISO 8601 writes with four digits of year, so that they order as text. */
const EARLIEST = Date.UTC(1, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A `timer` executor's `at` in CEL: sources that give a `google.protobuf.Timestamp` (`timestamp(case.due)`,
 * `now + duration("48h")`) over `case`, `inputs` and `now`, with the limits and guards of conditions.
 */
export class CelTimestamps {
  private readonly compiler: CelCompiler;

  constructor(private readonly limits: ConditionLimits = CONDITION_LIMITS) {
    this.compiler = new CelCompiler(
      {
        noun: 'expression',
        plural: 'timestamp expressions',
        environment: timestampEnvironment(limits),
        gives: 'google.protobuf.Timestamp',
        givesName: 'a timestamp',
      },
      limits,
    );
  }

  check(source: string): string | undefined {
    const compiled = this.compiler.compile(source);
    return compiled.ok ? undefined : compiled.problem;
  }

  /** The ISO 8601 time (UTC, milliseconds) the source gives in `scope`; throws an Error saying why not. */
  evaluate(source: string, scope: TimestampScope): string {
    const value = run(
      this.compiler,
      this.limits,
      'expression',
      source,
      (read) => ({ case: read(scope.case), inputs: read(scope.inputs), now: new Date(scope.now) }),
      (found) => found instanceof Date,
      'a timestamp',
      (message, cause) => new Error(message, cause === undefined ? undefined : { cause }),
    );
    const time = value.getTime();
    if (!(time >= EARLIEST && time <= LATEST)) {
      throw new Error(`expression ${JSON.stringify(source)} gave a time outside the years 0001 to 9999`);
    }
    return value.toISOString();
  }
}
