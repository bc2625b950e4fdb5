import { isDeepStrictEqual } from 'node:util';
import type { RecordedEvent } from '@wfnet/domain';
import type { ReadModelDump } from '../projections/read-model-dump.js';
import { dumpReadModels, foldReadModels } from '../projections/read-model-dump.js';
import { SqliteReadStore } from '../projections/sqlite-read-store.js';
import { readModelsFileBeside } from '../stores/store-kinds.js';
import { FlakyWebhook } from './flaky-webhook.js';
import type { WebhookCall } from './flaky-webhook.js';
import type { NetBody } from './matrix-nets.js';
import { choiceNet, parallelNet, sequentialNet, timerNet, webhookNet } from './matrix-nets.js';
import type { Acknowledgement, WorkitemAction } from './scripted-client.js';
import { ScriptedClient } from './scripted-client.js';
import { seededRandom } from './seeded-random.js';
import type { Service } from './service-process.js';
import { call, startService } from './service-process.js';
import type { AuditedCase, AuditedFailure } from './store-audit.js';
import { isEnded, netShape, StoreAudit } from './store-audit.js';
import { readEverything, removeDatabase, snapshotDatabase } from './store-files.js';

/**
 * The crash matrix: the built service on a SQLite file under a mixed load (sequential, parallel,
 * deferred choice worked by a scripted client, flaky webhook retried by its policy, timer), killed with
 * SIGKILL once per round and
 * started again on the same file. After each kill the store is audited (`StoreAudit`, which shares no
 * code with the engine) and checked against every 2xx the clients were given; after each restart, once
 * nothing moves, the read models in the file are compared with a rebuild from scratch.
 */

export interface CrashMatrixOptions {
  /** The SQLite file; it should not exist yet. */
  readonly file: string;
  readonly seed: number;
  /** Concurrent clients during a round's load. */
  readonly workers?: number;
  /** How long the cases in flight at a kill may take to come to rest after the restart. */
  readonly settleTimeoutMs?: number;
}

export interface RoundReport {
  readonly round: number;
  /** From the start of the round's load to the kill. */
  readonly killAfterMs: number;
  readonly casesAcknowledged: number;
  readonly workitemsAcknowledged: number;
  /** Client requests sent and not answered when the service died. */
  readonly requestsCutOff: number;
  /** Cases with work the service itself still had to do (executors, the dispatcher) at the kill. */
  readonly casesInFlight: number;
  /** Deferred-choice cases whose token a manual task held locked at the kill. */
  readonly choicesLocked: number;
  /** Deferred-choice cases waiting for the client at the kill. */
  readonly choicesWaiting: number;
  /** Events in the store after the kill. */
  readonly events: number;
  readonly auditMs: number;
  readonly restartMs: number;
  /** From the restart until nothing moved and the read models were compared. */
  readonly settleMs: number;
  /** Each names the round and, where there is one, the case. */
  readonly problems: readonly string[];
}

export interface MatrixTotals {
  readonly kills: number;
  readonly casesInStore: number;
  readonly casesFinished: number;
  readonly creationsAcknowledged: number;
  readonly workitemAcknowledgements: Readonly<Record<WorkitemAction, number>>;
  /** 409s answered to competing workers. */
  readonly contended: number;
  readonly requestsCutOff: number;
  readonly events: number;
  readonly webhookCalls: number;
  readonly timersFired: number;
  /** `WorkitemFailed` events: attempts of the flaky webhook that failed and were retried. */
  readonly failedAttempts: number;
}

const MIX = [
  { workflowId: 'sequential', weight: 3 },
  { workflowId: 'parallel', weight: 2 },
  { workflowId: 'choice', weight: 3 },
  { workflowId: 'webhook', weight: 2 },
  { workflowId: 'timer', weight: 2 },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const clip = (value: unknown): string => {
  const json = JSON.stringify(value);
  return json.length > 400 ? `${json.slice(0, 400)}…` : json;
};

export class CrashMatrix {
  readonly rounds: RoundReport[] = [];
  readonly #file: string;
  /** Copies of the file as a kill left it, and as the restarted service had it at rest. */
  readonly #killSnapshot: string;
  readonly #restSnapshot: string;
  /** The read models' file beside the store's, and its copies. */
  readonly #readFile: string;
  readonly #killReadSnapshot: string;
  readonly #restReadSnapshot: string;
  readonly #workers: number;
  readonly #settleTimeoutMs: number;
  readonly #webhook: FlakyWebhook;
  readonly #client: ScriptedClient;
  readonly #audit: StoreAudit;
  /** Every event of the store read so far, in position order: the input of a rebuild from scratch. */
  readonly #events: RecordedEvent[] = [];
  #service: Service | undefined;

  private constructor(options: CrashMatrixOptions, webhook: FlakyWebhook, nets: readonly NetBody[]) {
    this.#file = options.file;
    this.#killSnapshot = `${options.file}.at-kill`;
    this.#restSnapshot = `${options.file}.at-rest`;
    this.#readFile = readModelsFileBeside(options.file);
    this.#killReadSnapshot = `${this.#readFile}.at-kill`;
    this.#restReadSnapshot = `${this.#readFile}.at-rest`;
    this.#workers = options.workers ?? 4;
    this.#settleTimeoutMs = options.settleTimeoutMs ?? 20_000;
    this.#webhook = webhook;
    this.#client = new ScriptedClient(seededRandom(options.seed), MIX, 'choice');
    this.#audit = new StoreAudit(new Map(nets.map((net) => [net.id, netShape(net)])));
  }

  /** Starts the webhook and the service on a new file and defines the nets. */
  static async open(options: CrashMatrixOptions): Promise<CrashMatrix> {
    const failures = seededRandom(options.seed ^ 0x5bd1e995);
    // Most webhook workitems fail once or twice before they complete; some complete at the first call.
    const webhook = new FlakyWebhook(() => {
      const r = failures();
      return r < 0.35 ? 0 : r < 0.8 ? 1 : 2;
    });
    await webhook.start();
    const nets = [sequentialNet(), parallelNet(), choiceNet(), webhookNet(webhook.url), timerNet()];
    const matrix = new CrashMatrix(options, webhook, nets);
    try {
      matrix.#service = await startService(options.file);
      for (const net of nets) {
        const answer = await call(matrix.#service.base, 'POST', '/workflows', net);
        if (answer.status !== 201)
          throw new Error(`POST /workflows ${net.id}: ${answer.status} ${clip(answer.body)}`);
      }
    } catch (error) {
      await matrix.close();
      throw error;
    }
    return matrix;
  }

  /** One round: the load, a SIGKILL `killAfterMs` into it, the audit, the restart, the settling. */
  async round(killAfterMs: number): Promise<RoundReport> {
    const round = this.rounds.length;
    const service = this.#running();
    const problems: string[] = [];
    const acknowledgedBefore = this.#client.acknowledgements.length;
    const createdBefore = this.#client.createdCases.size;

    let dead = false;
    const began = Date.now();
    const load = this.#client.run(service.base, round, () => dead, this.#workers);
    await sleep(killAfterMs);
    const requestsCutOff = this.#client.inFlight;
    const killedAfter = Date.now() - began;
    service.child.kill('SIGKILL');
    const exit = await service.exited;
    dead = true;
    this.#service = undefined;
    await load;
    if (exit.signal !== 'SIGKILL')
      problems.push(`the service ended before the kill (${JSON.stringify(exit)}):\n${service.output()}`);

    // The store as the kill left it, audited from a copy while the service starts again on the file.
    snapshotDatabase(this.#readFile, this.#killReadSnapshot);
    snapshotDatabase(this.#file, this.#killSnapshot);
    let restartMs = 0;
    const restartBegan = Date.now();
    const restarted = startService(this.#file).then((restartedService) => {
      restartMs = Date.now() - restartBegan;
      this.#service = restartedService;
    });
    const auditBegan = Date.now();
    let inFlight: number;
    let choices: AuditedCase[];
    let auditMs: number;
    try {
      this.#read(await readEverything(this.#killSnapshot, this.#audit.position));
      problems.push(
        ...this.#storeProblems(),
        ...readModelProblems(this.#killReadSnapshot, this.#events, 'as the kill left them'),
      );
      inFlight = this.#audit.moving().length;
      choices = this.#activeChoices();
      auditMs = Date.now() - auditBegan;
    } finally {
      await restarted;
    }
    const choicesLocked = choices.filter((c) => [...c.tokens.values()].some((t) => t.state === 'locked'));

    const settleBegan = Date.now();
    problems.push(...(await this.#settle('after the restart')));
    const settleMs = Date.now() - settleBegan;
    this.#client.trackChoiceCases(this.#activeChoices().map((c) => c.id));

    const report: RoundReport = {
      round,
      killAfterMs: killedAfter,
      casesAcknowledged: this.#client.createdCases.size - createdBefore,
      workitemsAcknowledged: this.#client.acknowledgements.length - acknowledgedBefore,
      requestsCutOff,
      casesInFlight: inFlight,
      choicesLocked: choicesLocked.length,
      choicesWaiting: choices.length,
      events: this.#audit.events,
      auditMs,
      restartMs,
      settleMs,
      problems: problems.map((p) => `round ${round}: ${p}`),
    };
    this.rounds.push(report);
    return report;
  }

  /**
   * Works every remaining manual workitem until every case has ended, compares the read models once
   * more, stops the service with SIGTERM and audits the whole store: every case created must be finished.
   */
  async finish(timeoutMs = 60_000): Promise<string[]> {
    const round = this.rounds.length;
    const problems: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const active = [...this.#audit.cases.values()].filter((c) => !isEnded(c));
      if (active.length === 0 || Date.now() > deadline) break;
      const choices = active.filter((c) => c.workflowId === 'choice').map((c) => c.id);
      this.#client.trackChoiceCases(choices);
      await this.#client.drain(this.#running().base, round, choices);
      problems.push(...(await this.#settle('after working the remaining workitems')));
    }
    const service = this.#running();
    service.child.kill('SIGTERM');
    const exit = await service.exited;
    this.#service = undefined;
    if (exit.code !== 0)
      problems.push(`SIGTERM ended the service with ${JSON.stringify(exit)}:\n${service.output()}`);
    this.#read(await readEverything(this.#file, this.#audit.position));
    snapshotDatabase(this.#readFile, this.#restReadSnapshot);
    snapshotDatabase(this.#file, this.#restSnapshot);
    problems.push(
      ...this.#storeProblems(),
      ...readModelProblems(this.#restReadSnapshot, this.#events, 'after SIGTERM'),
    );
    for (const c of this.#audit.cases.values()) {
      if (c.status !== 'finished')
        problems.push(`case ${c.id} (${c.workflowId}) never finished: it is ${c.status}`);
    }
    return problems.map((p) => `final: ${p}`);
  }

  totals(): MatrixTotals {
    const cases = [...this.#audit.cases.values()];
    const acknowledgements = { preexecuted: 0, completed: 0, abandoned: 0 };
    for (const ack of this.#client.acknowledgements) acknowledgements[ack.action]++;
    return {
      kills: this.rounds.length,
      casesInStore: cases.length,
      casesFinished: cases.filter((c) => c.status === 'finished').length,
      creationsAcknowledged: this.#client.createdCases.size,
      workitemAcknowledgements: acknowledgements,
      contended: [...this.#client.contended.values()].reduce((sum, n) => sum + n, 0),
      requestsCutOff: this.#client.cutOff,
      events: this.#audit.events,
      webhookCalls: [...this.#webhook.calls.values()].reduce((sum, n) => sum + n, 0),
      timersFired: cases.reduce(
        (sum, c) => sum + [...c.timers.values()].filter((t) => t.state === 'fired').length,
        0,
      ),
      failedAttempts: cases.reduce(
        (sum, c) => sum + [...c.failures.values()].reduce((n, list) => n + list.length, 0),
        0,
      ),
    };
  }

  /** Stops whatever still runs and removes the snapshot; the caller owns the file itself. */
  async close(): Promise<void> {
    if (this.#service) {
      this.#service.child.kill('SIGKILL');
      await this.#service.exited;
      this.#service = undefined;
    }
    await this.#webhook.stop();
    for (const copy of [
      this.#killSnapshot,
      this.#restSnapshot,
      this.#killReadSnapshot,
      this.#restReadSnapshot,
    ])
      removeDatabase(copy);
  }

  #running(): Service {
    if (!this.#service) throw new Error('the service is not running');
    return this.#service;
  }

  #activeChoices(): AuditedCase[] {
    return [...this.#audit.cases.values()].filter((c) => c.workflowId === 'choice' && !isEnded(c));
  }

  #read(events: readonly RecordedEvent[]): void {
    const fresh = events.filter((e) => e.position > this.#audit.position);
    this.#audit.apply(fresh);
    for (const event of fresh) this.#events.push(event);
  }

  /** The audit's findings, and every 2xx the clients were given that the store does not bear out. */
  #storeProblems(): string[] {
    return [
      ...this.#audit.takeViolations(),
      ...this.#audit.conservation(),
      ...acknowledgementProblems(this.#client, this.#audit),
      ...webhookProblems(this.#audit, this.#webhook),
    ];
  }

  /**
   * Waits until the restarted service has nothing left to do — its read models at the store's head, no
   * workitem waiting for an executor, every case at rest by the audit — then compares the read models in
   * the file with a rebuild from scratch. The problems found, or why it never came to rest.
   */
  async #settle(after: string): Promise<string[]> {
    const service = this.#running();
    const deadline = Date.now() + this.#settleTimeoutMs;
    for (;;) {
      const late = Date.now() > deadline;
      if (late || (await this.#looksQuiet(service.base))) {
        // The read models first: the events copied after reach at least their checkpoint.
        snapshotDatabase(this.#readFile, this.#restReadSnapshot);
        snapshotDatabase(this.#file, this.#restSnapshot);
        this.#read(await readEverything(this.#restSnapshot, this.#audit.position));
        const moving = this.#audit.moving();
        const checkpoint = this.#readStoreCheckpoint();
        if ((moving.length === 0 && checkpoint === this.#audit.position) || late) {
          const problems = this.#audit.takeViolations();
          problems.push(...moving.map((m) => `case ${m.caseId} did not come to rest ${after}: ${m.why}`));
          if (checkpoint !== this.#audit.position)
            problems.push(
              `the read models stayed at position ${checkpoint} ${after}, the store is at ${this.#audit.position}`,
            );
          else problems.push(...readModelProblems(this.#restReadSnapshot, this.#events, `at rest ${after}`));
          return problems;
        }
      }
      await sleep(50);
    }
  }

  /** Cheap signs, over HTTP, that the service may be at rest; the audit of a snapshot decides. */
  async #looksQuiet(base: string): Promise<boolean> {
    const health = await call(base, 'GET', '/health').catch(() => undefined);
    if (health?.status !== 200 || (health.body as { projectionLag?: string }).projectionLag !== '0')
      return false;
    const waiting = await call(base, 'GET', '/workitems?state=created&limit=1').catch(() => undefined);
    return waiting?.status === 200 && (waiting.body as { items: unknown[] }).items.length === 0;
  }

  #readStoreCheckpoint(): bigint {
    const store = SqliteReadStore.open(this.#restReadSnapshot);
    try {
      return store.checkpoint();
    } finally {
      store.close();
    }
  }
}

/** Every 2xx the client was given that the store does not bear out, and the answers it did not expect. */
export function acknowledgementProblems(client: ScriptedClient, audit: StoreAudit): string[] {
  const problems = client.unexpected.splice(0);
  for (const [caseId, { round }] of client.createdCases) {
    if (!audit.cases.has(caseId)) problems.push(`case ${caseId}, created in round ${round}, is lost`);
  }
  for (const ack of client.acknowledgements) {
    const lost = lostAcknowledgement(audit, ack);
    if (lost !== undefined)
      problems.push(
        `case ${ack.caseId}: workitem ${ack.workitemId} was answered ${ack.action} in round ${ack.round}, ${lost}`,
      );
  }
  return problems;
}

/** Why the store does not bear out an acknowledgement, or undefined when it does. */
function lostAcknowledgement(audit: StoreAudit, ack: Acknowledgement): string | undefined {
  const c = audit.cases.get(ack.caseId);
  const workitem = c?.workitems.get(ack.workitemId);
  if (!c || !workitem) return 'but the store has no such workitem';
  if (ack.action === 'preexecuted')
    return c.tasks.get(workitem.taskId)?.lockedEver ? undefined : 'but its task never locked its tokens';
  return workitem.state === ack.action ? undefined : `but the store has it ${workitem.state}`;
}

/**
 * Webhook workitems the store has completed with another output than the webhook's, or without the
 * webhook ever answering completed, and calls made while a retry was pending.
 */
export function webhookProblems(audit: StoreAudit, webhook: FlakyWebhook): string[] {
  const problems: string[] = [];
  for (const c of audit.cases.values()) {
    for (const [id, workitem] of c.workitems) {
      if (workitem.executor !== 'webhook') continue;
      problems.push(
        ...earlyCalls(`case ${c.id}`, id, webhook.callLog.get(id) ?? [], c.failures.get(id) ?? []),
      );
      if (workitem.state !== 'completed') continue;
      if (!isDeepStrictEqual(workitem.output, { hooked: id }) || !webhook.completions.get(id))
        problems.push(
          `case ${c.id}: webhook workitem ${id} completed with ${clip(workitem.output)} after ` +
            `${webhook.calls.get(id) ?? 0} calls, ${webhook.completions.get(id) ?? 0} answered completed`,
        );
    }
  }
  return problems;
}

/**
 * The webhook's calls for a workitem that came while a retry was pending: a call for attempt n > 1 must
 * come at or after the `retryAt` of attempt n − 1's recorded failure. A call repeating an attempt whose
 * report a kill or a database cut held back may come at any time: it is that attempt again, not the next.
 */
export function earlyCalls(
  where: string,
  workitemId: string,
  calls: readonly WebhookCall[],
  failures: readonly AuditedFailure[],
): string[] {
  const early: string[] = [];
  for (const { arrived, attempt } of calls) {
    if (attempt === 1) continue;
    const previous = failures.find((f) => f.attempt === attempt - 1);
    if (previous === undefined || previous.retryAt === null || arrived < Date.parse(previous.retryAt))
      early.push(
        `${where}: workitem ${workitemId} was called for attempt ${attempt} at ` +
          `${new Date(arrived).toISOString()}, while it waited for ` +
          (previous === undefined ? `attempt ${attempt - 1} to fail` : (previous.retryAt ?? 'an operator')),
      );
  }
  return early;
}

/**
 * The read models in a copy of a read store against the engine's own views folded from nothing over the
 * events up to their checkpoint: a batch and its checkpoint are one transaction, so they must be equal
 * at any instant, not only at rest. `events` must reach at least the checkpoint.
 */
export function readModelProblems(
  snapshot: string,
  events: readonly RecordedEvent[],
  when: string,
): string[] {
  const store = SqliteReadStore.open(snapshot);
  try {
    const checkpoint = store.checkpoint();
    const held = dumpReadModels(store);
    const rebuilt = foldReadModels(events.filter((e) => e.position <= checkpoint));
    return differences(held, rebuilt).map((d) => `read models ${when} (checkpoint ${checkpoint}): ${d}`);
  } finally {
    store.close();
  }
}

/** How the read models a store holds differ from a rebuild: at most a few documents per read model. */
export function differences(held: ReadModelDump, rebuilt: ReadModelDump): string[] {
  const found: string[] = [];
  for (const view of new Set([...Object.keys(held), ...Object.keys(rebuilt)])) {
    const heldDocs = held[view] ?? [];
    const rebuiltDocs = rebuilt[view] ?? [];
    const rebuiltById = new Map(rebuiltDocs.map((doc) => [doc.id, doc]));
    const heldIds = new Set(heldDocs.map((doc) => doc.id));
    const wrong: string[] = [];
    for (const doc of heldDocs) {
      const other = rebuiltById.get(doc.id);
      if (other === undefined) wrong.push(`${view} ${doc.id} is held but not in a rebuild: ${clip(doc)}`);
      else if (!isDeepStrictEqual(doc, other))
        wrong.push(`${view} ${doc.id} differs from a rebuild: held ${clip(doc)}, rebuilt ${clip(other)}`);
    }
    for (const doc of rebuiltDocs)
      if (!heldIds.has(doc.id)) wrong.push(`${view} ${doc.id} is missing: ${clip(doc)}`);
    if (wrong.length === 0 && heldDocs.some((doc, i) => doc.id !== rebuiltDocs[i]?.id))
      wrong.push(`${view}: the documents are in another order than a rebuild's`);
    found.push(...wrong.slice(0, 5));
    if (wrong.length > 5) found.push(`${view}: ${wrong.length - 5} more documents differ`);
  }
  return found;
}
