import type {
  CaseCommand,
  CaseData,
  CaseEvent,
  CaseState,
  EventStore,
  ExecutionError,
  ExecutionResult,
  RecordedEvent,
  TimerFired,
  Workitem,
  WorkitemCreated,
  WorkitemFailed,
  WorkitemUpdated,
} from '@wfnet/domain';
import {
  CASE_STREAM_PREFIX,
  IllegalStateError,
  NotFoundError,
  TIMER_EXECUTOR,
  abandonedWorkitem,
  caseStreamId,
  foldCaseWithEnded,
  initialCaseState,
  nextAttemptOf,
} from '@wfnet/domain';
import type { CheckpointStore } from '../followers/checkpoint-store.js';
import type { StoreFollower } from '../followers/followers.js';
import { StoreFeed } from '../followers/store-feed.js';
import type { ExecutorRegistry } from './executor-registry.js';
import { DEFAULT_CLAIM_LEASE_MS, SOLE_PROCESS_CLAIMS } from './work-claims.js';
import type { WorkClaims } from './work-claims.js';
import type { WorkDelivery, WorkQueue } from './work-queue.js';

/** How executions are run: the service's defaults suit production, tests pass smaller ones. */
export interface DispatcherOptions {
  /**
   * Most executor calls (and deliveries of their answers) under way at once. A workitem waiting for its
   * next attempt holds none; the subscription reads on while new workitems leave a slot free.
   */
  readonly concurrency?: number;
  /** The wait before an answer the engine could not take (store unavailable, tokens held) is sent again. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /**
   * How long a claim on a workitem lasts unless renewed, which it is every third of it while this process
   * runs the workitem; also how long a process whose claim was refused waits before it asks again.
   */
  readonly claimLeaseMs?: number;
}

export interface DispatcherDeps extends DispatcherOptions {
  readonly store: EventStore;
  readonly registry: ExecutorRegistry;
  readonly checkpoints: CheckpointStore;
  loadCase(caseId: string): Promise<CaseState>;
  send(command: CaseCommand): Promise<unknown>;
  now(): string;
  readonly log: { warn(message: string): void; error(message: string): void };
  /** Who runs a workitem when several processes follow the store; without them this process runs all. */
  readonly claims?: WorkClaims;
  /**
   * Where this process's work comes from when the store hands work out itself (a consumer group shared by
   * the processes): then the events that create work are taken from it alone, and claims are not used.
   */
  readonly workQueue?: WorkQueue;
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

const claimKey = (workitemId: string): string => `workitem:${workitemId}`;

/**
 * The outbox: follows the store from its own checkpoint, runs the executor of every created workitem
 * (and again when a `retry` timer of an open workitem fires) and sends its answer back as a command: a
 * failed attempt as `FailWorkitem`, whose retry policy the case keeps. The checkpoint never passes an
 * execution still running, so after a crash an in-process executor may run twice, never zero times; it
 * never runs while its workitem waits for a retry timer or an operator.
 *
 * Several processes following one store each take up every workitem, and run one only while they hold its
 * claim (see `attempt`); one process alone skips claims altogether.
 *
 * Given a work queue, the dispatcher takes up only what the queue hands it (see `handleDelivery`), and
 * follows the store for abandon hooks alone. A delivery is acked once its execution has settled, so one
 * held by a process that dies is handed to another; a stop gives back at once what it leaves unsettled.
 */
export class Dispatcher implements StoreFollower {
  readonly id = 'dispatcher';
  private readonly feed: StoreFeed;
  private stopping = false;
  /** Workitems whose execution has not settled: ready, under way or backing off on the engine's side. */
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
  private lastSeen = 0n;
  private savedCheckpoint = 0n;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private readonly concurrency: number;
  private readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  private readonly claims: WorkClaims;
  /** Whether other processes may run the same workitems: then each execution claims its workitem first. */
  private readonly claimsShared: boolean;
  private readonly claimLeaseMs: number;
  /** Releases under way, by key: a claim on the same key waits for them, or a late release would undo it. */
  private readonly releases = new Map<string, Promise<void>>();
  private readonly queue: WorkQueue | undefined;

  constructor(private readonly deps: DispatcherDeps) {
    if (deps.workQueue !== undefined && deps.claims !== undefined && deps.claims !== SOLE_PROCESS_CLAIMS) {
      throw new Error('a dispatcher takes its work from a work queue or by claims, not both');
    }
    this.queue = deps.workQueue;
    this.concurrency = deps.concurrency ?? 64;
    this.backoff = deps.backoff ?? { initialMs: 200, maxMs: 30_000 };
    this.claims = deps.claims ?? SOLE_PROCESS_CLAIMS;
    this.claimsShared = this.claims !== SOLE_PROCESS_CLAIMS;
    this.claimLeaseMs = deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
    this.feed = new StoreFeed(
      deps.store,
      { position: () => this.lastSeen, handle: (batch) => this.handleBatch(batch) },
      {
        streamPrefixes: [CASE_STREAM_PREFIX],
        dataOf: DATA_READ,
        maxBatch: BATCH,
        onFailure: (error) =>
          deps.log.error(
            `dispatcher: following the store failed at position ${this.lastSeen}: ${error.message}`,
          ),
      },
    );
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

  /** Workitems taken up whose answer the engine has not taken yet: under way or backing off. */
  get backlog(): number {
    return this.unsettled.size - this.unattempted;
  }

  async start(): Promise<void> {
    const after = (await this.deps.checkpoints.load(this.id)) ?? 0n;
    this.lastSeen = this.savedCheckpoint = after;
    this.feed.start();
    await this.queue?.join((delivery) => this.handleDelivery(delivery));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // What waits for a slot or a retry stays unsettled, so the checkpoint stays before it.
    this.ready.clear();
    this.unattempted = 0;
    for (const execution of this.unsettled.values()) clearTimeout(execution.backoff);
    for (const wake of this.roomWaiters.splice(0)) wake();
    await this.feed.stop();
    await this.whenIdle();
    // What this process leaves unsettled another may take up at once, rather than once the lease runs out.
    const handedBack: Promise<void>[] = [];
    for (const execution of this.unsettled.values()) {
      this.releaseClaim(execution);
      for (const delivery of [...execution.deliveries, ...execution.retryDeliveries])
        handedBack.push(this.handBack(delivery));
    }
    await Promise.all([...this.releases.values(), ...handedBack]);
    await this.queue?.leave();
    clearTimeout(this.checkpointTimer);
    await this.saveCheckpoint();
  }

  private async handleBatch(batch: readonly RecordedEvent[]): Promise<void> {
    const ended = endedIn(batch);
    for (const event of batch) {
      if (this.stopping) return;
      // Most events need nothing done: only a promise is waited for, so that they cost none each.
      const handled = this.handle(event, ended);
      // An event not handled because of a stop is not seen: the checkpoint must stay before it.
      if (handled !== true && !(await handled)) return;
      this.lastSeen = event.position;
      this.saveCheckpointSoon();
    }
  }

  /**
   * Answers false when a stop came first and the event was left unhandled; `true` at once for an event
   * that needs nothing done. Work for a workitem that `ended` names is done already (an executor's
   * immediate answer, or history read again after a restart): taking it up would only load its case.
   */
  private handle(event: RecordedEvent, ended: ReadonlySet<string>): true | Promise<boolean> {
    if (this.claimsShared && (event.type === 'WorkitemUpdated' || event.type === 'WorkitemFailed')) {
      this.answered((event as RecordedEvent & (WorkitemUpdated | WorkitemFailed)).data.workitemId);
    }
    const work = this.queue === undefined ? workOf(event) : undefined;
    if (work !== undefined && !ended.has(work.workitemId)) {
      if (work.cause === 'retry')
        return this.takeUp(work.caseId, work.workitemId, event.position, 'retry', []);
      return this.roomForNewWork().then(
        (room) => room && this.takeUp(work.caseId, work.workitemId, event.position, 'created', []),
      );
    }
    if (
      event.type === 'WorkitemUpdated' &&
      (event as RecordedEvent & WorkitemUpdated).data.state === 'abandoned' &&
      this.deps.registry.hasAbandonHooks
    ) {
      return this.runAbandonHook(event as RecordedEvent & WorkitemUpdated).then(() => true);
    }
    return true;
  }

  /** Waits while new workitems fill the slots; answers false when a stop came first. */
  private async roomForNewWork(): Promise<boolean> {
    while (!this.stopping && this.unattempted + this.firstAttempts >= this.concurrency) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    return !this.stopping;
  }

  /**
   * An event the work queue handed this process: its work is this process's to run, and the delivery is
   * acked once that work has settled. One that gives no work is acked at once; one a stop leaves untaken is
   * given back for another process.
   */
  private async handleDelivery(delivery: WorkDelivery): Promise<void> {
    const { event } = delivery;
    if (delivery.retryCount > 0) {
      this.deps.log.warn(
        `dispatcher: ${event.type} at position ${event.position} handed to this process again (time ${delivery.retryCount + 1}): the process that had it stopped, died, or did not settle it in time`,
      );
    }
    const work = workOf(event);
    if (work === undefined) {
      await this.acknowledge(delivery);
      return;
    }
    const taken =
      (work.cause === 'retry' || (await this.roomForNewWork())) &&
      (await this.takeUp(work.caseId, work.workitemId, event.position, work.cause, [delivery]));
    if (!taken) await this.handBack(delivery);
  }

  private async acknowledge(delivery: WorkDelivery): Promise<void> {
    try {
      await delivery.ack();
    } catch (error) {
      this.deps.log.warn(
        `dispatcher: ${delivery.event.type} at position ${delivery.event.position} settled, but its ack was lost (${String(error)}): another process will find it settled`,
      );
    }
  }

  private async handBack(delivery: WorkDelivery): Promise<void> {
    try {
      await delivery.nack('retry', 'the process is stopping');
    } catch (error) {
      this.deps.log.warn(
        `dispatcher: ${delivery.event.type} at position ${delivery.event.position} not given back (${String(error)}): it is handed out again once its time runs out`,
      );
    }
  }

  /** Answers false when a stop came first and the event was left unhandled. */
  private async takeUp(
    caseId: string,
    workitemId: string,
    position: bigint,
    cause: Cause,
    deliveries: readonly WorkDelivery[],
  ): Promise<boolean> {
    const unsettled = this.unsettled.get(workitemId);
    if (unsettled) {
      // An attempt timed out by the engine may still be running: the retry runs once it has settled.
      if (cause === 'retry') {
        unsettled.retryAfter ??= position;
        unsettled.retryDeliveries.push(...deliveries);
      } else {
        // The same event handed to this process again: it settles with the execution under way.
        unsettled.deliveries.push(...deliveries);
      }
      return true;
    }
    const execution: Execution = {
      caseId,
      workitemId,
      position,
      workflowId: await this.workflowOf(caseId),
      cause,
      tries: 0,
      outcome: undefined,
      backoff: undefined,
      retryAfter: undefined,
      claim: undefined,
      waitingForClaim: false,
      answeredElsewhere: false,
      deliveries: [...deliveries],
      retryDeliveries: [],
    };
    if (this.stopping) return false;
    this.unsettled.set(workitemId, execution);
    if (cause === 'created') this.unattempted++;
    this.ready.push(execution);
    this.dispatch();
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
      const first = isFirst(execution);
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
   * Runs the executor, then sends its answer, a failure included; the engine's refusal to take it for
   * now (the store unavailable, a competitor holding the tokens) sends it again after a backoff, during
   * which the workitem holds no slot, without running the executor a second time. A workitem left
   * unsettled by a stop keeps the checkpoint before it, so a restart resumes it.
   *
   * With other processes on the store, the execution first claims its workitem, and holds the claim
   * (renewed) until it settles, backoffs included: released earlier, another process would run the
   * executor again. The case is loaded after the claim is granted, so it shows what a previous holder
   * answered. An execution whose claim is refused, or passes to another process while the executor runs,
   * waits (see `awaitClaim`).
   *
   * A renewal that fails (the claims' database unreachable) does not stop the answer from being sent: the
   * claim may well still be this process's, and the case refuses a second answer to a workitem anyway.
   * Only a renewal answered "held by another" does, since the workitem is then that process's to answer;
   * the answer is kept, and sent should this process hold the claim again and find the workitem still due.
   */
  private async attempt(execution: Execution): Promise<void> {
    const { caseId, workitemId } = execution;
    execution.tries++;
    try {
      if (this.claimsShared && execution.claim === undefined && !(await this.claim(execution))) {
        this.awaitClaim(execution);
        return;
      }
      const state = await this.deps.loadCase(caseId);
      const workitem = state.status === 'active' ? state.workitems.get(workitemId) : undefined;
      if (state.status === 'active' && workitem && (execution.outcome || isDue(execution, workitem, state))) {
        // An answer that arrives during a stop is still applied once: a stop waits for it.
        execution.outcome ??= await this.run(workitem, state);
        if (this.claimsShared && execution.claim === undefined) {
          this.awaitClaim(execution);
          return;
        }
        await this.deliver(caseId, workitemId, execution.outcome);
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
      if (this.stopping) return;
      const delay = this.delay(execution.tries);
      const message = error instanceof Error ? error.message : String(error);
      this.deps.log.warn(
        `dispatcher: workitem ${workitemId} not settled (try ${execution.tries}): ${message}; trying again in ${Math.round(delay)} ms`,
      );
      execution.backoff = setTimeout(() => {
        execution.backoff = undefined;
        this.ready.push(execution);
        this.dispatch();
      }, delay);
    }
  }

  private settle(execution: Execution): void {
    this.unsettled.delete(execution.workitemId);
    this.releaseClaim(execution);
    for (const delivery of execution.deliveries) void this.acknowledge(delivery);
    if (execution.retryAfter === undefined) return;
    const { caseId, workitemId, retryAfter, retryDeliveries } = execution;
    if (this.stopping) {
      for (const delivery of retryDeliveries) void this.handBack(delivery);
      return;
    }
    void this.takeUp(caseId, workitemId, retryAfter, 'retry', retryDeliveries).then(async (taken) => {
      if (!taken) for (const delivery of retryDeliveries) await this.handBack(delivery);
    });
  }

  /** Claims the execution's workitem, and keeps the claim renewed until it is released or lost. */
  private async claim(execution: Execution): Promise<boolean> {
    const key = claimKey(execution.workitemId);
    await this.releases.get(key);
    if (!(await this.claims.claim(key, this.claimLeaseMs))) return false;
    const claim: Claim = {
      renewal: setInterval(() => this.renew(execution, claim), this.claimLeaseMs / 3),
      renewing: undefined,
    };
    execution.claim = claim;
    return true;
  }

  private renew(execution: Execution, claim: Claim): void {
    if (claim.renewing !== undefined) return;
    const { workitemId } = execution;
    claim.renewing = this.claims
      .claim(claimKey(workitemId), this.claimLeaseMs)
      .then(
        (held) => {
          if (held || execution.claim !== claim) return;
          clearInterval(claim.renewal);
          execution.claim = undefined;
          this.deps.log.warn(
            `dispatcher: the claim on workitem ${workitemId} passed to another process: its lease ran out before it was renewed`,
          );
        },
        (error: unknown) =>
          this.deps.log.warn(
            `dispatcher: the claim on workitem ${workitemId} was not renewed: ${String(error)}`,
          ),
      )
      .finally(() => (claim.renewing = undefined));
  }

  private releaseClaim(execution: Execution): void {
    const claim = execution.claim;
    if (claim === undefined) return;
    execution.claim = undefined;
    clearInterval(claim.renewal);
    const key = claimKey(execution.workitemId);
    const released: Promise<void> = (async () => {
      // A renewal still under way would otherwise make the claim again after the release.
      await claim.renewing;
      await this.claims.release(key);
    })()
      .catch((error: unknown) =>
        this.deps.log.warn(`dispatcher: the claim on ${key} was not released: ${String(error)}`),
      )
      .finally(() => {
        if (this.releases.get(key) === released) this.releases.delete(key);
      });
    this.releases.set(key, released);
  }

  /**
   * Another process holds the workitem's claim: its answer, seen in the store, settles this execution; if
   * none comes, the claim is asked for again once its lease could have run out (that process may have
   * died), holding no slot meanwhile.
   */
  private awaitClaim(execution: Execution): void {
    if (execution.answeredElsewhere) {
      this.settle(execution);
      return;
    }
    if (this.stopping) return;
    execution.waitingForClaim = true;
    execution.backoff = setTimeout(() => {
      execution.backoff = undefined;
      execution.waitingForClaim = false;
      this.ready.push(execution);
      this.dispatch();
    }, this.claimLeaseMs);
  }

  /** The workitem got an answer, or was ended, by another process or a person. */
  private answered(workitemId: string): void {
    const execution = this.unsettled.get(workitemId);
    if (execution === undefined) return;
    execution.answeredElsewhere = true;
    if (!execution.waitingForClaim) return;
    clearTimeout(execution.backoff);
    execution.backoff = undefined;
    execution.waitingForClaim = false;
    this.settle(execution);
  }

  /** The executor's answer; a throw (an unknown executor's included) is a retryable failure of type `error`. */
  private async run(workitem: Workitem, state: CaseData): Promise<Outcome> {
    const attempt = nextAttemptOf(state, workitem.id);
    try {
      const executor = this.deps.registry.get(workitem.executor);
      if (!executor) throw new Error(`no executor named ${workitem.executor} is registered`);
      const task = state.tasks.get(workitem.taskId);
      const tokens = (task?.offered ?? []).map((id) => state.tokens.get(id)).filter((t) => t !== undefined);
      const transition = state.definition.transitions.find((t) => t.id === workitem.transitionId);
      const result = await executor.execute({
        caseId: state.caseId,
        workitem,
        tokens,
        params: transition?.executorParams ?? {},
        attempt,
      });
      return { result, attempt, workitemWas: workitem.state };
    } catch (error) {
      const failure: ExecutionError = {
        type: 'error',
        message: error instanceof Error ? error.message : String(error),
        retryable: true,
      };
      return { result: { status: 'failed', error: failure }, attempt, workitemWas: workitem.state };
    }
  }

  private async deliver(
    caseId: string,
    workitemId: string,
    { result, attempt, workitemWas }: Outcome,
  ): Promise<void> {
    if (result.status === 'failed') {
      await this.deps.send({
        type: 'FailWorkitem',
        data: { caseId, workitemId, attempt, error: result.error, at: this.deps.now() },
      });
      return;
    }
    // A retry of a started workitem that answers started again has nothing new to say.
    if (result.status === 'started' && workitemWas === 'started') return;
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

  /** Exponential backoff with jitter, capped: for answers the engine could not take, not for failed attempts. */
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

  /**
   * The checkpoint is just before the oldest execution still running, or the last event seen. Work handed
   * out by a queue is the queue's to keep: it does not hold the checkpoint back.
   */
  private async saveCheckpoint(): Promise<void> {
    let checkpoint = this.lastSeen;
    if (this.queue === undefined) {
      for (const { position } of this.unsettled.values())
        if (position - 1n < checkpoint) checkpoint = position - 1n;
    }
    if (checkpoint <= this.savedCheckpoint) return;
    this.savedCheckpoint = checkpoint;
    await this.deps.checkpoints.save(this.id, checkpoint);
  }
}

/** Why a workitem's executor runs: its workitem was created, or a `retry` timer of it fired. */
type Cause = 'created' | 'retry';

/** An executor's answer, with the number of the attempt it answers and the workitem's state it ran in. */
interface Outcome {
  readonly result: ExecutionResult;
  readonly attempt: number;
  readonly workitemWas: Workitem['state'];
}

/** A workitem's execution from the event that caused it until its answer is taken. */
interface Execution {
  readonly caseId: string;
  readonly workitemId: string;
  /** The position of the event that caused it: the checkpoint stays before it until it settles. */
  readonly position: bigint;
  readonly workflowId: string;
  readonly cause: Cause;
  /** Runs of `attempt` in this process: the executor's, then each sending again of its answer. */
  tries: number;
  /** The executor's answer, kept while the engine cannot take it yet. */
  outcome: Outcome | undefined;
  /** The wake-up of the next sending of the answer, while backing off. */
  backoff: NodeJS.Timeout | undefined;
  /** The position of a `retry` timer that fired while this execution ran: it runs again once settled. */
  retryAfter: bigint | undefined;
  /** The workitem's claim, while this process holds it. */
  claim: Claim | undefined;
  /** Waiting (in `backoff`) to ask again for a claim another process held. */
  waitingForClaim: boolean;
  /** An answer to the workitem, or its end, was seen in the store since it was taken up. */
  answeredElsewhere: boolean;
  /** What the work queue handed this process for it: acked once it settles, given back at a stop. */
  readonly deliveries: WorkDelivery[];
  /** What the work queue handed this process for the retry in `retryAfter`. */
  readonly retryDeliveries: WorkDelivery[];
}

/** A claim this process holds on a workitem, and keeps renewed. */
interface Claim {
  readonly renewal: NodeJS.Timeout;
  /** The renewal under way, if any: one at a time, and a release waits for it. */
  renewing: Promise<void> | undefined;
}

/** The events whose data `handle` reads (`workOf`, `answered`, the abandon hooks). */
const DATA_READ: readonly CaseEvent['type'][] = [
  'WorkitemCreated',
  'TimerFired',
  'WorkitemUpdated',
  'WorkitemFailed',
];

/** The work an event gives the dispatcher, if any. */
function workOf(
  event: RecordedEvent,
): { readonly caseId: string; readonly workitemId: string; readonly cause: Cause } | undefined {
  if (event.type === 'WorkitemCreated') {
    const { caseId, workitemId, executor } = (event as RecordedEvent & WorkitemCreated).data;
    // A timer's workitem completes when its timer fires: there is nothing to run.
    return executor === TIMER_EXECUTOR ? undefined : { caseId, workitemId, cause: 'created' };
  }
  if (event.type === 'TimerFired') {
    const { caseId, kind, workitemId } = (event as RecordedEvent & TimerFired).data;
    if (kind === 'retry' && workitemId !== null) return { caseId, workitemId, cause: 'retry' };
  }
  return undefined;
}

const NOTHING_ENDED: ReadonlySet<string> = new Set();

/** The workitems a batch completes or abandons: their state is final, so no work of theirs is left. */
function endedIn(batch: readonly RecordedEvent[]): ReadonlySet<string> {
  let ended: Set<string> | undefined;
  for (const event of batch) {
    if (event.type !== 'WorkitemUpdated') continue;
    const { workitemId, state } = (event as RecordedEvent & WorkitemUpdated).data;
    if (state !== 'started') (ended ??= new Set()).add(workitemId);
  }
  return ended ?? NOTHING_ENDED;
}

const isFirst = (execution: Execution): boolean => execution.cause === 'created' && execution.tries === 0;

/**
 * Whether the workitem waits for its executor now: created (or started, for a retry), with no `retry`
 * timer pending and no incident open on its task. A workitem that has failed before runs only when its
 * retry timer fires, so that reading its creation again after a restart never runs it early.
 */
function isDue(execution: Execution, workitem: Workitem, state: CaseData): boolean {
  if (!(workitem.state === 'created' || (execution.cause === 'retry' && workitem.state === 'started'))) {
    return false;
  }
  if (execution.cause === 'created' && state.attempts.has(workitem.id)) return false;
  for (const timer of state.timers.values()) {
    if (timer.kind === 'retry' && timer.workitemId === workitem.id) return false;
  }
  for (const incident of state.incidents.values()) if (incident.taskId === workitem.taskId) return false;
  return true;
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
    (isFirst(execution) ? turn.first : turn.retries).push(execution);
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
