import { join } from 'node:path';
import type { RecordedEvent } from '@wfnet/domain';
import { SqliteReadStore } from '../projections/sqlite-read-store.js';
import { openEventStore } from '../stores/store-kinds.js';
import type { OpenedStores } from '../stores/store-kinds.js';
import { acknowledgementProblems, clip, readModelProblems, webhookProblems } from './crash-matrix.js';
import { FlakyWebhook } from './flaky-webhook.js';
import type { WebhookCall } from './flaky-webhook.js';
import type { NetBody } from './matrix-nets.js';
import { choiceNet, parallelNet, sequentialNet, timerNet, webhookNet } from './matrix-nets.js';
import type { WorkitemAction } from './scripted-client.js';
import { ScriptedClient } from './scripted-client.js';
import type { Random } from './seeded-random.js';
import { between, seededRandom } from './seeded-random.js';
import type { Service } from './service-process.js';
import { call, startServiceWith } from './service-process.js';
import type { AuditedCase } from './store-audit.js';
import { isEnded, netShape, StoreAudit } from './store-audit.js';
import { readAllAfter, removeDatabase, snapshotDatabase } from './store-files.js';

/**
 * The crash matrix of a cluster: N api processes on one PostgreSQL store, each with its read models in a
 * SQLite file of its own, under a mixed load sent to all of them in turn. Each round one process is
 * killed with SIGKILL (or, once, the database is restarted under them all), then started again under
 * its name on its read file while the next rounds go on with the others. After each interruption the store is audited as it stands (`StoreAudit`),
 * checked against every 2xx any process gave, and every process's read models are compared with a
 * rebuild; the webhook watches that no two calls for one workitem are ever open at once and that every
 * call beyond the failures recorded and the one that completed is explained by an interruption.
 */

export interface ClusterMatrixOptions {
  /** The store every process shares: `postgres://…`, a new empty database. */
  readonly storeUrl: string;
  /** Where each process keeps its read models (and the matrix their snapshots). */
  readonly dir: string;
  readonly seed: number;
  readonly processes?: number;
  /** Concurrent clients during a round's load, spread over the processes. */
  readonly workers?: number;
  /**
   * Rounds between two waits for the whole cluster to come to rest; only at the end when not given (the
   * audit and the read models' comparison run every round, at rest or not).
   */
  readonly settleEvery?: number;
  readonly settleTimeoutMs?: number;
  /** More settings for every process. */
  readonly settings?: Readonly<Record<string, string>>;
}

/** What interrupted the cluster: a process killed, or every connection to the database cut. */
export type Interruption =
  | { readonly kind: 'kill'; readonly process: string; readonly at: number }
  | { readonly kind: 'database cut'; readonly at: number; readonly until: number };

export interface ClusterRoundReport {
  readonly round: number;
  readonly interruption: Interruption;
  /** From the start of the round's load to the interruption. */
  readonly afterMs: number;
  readonly casesAcknowledged: number;
  readonly workitemsAcknowledged: number;
  /** Client requests sent and not answered when the process died (or the database went away). */
  readonly requestsCutOff: number;
  /** Cases with work the cluster itself still had to do at the interruption. */
  readonly casesInFlight: number;
  /** Events in the store after the interruption. */
  readonly events: number;
  readonly auditMs: number;
  /** How long the round waited, before its load, for killed processes to be up again. */
  readonly waitedForRestartsMs: number;
  /** From the restart until the cluster was at rest, when the round waited for it. */
  readonly settleMs: number | undefined;
  readonly problems: readonly string[];
}

export interface ClusterTotals {
  readonly processes: number;
  readonly kills: number;
  readonly databaseCuts: number;
  readonly casesInStore: number;
  readonly casesFinished: number;
  readonly creationsAcknowledged: number;
  readonly workitemAcknowledgements: Readonly<Record<WorkitemAction, number>>;
  readonly contended: number;
  readonly requestsCutOff: number;
  /** 503 `store_unavailable` answers while the database was cut off. */
  readonly unavailableAnswers: number;
  readonly events: number;
  readonly webhookWorkitems: number;
  readonly webhookCalls: number;
  /** Calls whose caller went away before the answer: a killed process, or an attempt that timed out. */
  readonly webhookCallsCut: number;
  /** Calls beyond the failures recorded and the one completion: each explained by an interruption. */
  readonly webhookCallsRepeated: number;
  /**
   * Failed attempts recorded that no call to the webhook matches: the attempt failed on the caller's
   * side before its call arrived (a timeout, a refused connection), with what each failed with.
   */
  readonly failuresWithoutCall: readonly string[];
  /** Calls that arrived while another for the same workitem was open: must be 0. */
  readonly webhookOverlaps: number;
  readonly failedAttempts: number;
  readonly timersFired: number;
}

const MIX = [
  { workflowId: 'sequential', weight: 3 },
  { workflowId: 'parallel', weight: 2 },
  { workflowId: 'choice', weight: 3 },
  { workflowId: 'webhook', weight: 3 },
  { workflowId: 'timer', weight: 2 },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Member {
  readonly name: string;
  readonly readFile: string;
  readonly snapshot: string;
  service: Service | undefined;
  /** Its start after a kill, while under way: the rounds go on meanwhile with the other processes. */
  restarting: Promise<void> | undefined;
}

export class ClusterMatrix {
  readonly rounds: ClusterRoundReport[] = [];
  readonly interruptions: Interruption[] = [];
  /** How long each restart after a kill took, until the process answered `/health`. */
  readonly restartTimes: number[] = [];
  readonly #options: ClusterMatrixOptions;
  readonly #members: readonly Member[];
  readonly #webhook: FlakyWebhook;
  readonly #client: ScriptedClient;
  readonly #audit: StoreAudit;
  readonly #random: Random;
  readonly #store: OpenedStores;
  /** Every event of the store read so far, in position order: the input of a rebuild from scratch. */
  readonly #events: RecordedEvent[] = [];
  /** Processes that exited without being told to, each with the end of its output. */
  readonly #deaths: string[] = [];
  /** Webhook workitems whose calls were reported already, so that each is reported once. */
  readonly #reportedCalls = new Set<string>();
  #turn = 0;

  private constructor(
    options: ClusterMatrixOptions,
    webhook: FlakyWebhook,
    nets: readonly NetBody[],
    store: OpenedStores,
  ) {
    this.#options = options;
    this.#members = Array.from({ length: options.processes ?? 3 }, (_, i) => {
      const name = `api-${i + 1}`;
      return {
        name,
        readFile: join(options.dir, `${name}-read.db`),
        snapshot: join(options.dir, `${name}-read.snapshot.db`),
        service: undefined,
        restarting: undefined,
      };
    });
    this.#webhook = webhook;
    this.#store = store;
    this.#random = seededRandom(options.seed ^ 0x27d4eb2f);
    this.#client = new ScriptedClient(seededRandom(options.seed), MIX, 'choice');
    this.#audit = new StoreAudit(new Map(nets.map((net) => [net.id, netShape(net)])));
  }

  /** Starts the webhook and the processes, one after the other, and defines the nets. */
  static async open(options: ClusterMatrixOptions): Promise<ClusterMatrix> {
    const random = seededRandom(options.seed ^ 0x5bd1e995);
    // Most webhook workitems fail once or twice before they complete; an answer takes a few tens of
    // milliseconds, so that two calls for one workitem at once could not pass unseen.
    const webhook = new FlakyWebhook(
      () => {
        const r = random();
        return r < 0.35 ? 0 : r < 0.8 ? 1 : 2;
      },
      { answerDelayMs: () => between(random, 20, 60) },
    );
    await webhook.start();
    const nets = [sequentialNet(), parallelNet(), choiceNet(), webhookNet(webhook.url), timerNet()];
    const store = openEventStore(options.storeUrl);
    const matrix = new ClusterMatrix(options, webhook, nets, store);
    try {
      // One at a time: the first creates the store's tables, the others find them.
      for (const member of matrix.#members) await matrix.#start(member);
      const first = matrix.#running(matrix.#members[0]!);
      for (const net of nets) {
        const answer = await call(first.base, 'POST', '/workflows', net);
        if (answer.status !== 201)
          throw new Error(`POST /workflows ${net.id}: ${answer.status} ${clip(answer.body)}`);
      }
    } catch (error) {
      await matrix.close();
      throw error;
    }
    return matrix;
  }

  /**
   * A round whose load is interrupted `afterMs` into it by the SIGKILL of a process drawn at random among
   * those up. The round first waits until at most one process is still starting again after a kill.
   */
  killRound(afterMs: number): Promise<ClusterRoundReport> {
    const draw = this.#random();
    return this.#round(afterMs, this.#members.length - 1, async () => {
      const live = this.#members.filter((member) => member.service !== undefined);
      const victim = live[Math.floor(draw * live.length)];
      if (!victim) throw new Error('no process is up to be killed');
      const service = victim.service;
      victim.service = undefined;
      const at = Date.now();
      service?.child.kill('SIGKILL');
      await service?.exited;
      return { interruption: { kind: 'kill', process: victim.name, at }, victim, problems: [] };
    });
  }

  /**
   * A round whose load is interrupted `afterMs` into it by `cut`, which must cut every connection to the
   * database (a restart of the server); every process must ride it out.
   */
  cutRound(afterMs: number, cut: () => Promise<void>): Promise<ClusterRoundReport> {
    return this.#round(afterMs, this.#members.length, async () => {
      this.#client.unavailableExpected = true;
      const at = Date.now();
      try {
        await cut();
      } finally {
        this.#client.unavailableExpected = false;
      }
      return {
        interruption: { kind: 'database cut', at, until: Date.now() },
        victim: undefined,
        problems: [],
      };
    });
  }

  async #round(
    afterMs: number,
    /** How many processes must be up before the load begins. */
    up: number,
    interrupt: () => Promise<{
      readonly interruption: Interruption;
      readonly victim: Member | undefined;
      readonly problems: readonly string[];
    }>,
  ): Promise<ClusterRoundReport> {
    const round = this.rounds.length;
    const problems: string[] = [];
    const acknowledgedBefore = this.#client.acknowledgements.length;
    const createdBefore = this.#client.createdCases.size;
    const cutOffBefore = this.#client.cutOff;
    const waitBegan = Date.now();
    await this.#restarted(up);
    const waitedForRestartsMs = Date.now() - waitBegan;

    let stopped = false;
    const began = Date.now();
    const load = this.#client.run(
      () => this.#nextBase(),
      round,
      () => stopped,
      this.#options.workers ?? 6,
    );
    await sleep(afterMs);
    const interruptedAfter = Date.now() - began;
    const interrupted = await interrupt();
    stopped = true;
    await load;
    this.interruptions.push(interrupted.interruption);
    problems.push(...interrupted.problems, ...this.#deaths.splice(0));

    // Every process's read models as they stand (the victim's as the kill left them), taken before the
    // store is read, so that the events read reach every checkpoint.
    for (const member of this.#members) snapshotDatabase(member.readFile, member.snapshot);
    if (interrupted.victim) this.#restart(interrupted.victim);
    const auditBegan = Date.now();
    await this.#readStore();
    problems.push(...this.#storeProblems());
    for (const member of this.#members)
      problems.push(
        ...readModelProblems(member.snapshot, this.#events, `of ${member.name} after the interruption`),
      );
    const inFlight = this.#audit.moving().length;
    const auditMs = Date.now() - auditBegan;

    let settleMs: number | undefined;
    const settleEvery = this.#options.settleEvery;
    if (settleEvery !== undefined && (round + 1) % settleEvery === 0) {
      const settleBegan = Date.now();
      problems.push(...(await this.#settle(`after round ${round}`)));
      settleMs = Date.now() - settleBegan;
    }
    this.#client.trackChoiceCases(this.#activeChoices().map((c) => c.id));

    const report: ClusterRoundReport = {
      round,
      interruption: interrupted.interruption,
      afterMs: interruptedAfter,
      casesAcknowledged: this.#client.createdCases.size - createdBefore,
      workitemsAcknowledged: this.#client.acknowledgements.length - acknowledgedBefore,
      requestsCutOff: this.#client.cutOff - cutOffBefore,
      casesInFlight: inFlight,
      events: this.#audit.events,
      auditMs,
      waitedForRestartsMs,
      settleMs,
      problems: problems.map((p) => `round ${round}: ${p}`),
    };
    this.rounds.push(report);
    return report;
  }

  /**
   * Works every remaining manual workitem through all the processes until every case has ended, then
   * waits for rest, compares every process's read models once more, and checks that every case finished.
   */
  async finish(timeoutMs = 60_000): Promise<string[]> {
    const round = this.rounds.length;
    const problems: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      problems.push(...(await this.#settle('at the end')));
      const active = [...this.#audit.cases.values()].filter((c) => !isEnded(c));
      if (active.length === 0 || Date.now() > deadline) break;
      const choices = active.filter((c) => c.workflowId === 'choice').map((c) => c.id);
      this.#client.trackChoiceCases(choices);
      await this.#client.drain(() => this.#nextBase(), round, choices);
    }
    for (const c of this.#audit.cases.values()) {
      if (c.status !== 'finished')
        problems.push(`case ${c.id} (${c.workflowId}) never finished: it is ${c.status}`);
    }
    return problems.map((p) => `final: ${p}`);
  }

  totals(): ClusterTotals {
    const cases = [...this.#audit.cases.values()];
    const acknowledgements = { preexecuted: 0, completed: 0, abandoned: 0 };
    for (const ack of this.#client.acknowledgements) acknowledgements[ack.action]++;
    const calls = [...this.#webhook.callLog.values()];
    return {
      processes: this.#members.length,
      kills: this.interruptions.filter((i) => i.kind === 'kill').length,
      databaseCuts: this.interruptions.filter((i) => i.kind === 'database cut').length,
      casesInStore: cases.length,
      casesFinished: cases.filter((c) => c.status === 'finished').length,
      creationsAcknowledged: this.#client.createdCases.size,
      workitemAcknowledgements: acknowledgements,
      contended: [...this.#client.contended.values()].reduce((sum, n) => sum + n, 0),
      requestsCutOff: this.#client.cutOff,
      unavailableAnswers: this.#client.unavailable,
      events: this.#audit.events,
      webhookWorkitems: calls.length,
      webhookCalls: calls.reduce((sum, list) => sum + list.length, 0),
      webhookCallsCut: calls.reduce((sum, list) => sum + list.filter((c) => c.outcome === 'cut').length, 0),
      webhookCallsRepeated: cases.reduce(
        (sum, c) => sum + this.#webhookCalls(c).reduce((n, w) => n + Math.max(0, w.repeated), 0),
        0,
      ),
      failuresWithoutCall: cases.flatMap((c) =>
        this.#webhookCalls(c)
          .filter((w) => w.repeated < 0)
          .map(
            (w) =>
              `${w.workitemId}: ${-w.repeated} of ${clip(c.failures.get(w.workitemId)?.map((f) => f.error))}`,
          ),
      ),
      webhookOverlaps: [...this.#webhook.overlaps.values()].reduce((sum, n) => sum + n, 0),
      failedAttempts: cases.reduce(
        (sum, c) => sum + [...c.failures.values()].reduce((n, list) => n + list.length, 0),
        0,
      ),
      timersFired: cases.reduce(
        (sum, c) => sum + [...c.timers.values()].filter((t) => t.state === 'fired').length,
        0,
      ),
    };
  }

  /** Stops every process (SIGTERM, and checks each ends cleanly), the webhook and the store's client. */
  async close(): Promise<string[]> {
    const problems: string[] = [];
    await this.#restarted(this.#members.length);
    await Promise.all(
      this.#members.map(async (member) => {
        const service = member.service;
        if (!service) return;
        member.service = undefined;
        service.child.kill('SIGTERM');
        const exit = await service.exited;
        member.service = undefined;
        if (exit.code !== 0)
          problems.push(
            `SIGTERM ended ${member.name} with ${JSON.stringify(exit)}:\n${tail(service.output())}`,
          );
      }),
    );
    await this.#webhook.stop();
    await this.#store.close();
    for (const member of this.#members) removeDatabase(member.snapshot);
    return [...this.#deaths.splice(0), ...problems];
  }

  /** The live processes in turn: a stopped worker's next request goes to another. */
  #nextBase(): string {
    const live = this.#members.filter((member) => member.service !== undefined);
    const member = live[this.#turn++ % Math.max(live.length, 1)];
    // Every process down: a base that refuses the connection, which ends the worker like a kill does.
    return member?.service?.base ?? 'http://127.0.0.1:9';
  }

  /** Starts a killed process again under its name, on its read models, while the rounds go on. */
  #restart(member: Member): void {
    const began = Date.now();
    member.restarting = this.#start(member).then(
      () => {
        this.restartTimes.push(Date.now() - began);
        member.restarting = undefined;
      },
      (error: unknown) => {
        this.#deaths.push(`${member.name} did not start again: ${String(error)}`);
        member.restarting = undefined;
      },
    );
  }

  /** Waits until `up` processes are up, or none is starting any more. */
  async #restarted(up: number): Promise<void> {
    for (;;) {
      const live = this.#members.filter((member) => member.service !== undefined).length;
      const starting = this.#members.flatMap((member) => member.restarting ?? []);
      if (live >= up || starting.length === 0) return;
      await Promise.race(starting);
    }
  }

  async #start(member: Member): Promise<void> {
    const service = await startServiceWith(
      {
        ...this.#options.settings,
        WFNET_EVENT_STORE: this.#options.storeUrl,
        WFNET_READ_STORE: `sqlite:${member.readFile}`,
        WFNET_PROCESS_NAME: member.name,
      },
      60_000,
    );
    member.service = service;
    // A process the matrix stops is no longer its member's service by the time it exits.
    void service.exited.then((exit) => {
      if (member.service !== service) return;
      member.service = undefined;
      this.#deaths.push(
        `${member.name} exited by itself (${JSON.stringify(exit)}):\n${tail(service.output())}`,
      );
    });
  }

  #running(member: Member): Service {
    if (!member.service) throw new Error(`${member.name} is not running`);
    return member.service;
  }

  #activeChoices(): AuditedCase[] {
    return [...this.#audit.cases.values()].filter((c) => c.workflowId === 'choice' && !isEnded(c));
  }

  /** Reads what the store shows past the audit's position; the store may still be coming back from a cut. */
  async #readStore(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const fresh = await readAllAfter(this.#store.eventStore, this.#audit.position);
        this.#audit.apply(fresh);
        this.#events.push(...fresh);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(200);
      }
    }
  }

  /** The audit's findings, every 2xx not borne out, and calls for one workitem that overlapped. */
  #storeProblems(): string[] {
    const problems = [
      ...this.#audit.takeViolations(),
      ...this.#audit.conservation(),
      ...acknowledgementProblems(this.#client, this.#audit),
      ...webhookProblems(this.#audit, this.#webhook),
    ];
    for (const [workitemId, overlaps] of this.#webhook.overlaps)
      problems.push(
        `webhook workitem ${workitemId}: ${overlaps} calls arrived while another for it was open: ` +
          describeCalls(this.#webhook.callLog.get(workitemId) ?? []),
      );
    this.#webhook.overlaps.clear();
    return problems;
  }

  /**
   * For each webhook workitem of a case, its calls beyond the failures recorded and the one completion
   * (`repeated`), and how many of its calls an interruption explains (`explained`): a call cut off by
   * its caller's death, or one followed by an interruption before the next call for the workitem (its
   * caller may have died, or lost the database, before recording the outcome).
   */
  #webhookCalls(c: AuditedCase): { workitemId: string; repeated: number; explained: number }[] {
    const found: { workitemId: string; repeated: number; explained: number }[] = [];
    for (const [workitemId, workitem] of c.workitems) {
      if (workitem.executor !== 'webhook' || workitem.state !== 'completed') continue;
      const calls = this.#webhook.callLog.get(workitemId) ?? [];
      const recorded = (c.failures.get(workitemId)?.length ?? 0) + 1;
      const explained = calls.filter((call, i) => {
        if (call.outcome === 'cut') return true;
        const next = calls[i + 1]?.arrived ?? Infinity;
        return this.interruptions.some(
          (it) => it.at <= next && (it.kind === 'kill' ? it.at : it.until) >= call.arrived,
        );
      }).length;
      found.push({ workitemId, repeated: calls.length - recorded, explained });
    }
    return found;
  }

  /**
   * At rest: no completed webhook workitem called more often than its recorded outcomes and the calls an
   * interruption explains. Fewer is no double execution (an attempt that failed before its call arrived):
   * the totals count those.
   */
  #webhookCallProblems(): string[] {
    const problems: string[] = [];
    for (const c of this.#audit.cases.values()) {
      for (const { workitemId, repeated, explained } of this.#webhookCalls(c)) {
        const calls = this.#webhook.callLog.get(workitemId) ?? [];
        if (repeated > explained && !this.#reportedCalls.has(workitemId)) {
          this.#reportedCalls.add(workitemId);
          problems.push(
            `case ${c.id}: webhook workitem ${workitemId} was called ${calls.length} times for ` +
              `${c.failures.get(workitemId)?.length ?? 0} failures recorded and one completion ` +
              `(${explained} calls explained by an interruption): ${describeCalls(calls)}`,
          );
        }
      }
    }
    return problems;
  }

  /**
   * Waits until every process has nothing left to do — read models at the store's head, no workitem
   * waiting for an executor, every case at rest by the audit, every read store's checkpoint at the
   * audit's position — then compares each process's read models with a rebuild from scratch.
   */
  async #settle(after: string): Promise<string[]> {
    await this.#restarted(this.#members.length);
    const deadline = Date.now() + (this.#options.settleTimeoutMs ?? 60_000);
    for (;;) {
      const late = Date.now() > deadline;
      if (late || (await this.#looksQuiet())) {
        for (const member of this.#members) snapshotDatabase(member.readFile, member.snapshot);
        await this.#readStore();
        const moving = this.#audit.moving();
        const behind = this.#members
          .map((member) => ({ member, checkpoint: readStoreCheckpoint(member.snapshot) }))
          .filter(({ checkpoint }) => checkpoint !== this.#audit.position);
        if ((moving.length === 0 && behind.length === 0) || late) {
          const problems = [
            ...this.#deaths.splice(0),
            ...this.#storeProblems(),
            ...this.#webhookCallProblems(),
          ];
          problems.push(...moving.map((m) => `case ${m.caseId} did not come to rest ${after}: ${m.why}`));
          for (const { member, checkpoint } of behind)
            problems.push(
              `the read models of ${member.name} stayed at position ${checkpoint} ${after}, the store is at ${this.#audit.position}`,
            );
          for (const member of this.#members)
            problems.push(
              ...readModelProblems(member.snapshot, this.#events, `of ${member.name} at rest ${after}`),
            );
          return problems;
        }
      }
      await sleep(100);
    }
  }

  /** Cheap signs, over HTTP, that every process may be at rest; the audit of the store decides. */
  async #looksQuiet(): Promise<boolean> {
    for (const member of this.#members) {
      const base = member.service?.base;
      if (base === undefined) return false;
      const health = await call(base, 'GET', '/health').catch(() => undefined);
      if (health?.status !== 200 || (health.body as { projectionLag?: string }).projectionLag !== '0')
        return false;
      const waiting = await call(base, 'GET', '/workitems?state=created&limit=1').catch(() => undefined);
      if (waiting?.status !== 200 || (waiting.body as { items: unknown[] }).items.length > 0) return false;
    }
    return true;
  }
}

/** The last lines of a process's output: what it said before it died. */
function tail(output: string, lines = 40): string {
  return output.split('\n').slice(-lines).join('\n');
}

function readStoreCheckpoint(snapshot: string): bigint {
  const store = SqliteReadStore.open(snapshot);
  try {
    return store.checkpoint();
  } finally {
    store.close();
  }
}

function describeCalls(calls: readonly WebhookCall[]): string {
  return calls
    .map(
      (c) =>
        `${new Date(c.arrived).toISOString()}→${c.ended === undefined ? 'open' : new Date(c.ended).toISOString()} ${c.outcome ?? 'open'}`,
    )
    .join(', ');
}
