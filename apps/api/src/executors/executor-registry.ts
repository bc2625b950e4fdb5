import type {
  ExecutionRequest,
  ExecutionResult,
  Executor,
  JsonValue,
  Transition,
  Workitem,
} from '@wfnet/domain';
import { defaultTokenPayload } from '@wfnet/domain';

/** The executors a service knows by name: the built-ins plus those an application registers. */
export class ExecutorRegistry {
  private readonly executors: ReadonlyMap<string, Executor>;
  /** Whether any executor has an `abandon` hook: without one, abandonments need no look at the history. */
  readonly hasAbandonHooks: boolean;

  constructor(executors: Readonly<Record<string, Executor>>) {
    this.executors = new Map(Object.entries(executors));
    this.hasAbandonHooks = [...this.executors.values()].some((executor) => executor.abandon !== undefined);
  }

  get(name: string): Executor | undefined {
    return this.executors.get(name);
  }

  has(name: string): boolean {
    return this.executors.has(name);
  }

  names(): readonly string[] {
    return [...this.executors.keys()];
  }

  /** What its executor finds wrong with a transition's `executorParams`; nothing for an unknown executor. */
  paramsProblems(transition: Transition): readonly { readonly path: string; readonly message: string }[] {
    return this.executors.get(transition.executor)?.paramsProblems?.(transition.executorParams) ?? [];
  }

  /** The decider's payload hook: the transition's executor's `buildTokenPayload`, else the default. */
  readonly buildTokenPayload = (transition: Transition, workitems: readonly Workitem[]): JsonValue => {
    const build = this.executors.get(transition.executor)?.buildTokenPayload;
    return build ? build(workitems) : defaultTokenPayload(workitems);
  };

  /** The decider's immediate-answer hook: the transition's executor's `immediate`, if it has one. */
  readonly immediateAnswer = (
    request: ExecutionRequest,
    transition: Transition,
  ): ExecutionResult | undefined => this.executors.get(transition.executor)?.immediate?.(request);
}
