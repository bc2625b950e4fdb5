import type {
  CaseCommand,
  CaseData,
  ConditionLanguage,
  CaseEvent,
  Timing,
  CaseState,
  EventStore,
  WorkflowCommand,
  WorkflowEvent,
  WorkflowState,
} from '@wfnet/domain';
import {
  NotFoundError,
  caseDecider,
  caseFromSnapshot,
  caseStreamId,
  caseToSnapshot,
  foldCaseWithEnded,
  lockedTokensOf,
  workflowDeciderWith,
  workflowStreamId,
} from '@wfnet/domain';
import { AggregateRepository } from '../aggregates/aggregate-repository.js';
import type { SnapshotStore } from '../event-store/snapshot-store.js';
import type { ExecutorRegistry } from '../executors/executor-registry.js';
import { Admission } from './admission.js';
import type { AdmissionOptions } from './admission.js';
import type { CaseAnswer, CaseOutcome, WorkflowOutcome } from './outcomes.js';

export interface EngineOptions {
  readonly snapshotEvery: number;
  /** Checks the conditions of a new workflow's arcs and evaluates them when a case decides. */
  readonly conditions?: ConditionLanguage;
  /** Durations and timestamps for the cases' timers, timeouts and retries. */
  readonly timing?: Timing;
  /** Told of every command's end: `error` is what it threw, absent when it succeeded (for metrics). */
  readonly onCommand?: (type: string, error?: unknown) => void;
  /** Backpressure on new cases while the store's followers lag (see `Admission`); none when absent. */
  readonly admission?: AdmissionOptions;
  /** Other processes write the same store: see `AggregateRepositoryOptions.sharedStore`. */
  readonly sharedStore?: boolean;
}

/**
 * What the caller of `command` answers with (see `CaseAnswer`), read from the state after it with what it
 * ended still in it; only the commands that need it pay for that fold.
 */
function answerOf(command: CaseCommand, withEnded: () => CaseData): CaseAnswer<CaseCommand> {
  switch (command.type) {
    case 'PreexecuteTask': {
      const state = withEnded();
      const taskId =
        'taskId' in command.data ? command.data.taskId : state.workitems.get(command.data.workitemId)?.taskId;
      return { lockedTokens: taskId === undefined ? [] : lockedTokensOf(state, taskId) };
    }
    case 'ForceAbandonTask': {
      const task = withEnded().tasks.get(command.data.taskId);
      if (!task) throw new NotFoundError('task', command.data.taskId);
      return { task };
    }
    case 'CompleteWorkitem':
    case 'AbandonWorkitem':
    case 'ClaimWorkitem':
    case 'ReleaseWorkitem': {
      const state = withEnded();
      const workitem = state.workitems.get(command.data.workitemId);
      if (!workitem) throw new NotFoundError('workitem', command.data.workitemId);
      return { workitem, attempts: state.attempts.get(workitem.id) };
    }
    case 'CreateCase':
    case 'TerminateCase':
    case 'ReceiveTokens':
    case 'DiscardTokens':
    case 'UpdateWorkitem':
    case 'ResolveIncident':
    case 'FireTimer':
    case 'FailWorkitem':
      return {};
  }
}

/**
 * The write side: one load–decide–append path per aggregate (cases and workflows), with the
 * repository's cache, snapshots and conflict retries. Commands of one case are run one at a time in
 * this process, so they do not conflict with each other; other processes are kept honest by the
 * expected revision.
 */
export class Engine {
  private readonly cases: AggregateRepository<CaseCommand, CaseEvent, CaseState>;
  private readonly workflows: AggregateRepository<WorkflowCommand, WorkflowEvent, WorkflowState>;
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly admission: Admission | undefined;
  /** The position of the last event this engine appended. */
  private head = 0n;

  constructor(
    private readonly store: EventStore,
    snapshots: SnapshotStore,
    executors: ExecutorRegistry,
    private readonly options: EngineOptions,
  ) {
    this.cases = new AggregateRepository(
      store,
      snapshots,
      caseDecider({
        buildTokenPayload: executors.buildTokenPayload,
        immediateAnswer: executors.immediateAnswer,
        ...(options.conditions && { conditions: options.conditions }),
        ...(options.timing && { timing: options.timing }),
      }),
      {
        streamId: (command) => caseStreamId(command.data.caseId),
        toSnapshot: caseToSnapshot,
        fromSnapshot: caseFromSnapshot,
        isFinal: (state) => state.status === 'finished' || state.status === 'terminated',
      },
      { snapshotEvery: options.snapshotEvery, cacheSize: 10_000, sharedStore: options.sharedStore ?? false },
    );
    this.workflows = new AggregateRepository(
      store,
      snapshots,
      workflowDeciderWith({
        ...(options.conditions && { conditions: options.conditions }),
        ...(options.timing && { timing: options.timing }),
      }),
      {
        streamId: (command) =>
          workflowStreamId(
            command.type === 'CreateWorkflow' ? command.data.definition.id : command.data.workflowId,
          ),
        toSnapshot: (state) => state,
        fromSnapshot: (json) => json as WorkflowState,
      },
      { snapshotEvery: options.snapshotEvery, sharedStore: options.sharedStore ?? false },
    );
    this.admission = options.admission && new Admission(() => this.head, options.admission);
  }

  /** New cases waiting for the followers to catch up. */
  get casesWaiting(): number {
    return this.admission?.waiting ?? 0;
  }

  /** Runs a case command; the outcome carries what its caller answers with (see `CaseAnswer`). */
  async executeCase<C extends CaseCommand>(command: C): Promise<CaseOutcome<C>> {
    return this.observed(command.type, () => this.runCase(command) as Promise<CaseOutcome<C>>);
  }

  async executeWorkflow(command: WorkflowCommand): Promise<WorkflowOutcome> {
    return this.observed(command.type, () => this.runWorkflow(command));
  }

  private async observed<T>(type: string, run: () => Promise<T>): Promise<T> {
    try {
      const outcome = await run();
      this.options.onCommand?.(type);
      return outcome;
    } catch (error) {
      this.options.onCommand?.(type, error);
      throw error;
    }
  }

  private async runCase(command: CaseCommand): Promise<CaseOutcome> {
    if (command.type !== 'CreateCase' || !this.admission) return this.decideCase(command);
    await this.admission.enter();
    try {
      return await this.decideCase(command);
    } finally {
      this.admission.leave();
    }
  }

  private async decideCase(command: CaseCommand): Promise<CaseOutcome> {
    const streamId = caseStreamId(command.data.caseId);
    const result = await this.serially(streamId, () => this.cases.handle(command));
    this.advanceHead(result.position);
    if (result.state.status === 'none') throw new NotFoundError('case', command.data.caseId);
    return {
      state: result.state,
      position: result.position ?? (await this.lastPosition(streamId, result.nextRevision)),
      appended: result.events.length,
      ...answerOf(command, () => foldCaseWithEnded(result.before, result.events) as CaseData),
    };
  }

  private async runWorkflow(command: WorkflowCommand): Promise<WorkflowOutcome> {
    const streamId = workflowStreamId(
      command.type === 'CreateWorkflow' ? command.data.definition.id : command.data.workflowId,
    );
    const result = await this.serially(streamId, () => this.workflows.handle(command));
    this.advanceHead(result.position);
    if (result.state.status === 'none')
      throw new NotFoundError('workflow', streamId.slice('workflow-'.length));
    return {
      state: result.state,
      position: result.position ?? (await this.lastPosition(streamId, result.nextRevision)),
      appended: result.events.length,
    };
  }

  /** The position of the last event this engine appended. */
  get appended(): bigint {
    return this.head;
  }

  async loadCase(caseId: string): Promise<CaseState> {
    return (await this.cases.load(caseStreamId(caseId))).state;
  }

  async requireWorkflow(workflowId: string): Promise<Exclude<WorkflowState, { status: 'none' }>> {
    const { state } = await this.workflows.load(workflowStreamId(workflowId));
    if (state.status === 'none') throw new NotFoundError('workflow', workflowId);
    return state;
  }

  /** Waits for every command under way. */
  async drain(): Promise<void> {
    while (this.queues.size > 0) await Promise.allSettled([...this.queues.values()]);
  }

  private advanceHead(position: bigint | undefined): void {
    if (position !== undefined && position > this.head) this.head = position;
  }

  private async lastPosition(streamId: string, revision: bigint): Promise<bigint> {
    if (revision < 0n) return 0n;
    const [last] = await this.store.readStream(streamId, { fromRevision: revision, maxCount: 1 });
    return last?.position ?? 0n;
  }

  /** Runs operations on one stream one after another; different streams run side by side. */
  private serially<T>(streamId: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(streamId) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(streamId, tail);
    void tail.then(() => {
      if (this.queues.get(streamId) === tail) this.queues.delete(streamId);
    });
    return next;
  }
}
