import type {
  CaseCommand,
  CaseData,
  CaseEvent,
  CaseState,
  EventStore,
  EventSubscription,
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
import type { ExecutorRegistry } from './executor-registry.js';

export interface CheckpointStore {
  load(name: string): Promise<bigint | undefined>;
  save(name: string, position: bigint): Promise<void>;
}

/** How executions are run: the service's defaults suit production, tests pass smaller ones. */
export interface DispatcherOptions {
  /** Most executions running at once; the subscription waits while they are all busy. */
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

const CHECKPOINT = 'dispatcher';
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
export class Dispatcher {
  private subscription: EventSubscription | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  /** Workitems whose execution has not settled, by the position of their `WorkitemCreated`. */
  private readonly unsettled = new Map<string, bigint>();
  private running = 0;
  private readonly slots: (() => void)[] = [];
  private readonly timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly status = new Map<string, ExecutionStatus>();
  private lastSeen = 0n;
  private savedCheckpoint = 0n;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private readonly concurrency: number;
  private readonly backoff: { readonly initialMs: number; readonly maxMs: number };

  constructor(private readonly deps: DispatcherDeps) {
    this.concurrency = deps.concurrency ?? 64;
    this.backoff = deps.backoff ?? { initialMs: 200, maxMs: 30_000 };
  }

  /** Attempts and last error of a workitem whose execution is failing (since this process started). */
  statusOf(workitemId: string): ExecutionStatus | undefined {
    return this.status.get(workitemId);
  }

  /** The position of the last event taken in hand (a workitem's execution may still be under way). */
  get position(): bigint {
    return this.lastSeen;
  }

  /** Workitems whose executor has not answered yet. */
  get backlog(): number {
    return this.unsettled.size;
  }

  async start(): Promise<void> {
    const after = (await this.deps.checkpoints.load(CHECKPOINT)) ?? 0n;
    this.lastSeen = this.savedCheckpoint = after;
    this.subscription = this.deps.store.subscribe({ after, streamPrefixes: [CASE_STREAM_PREFIX] });
    this.loop = this.follow(this.subscription);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const { timer, wake } of this.timers) {
      clearTimeout(timer);
      wake();
    }
    for (const wake of this.slots.splice(0)) wake();
    await this.subscription?.close();
    await this.loop;
    await this.whenIdle();
    clearTimeout(this.checkpointTimer);
    await this.saveCheckpoint();
  }

  private async follow(subscription: EventSubscription): Promise<void> {
    try {
      for await (const event of subscription) {
        // An event not handled because of a stop is not seen: the checkpoint must stay before it.
        if (this.stopping || !(await this.handle(event))) break;
        this.lastSeen = event.position;
        this.saveCheckpointSoon();
      }
    } catch (error) {
      if (!this.stopping) this.deps.log.error(`dispatcher stopped following the store: ${String(error)}`);
    }
  }

  /** Answers false when a stop came first and the event was left unhandled. */
  private async handle(event: RecordedEvent): Promise<boolean> {
    const data = event.data as { caseId: string; workitemId: string; executor?: string; state?: string };
    if (event.type === 'WorkitemCreated') {
      while (this.running >= this.concurrency) {
        await new Promise<void>((resolve) => this.slots.push(resolve));
        if (this.stopping) return false;
      }
      this.running++;
      this.unsettled.set(data.workitemId, event.position);
      void this.execute(data.caseId, data.workitemId)
        .then((settled) => {
          if (!settled) return;
          this.unsettled.delete(data.workitemId);
          // Kept only while it fails, so that the map stays as small as the backlog.
          this.status.delete(data.workitemId);
        })
        .finally(() => {
          this.running--;
          this.slots.shift()?.();
          this.saveCheckpointSoon();
        });
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

  /**
   * Runs the executor, then applies its answer, retrying either with backoff. Once the executor has
   * answered, only the answer is sent again (e.g. while a competitor holds the tokens it must lock):
   * the executor is not run a second time for an answer the engine could not take yet. Answers false
   * when stopped before the workitem settled, so the checkpoint stays before it and a restart resumes it.
   */
  private async execute(caseId: string, workitemId: string): Promise<boolean> {
    let result: ExecutionResult | undefined;
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        const state = await this.deps.loadCase(caseId);
        if (state.status !== 'active') return true;
        const workitem = state.workitems.get(workitemId);
        if (!workitem || workitem.state !== 'created') return true;
        // An answer that arrives during a stop is still applied once: a stop waits for it.
        result ??= await this.run(caseId, workitem, state);
        await this.deliver(caseId, workitemId, result);
        return true;
      } catch (error) {
        if (
          error instanceof NotFoundError ||
          (error instanceof IllegalStateError && FINAL_CODES.has(error.code))
        ) {
          return true;
        }
        const message = error instanceof Error ? error.message : String(error);
        this.status.set(workitemId, { attempts: attempt, lastError: message });
        await this.sleep(this.delay(attempt));
      }
    }
    return false;
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.timers.add(entry);
    });
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
    for (const position of this.unsettled.values())
      if (position - 1n < checkpoint) checkpoint = position - 1n;
    if (checkpoint <= this.savedCheckpoint) return;
    this.savedCheckpoint = checkpoint;
    await this.deps.checkpoints.save(CHECKPOINT, checkpoint);
  }
}
