import type {
  CaseCommand,
  CaseData,
  CaseEvent,
  CaseState,
  EventStore,
  ExecutionResult,
  RecordedEvent,
  Workitem,
  WorkitemUpdated,
} from '@wfnet/domain';
import {
  CASE_STREAM_PREFIX,
  IllegalStateError,
  NotFoundError,
  abandonedWorkitem,
  caseStreamId,
  foldCaseWithEnded,
  initialCaseState,
} from '@wfnet/domain';
import type { CheckpointStore } from '../followers/checkpoint-store.js';
import type { StoreFollower } from '../followers/followers.js';
import { StoreFeed } from '../followers/store-feed.js';
import type { ExecutorRegistry } from './executor-registry.js';

/** How executions are run: the service's defaults suit production, tests pass smaller ones. */
export interface DispatcherOptions {
  /**
   * Most executor calls (and deliveries of their answers) under way at once. A workitem backing off
   * between attempts holds none; the subscription reads on while new workitems leave a slot free.
   */
  readonly concurrency?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

export interface DispatcherDeps extends DispatcherOptions {
  readonly store: EventStore;
  readonly registry: ExecutorRegistry;
  readonly checkpoints: CheckpointStore;
  loadCase(caseId: string): Promise<CaseState>;
  send(command: CaseCommand): Promise<unknown>;
  now(): string;
  readonly log: { warn(message: string): void; error(message: string): void };
}

export interface ExecutionStatus {
  readonly attempts: number;
  readonly lastError: string | null;
}

/** Events handed over at once; each `WorkitemCreated` of a batch may still wait for room. */
const BATCH = 500;
/**
 * How long a passed checkpoint may wait to be saved: a write per event cost more than the dispatching
 * itself. Safe, since a checkpoint saved late only makes a restart look at settled workitems again.
 */
const CHECKPOINT_DELAY_MS = 200;
/** Answers that mean the workitem no longer waits for its executor: nothing left to do. */
const FINAL_CODES = new Set(['workitem_not_available', 'case_not_available', 'task_not_available']);

/**
 * The outbox: follows the store from its own checkpoint, runs the executor of every created workitem
 * and sends its answer back as a command. The checkpoint never passes an execution still running, so
 * after a crash an in-process executor may run twice, never zero times.
 */
export class Dispatcher implements StoreFollower {
  readonly id = 'dispatcher';
  private readonly feed: StoreFeed;
  private stopping = false;
  /** Workitems whose execution has not settled: ready, under way or backing off. */
  private readonly unsettled = new Map<string, Execution>();
  private readonly ready = new WorkflowTurns();
  /** Ready workitems not yet attempted. */
  private unattempted = 0;
  /** First attempts under way. */
  private firstAttempts = 0;
  private running = 0;
  /**
   * The subscription, waiting while new workitems (ready, or under way for the first time) fill the
   * slots. Retries do not count, or a workflow failing fast would keep new work from being read at all.
   */
  private readonly roomWaiters: (() => void)[] = [];
  private readonly status = new Map<string, ExecutionStatus>();
  private lastSeen = 0n;
  private savedCheckpoint = 0n;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private readonly concurrency: number;
  private readonly backoff: { readonly initialMs: number; readonly maxMs: number };

  constructor(private readonly deps: DispatcherDeps) {
    this.concurrency = deps.concurrency ?? 64;
    this.backoff = deps.backoff ?? { initialMs: 200, maxMs: 30_000 };
    this.feed = new StoreFeed(
      deps.store,
      { position: () => this.lastSeen, handle: (batch) => this.handleBatch(batch) },
      {
        streamPrefixes: [CASE_STREAM_PREFIX],
        maxBatch: BATCH,
        onFailure: (error) =>
          deps.log.error(
            `dispatcher: following the store failed at position ${this.lastSeen}: ${error.message}`,
          ),
      },
    );
  }

  /** Attempts and last error of a workitem whose execution is failing (since this process started). */
  statusOf(workitemId: string): ExecutionStatus | undefined {
    return this.status.get(workitemId);
  }

  /** The position of the last event taken in hand (a workitem's execution may still be under way). */
  get position(): bigint {
    return this.lastSeen;
  }

  get following(): boolean {
    return this.feed.following;
  }

  get lastError(): Error | undefined {
    return this.feed.lastError;
  }

  /** Workitems taken up whose executor has not answered yet: under way or backing off. */
  get backlog(): number {
    return this.unsettled.size - this.unattempted;
  }

  async start(): Promise<void> {
    const after = (await this.deps.checkpoints.load(this.id)) ?? 0n;
    this.lastSeen = this.savedCheckpoint = after;
    this.feed.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // What waits for a slot or a retry stays unsettled, so the checkpoint stays before it.
    this.ready.clear();
    this.unattempted = 0;
    for (const execution of this.unsettled.values()) clearTimeout(execution.retry);
    for (const wake of this.roomWaiters.splice(0)) wake();
    await this.feed.stop();
    await this.whenIdle();
    clearTimeout(this.checkpointTimer);
    await this.saveCheckpoint();
  }

  private async handleBatch(batch: readonly RecordedEvent[]): Promise<void> {
    for (const event of batch) {
      // An event not handled because of a stop is not seen: the checkpoint must stay before it.
      if (this.stopping || !(await this.handle(event))) return;
      this.lastSeen = event.position;
      this.saveCheckpointSoon();
    }
  }

  /** Answers false when a stop came first and the event was left unhandled. */
  private async handle(event: RecordedEvent): Promise<boolean> {
    const data = event.data as { caseId: string; workitemId: string; executor?: string; state?: string };
    if (event.type === 'WorkitemCreated') {
      while (this.unattempted + this.firstAttempts >= this.concurrency) {
        await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
        if (this.stopping) return false;
      }
      if (this.unsettled.has(data.workitemId)) return true;
      const execution: Execution = {
        caseId: data.caseId,
        workitemId: data.workitemId,
        position: event.position,
        workflowId: await this.workflowOf(data.caseId),
        attempts: 0,
        result: undefined,
        retry: undefined,
      };
      if (this.stopping) return false;
      this.unsettled.set(data.workitemId, execution);
      this.unattempted++;
      this.ready.push(execution);
      this.dispatch();
    } else if (
      event.type === 'WorkitemUpdated' &&
      data.state === 'abandoned' &&
      this.deps.registry.hasAbandonHooks
    ) {
      await this.runAbandonHook(event as RecordedEvent & WorkitemUpdated);
    }
    return true;
  }

  /**
   * The hook gets the workitem as its abandonment left it, which the event names. An abandonment recorded
   * before events named it is read from the case's history up to that event, folded again.
   */
  private async runAbandonHook(event: RecordedEvent & WorkitemUpdated): Promise<void> {
    const { caseId, workitemId } = event.data;
    try {
      const workitem =
        abandonedWorkitem(event) ?? (await this.foldedWorkitem(caseId, workitemId, event.revision));
      const hook = workitem && this.deps.registry.get(workitem.executor)?.abandon;
      if (workitem && hook) await hook(workitem);
    } catch (error) {
      this.deps.log.warn(`abandon hook of workitem ${workitemId} failed: ${String(error)}`);
    }
  }

  private async foldedWorkitem(
    caseId: string,
    workitemId: string,
    revision: bigint,
  ): Promise<Workitem | undefined> {
    const history = await this.deps.store.readStream(caseStreamId(caseId), {
      maxCount: Number(revision) + 1,
    });
    const state = foldCaseWithEnded(
      initialCaseState(),
      history.map((recorded) => ({ type: recorded.type, data: recorded.data }) as CaseEvent),
    );
    return state.status === 'none' ? undefined : state.workitems.get(workitemId);
  }

  /** The workflow whose turn a workitem waits for; a case that cannot be read yet waits in a turn of its own. */
  private async workflowOf(caseId: string): Promise<string> {
    try {
      const state = await this.deps.loadCase(caseId);
      if (state.status !== 'none') return state.workflowId;
    } catch {
      // The attempt loads the case again and reports what fails.
    }
    return `case ${caseId}`;
  }

  /** Starts ready workitems while slots are free, taking the workflows in turn. */
  private dispatch(): void {
    while (this.running < this.concurrency && !this.stopping) {
      const execution = this.ready.shift();
      if (!execution) break;
      this.running++;
      const first = execution.attempts === 0;
      if (first) {
        this.unattempted--;
        this.firstAttempts++;
      }
      void this.attempt(execution).finally(() => {
        this.running--;
        if (first) {
          this.firstAttempts--;
          for (const wake of this.roomWaiters.splice(0)) wake();
        }
        this.dispatch();
        this.saveCheckpointSoon();
      });
    }
  }

  /**
   * Runs the executor, then applies its answer; a failure of either schedules another attempt after a
   * backoff, during which the workitem holds no slot. Once the executor has answered, only the answer is
   * sent again (e.g. while a competitor holds the tokens it must lock): the executor is not run a second
   * time for an answer the engine could not take yet. A workitem left unsettled by a stop keeps the
   * checkpoint before it, so a restart resumes it.
   */
  private async attempt(execution: Execution): Promise<void> {
    const { caseId, workitemId } = execution;
    execution.attempts++;
    try {
      const state = await this.deps.loadCase(caseId);
      const workitem = state.status === 'active' ? state.workitems.get(workitemId) : undefined;
      if (state.status === 'active' && workitem?.state === 'created') {
        // An answer that arrives during a stop is still applied once: a stop waits for it.
        execution.result ??= await this.run(caseId, workitem, state);
        await this.deliver(caseId, workitemId, execution.result);
      }
      this.settle(execution);
    } catch (error) {
      if (
        error instanceof NotFoundError ||
        (error instanceof IllegalStateError && FINAL_CODES.has(error.code))
      ) {
        this.settle(execution);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      this.status.set(workitemId, { attempts: execution.attempts, lastError: message });
      if (this.stopping) return;
      execution.retry = setTimeout(() => {
        execution.retry = undefined;
        this.ready.push(execution);
        this.dispatch();
      }, this.delay(execution.attempts));
    }
  }

  private settle(execution: Execution): void {
    this.unsettled.delete(execution.workitemId);
    // Kept only while it fails, so that the map stays as small as the backlog.
    this.status.delete(execution.workitemId);
  }

  private async run(caseId: string, workitem: Workitem, state: CaseData): Promise<ExecutionResult> {
    const executor = this.deps.registry.get(workitem.executor);
    if (!executor) throw new Error(`no executor named ${workitem.executor} is registered`);
    const task = state.tasks.get(workitem.taskId);
    const tokens = (task?.offered ?? []).map((id) => state.tokens.get(id)).filter((t) => t !== undefined);
    const transition = state.definition.transitions.find((t) => t.id === workitem.transitionId);
    return executor.execute({ caseId, workitem, tokens, params: transition?.executorParams ?? {} });
  }

  private async deliver(caseId: string, workitemId: string, result: ExecutionResult): Promise<void> {
    if (result.status === 'failed') throw new Error(`${result.error.type}: ${result.error.message}`);
    await this.deps.send({
      type: 'UpdateWorkitem',
      data: {
        caseId,
        workitemId,
        state: result.status,
        ...(result.status === 'completed' ? { output: result.output } : {}),
        at: this.deps.now(),
      },
    });
  }

  /** Exponential backoff with jitter, capped. */
  private delay(attempt: number): number {
    const ceiling = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private async whenIdle(): Promise<void> {
    while (this.running > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private saveCheckpointSoon(): void {
    // A stop saves the checkpoint itself, once every execution has settled.
    if (this.stopping) return;
    this.checkpointTimer ??= setTimeout(() => {
      this.checkpointTimer = undefined;
      this.saveCheckpoint().catch((error: unknown) =>
        this.deps.log.warn(`dispatcher checkpoint not saved: ${String(error)}`),
      );
    }, CHECKPOINT_DELAY_MS);
  }

  /** The checkpoint is just before the oldest execution still running, or the last event seen. */
  private async saveCheckpoint(): Promise<void> {
    let checkpoint = this.lastSeen;
    for (const { position } of this.unsettled.values())
      if (position - 1n < checkpoint) checkpoint = position - 1n;
    if (checkpoint <= this.savedCheckpoint) return;
    this.savedCheckpoint = checkpoint;
    await this.deps.checkpoints.save(this.id, checkpoint);
  }
}

/** A workitem's execution from the event that created it until it settles. */
interface Execution {
  readonly caseId: string;
  readonly workitemId: string;
  /** The position of its `WorkitemCreated`: the checkpoint stays before it until it settles. */
  readonly position: bigint;
  readonly workflowId: string;
  attempts: number;
  /** The executor's answer, kept while the engine cannot take it yet. */
  result: ExecutionResult | undefined;
  /** The wake-up of the next attempt, while backing off. */
  retry: NodeJS.Timeout | undefined;
}

/**
 * Ready workitems, taken one workflow at a time in turn: a workflow with many ready workitems (say, the
 * retries of a webhook that is down) cannot make another workflow's work wait behind all of them. Within
 * a workflow, first attempts go before retries, so that new work is never stuck behind retries failing
 * fast (the subscription reads on only as first attempts start).
 */
class WorkflowTurns {
  /** In turn order: a workflow whose workitem was taken goes to the back. */
  private readonly turns = new Map<string, { readonly first: Execution[]; readonly retries: Execution[] }>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(execution: Execution): void {
    let turn = this.turns.get(execution.workflowId);
    if (!turn) {
      turn = { first: [], retries: [] };
      this.turns.set(execution.workflowId, turn);
    }
    (execution.attempts === 0 ? turn.first : turn.retries).push(execution);
    this.count++;
  }

  shift(): Execution | undefined {
    for (const [workflowId, turn] of this.turns) {
      const execution = turn.first.shift() ?? turn.retries.shift();
      this.turns.delete(workflowId);
      if (turn.first.length + turn.retries.length > 0) this.turns.set(workflowId, turn);
      if (execution === undefined) continue;
      this.count--;
      return execution;
    }
    return undefined;
  }

  clear(): void {
    this.turns.clear();
    this.count = 0;
  }
}
