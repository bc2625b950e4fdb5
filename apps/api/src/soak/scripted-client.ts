import type { Random } from './seeded-random.js';
import { pickFrom } from './seeded-random.js';
import type { Answer } from './service-process.js';
import { call } from './service-process.js';

export type WorkitemAction = 'preexecuted' | 'completed' | 'abandoned';

/** A 2xx answer to a workitem command: the store must hold the workitem in at least that state. */
export interface Acknowledgement {
  readonly round: number;
  readonly caseId: string;
  readonly workitemId: string;
  readonly action: WorkitemAction;
}

/** The 409s a workitem command may meet when workers compete for one case or a kill cut an answer off. */
const CONTENDED = new Set([
  'workitem_not_available',
  'task_not_available',
  'tokens_not_available',
  'task_not_enabled',
  'case_not_available',
]);

interface ListedWorkitem {
  readonly id: string;
  readonly state: string;
}

/**
 * Clients of the service: workers that create cases of every net and work the manual workitems of the
 * deferred-choice cases through the HTTP API (competing with each other), remembering every 2xx answer.
 */
export class ScriptedClient {
  /** Cases whose creation was answered 201. */
  readonly createdCases = new Map<string, { readonly round: number; readonly workflowId: string }>();
  /** Cases whose creation was sent but never answered (the service died first). */
  readonly unansweredCreations = new Set<string>();
  readonly acknowledgements: Acknowledgement[] = [];
  /** Answers the contract does not allow in this situation, each as the request and its answer. */
  readonly unexpected: string[] = [];
  /** 409s met by competing workers, by code. */
  readonly contended = new Map<string, number>();
  /** Requests the kills cut off. */
  cutOff = 0;
  /**
   * Whether a 503 `store_unavailable` is an answer to expect (the database is being cut off): it then
   * counts as unanswered, since the write may or may not have been stored, and stops the worker.
   */
  unavailableExpected = false;
  /** 503 `store_unavailable` answers met while `unavailableExpected`. */
  unavailable = 0;
  readonly #choiceCases = new Map<string, { waitFor?: string }>();
  /** The one workitem each case was told was completed: a deferred choice is made once. */
  readonly #completedChoice = new Map<string, string>();
  readonly #busy = new Set<string>();
  #inFlight = 0;
  #next = 0;

  constructor(
    private readonly random: Random,
    /** The nets to create cases of, with their weights. */
    private readonly mix: readonly { readonly workflowId: string; readonly weight: number }[],
    /** The deferred-choice net, whose cases wait for the client. */
    private readonly choiceWorkflowId: string,
  ) {}

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The deferred-choice cases to work on from now on: those the store holds as active. */
  trackChoiceCases(caseIds: Iterable<string>): void {
    const known = this.#choiceCases;
    const next = new Map<string, { waitFor?: string }>();
    for (const id of caseIds) next.set(id, known.get(id) ?? {});
    this.#choiceCases.clear();
    for (const [id, entry] of next) this.#choiceCases.set(id, entry);
  }

  /**
   * Runs `workers` clients until `stopped()` or the service is gone; `base` may name the process for each
   * step, when several serve one store.
   */
  async run(
    base: string | (() => string),
    round: number,
    stopped: () => boolean,
    workers: number,
  ): Promise<void> {
    const worker = async (): Promise<void> => {
      while (!stopped()) {
        if (!(await this.#step(typeof base === 'string' ? base : base(), round))) return;
        await new Promise((resolve) => setTimeout(resolve, 1 + this.random() * 6));
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
  }

  /**
   * Works each of these cases' open choice to its end: tries to complete each started workitem (after a
   * preexecute) until one is answered 200. A workitem another worker left locked is the one that can.
   */
  async drain(base: string | (() => string), round: number, caseIds: readonly string[]): Promise<void> {
    const at = () => (typeof base === 'string' ? base : base());
    for (const caseId of caseIds) {
      const listed = await this.#send(at(), 'GET', `/workitems?caseId=${caseId}&state=started`);
      if (listed?.status !== 200) continue;
      for (const workitem of (listed.body as { items: ListedWorkitem[] }).items) {
        const preexecuted = await this.#act(at(), round, caseId, workitem.id, 'preexecute');
        if (preexecuted === false) continue;
        if (await this.#act(at(), round, caseId, workitem.id, 'complete')) break;
      }
    }
  }

  /** One piece of work; false once the service is gone. */
  async #step(base: string, round: number): Promise<boolean> {
    const choices = [...this.#choiceCases.keys()];
    if (this.random() < 0.45 && choices.length > 0) {
      return this.#workOn(base, round, pickFrom(this.random, choices)!);
    }
    return this.#createCase(base, round);
  }

  async #createCase(base: string, round: number): Promise<boolean> {
    const total = this.mix.reduce((sum, m) => sum + m.weight, 0);
    let pick = this.random() * total;
    const { workflowId } = this.mix.find((m) => (pick -= m.weight) < 0) ?? this.mix[0]!;
    const caseId = `r${round}-${workflowId}-${this.#next++}`;
    const answer = await this.#send(base, 'POST', '/cases', { workflowId, id: caseId, data: { round } });
    if (answer === undefined) {
      this.unansweredCreations.add(caseId);
      return false;
    }
    if (answer.status !== 201) {
      this.#unexpected('POST /cases', caseId, answer);
      return true;
    }
    this.createdCases.set(caseId, { round, workflowId });
    if (workflowId === this.choiceWorkflowId)
      this.#choiceCases.set(caseId, { waitFor: String((answer.body as { position: string }).position) });
    return true;
  }

  /**
   * Picks one started workitem of the case and, at random: preexecutes then completes it, completes it
   * without a preexecute, abandons it, preexecutes then abandons it, or preexecutes it and leaves it
   * locked for later.
   */
  async #workOn(base: string, round: number, caseId: string): Promise<boolean> {
    const waitFor = this.#choiceCases.get(caseId)?.waitFor;
    const wait = waitFor === undefined ? '' : `&waitFor=${waitFor}`;
    const listed = await this.#send(base, 'GET', `/workitems?caseId=${caseId}&state=started${wait}`);
    if (listed === undefined) return false;
    if (listed.status !== 200) {
      this.#unexpected('GET /workitems', caseId, listed);
      return true;
    }
    const items = (listed.body as { items: ListedWorkitem[] }).items.filter((w) => !this.#busy.has(w.id));
    const workitem = pickFrom(this.random, items);
    if (!workitem) return true;
    this.#busy.add(workitem.id);
    try {
      const plan = this.random();
      const steps: ('preexecute' | 'complete' | 'abandon')[] =
        plan < 0.35
          ? ['preexecute', 'complete']
          : plan < 0.6
            ? ['complete']
            : plan < 0.75
              ? ['abandon']
              : plan < 0.87
                ? ['preexecute', 'abandon']
                : ['preexecute'];
      for (const step of steps) {
        const outcome = await this.#act(base, round, caseId, workitem.id, step);
        if (outcome === undefined) return false;
        if (!outcome) break;
      }
      return true;
    } finally {
      this.#busy.delete(workitem.id);
    }
  }

  /** One workitem command: true when answered 2xx, false when refused, undefined when unanswered. */
  async #act(
    base: string,
    round: number,
    caseId: string,
    workitemId: string,
    step: 'preexecute' | 'complete' | 'abandon',
  ): Promise<boolean | undefined> {
    const path = `/workitems/${workitemId}/${step}`;
    const answer = await this.#send(base, 'POST', path, step === 'complete' ? { output: { round } } : {});
    if (answer === undefined) return undefined;
    if (answer.status === 200) {
      const action = step === 'preexecute' ? 'preexecuted' : step === 'complete' ? 'completed' : 'abandoned';
      this.acknowledgements.push({ round, caseId, workitemId, action });
      const tracked = this.#choiceCases.get(caseId);
      if (tracked) tracked.waitFor = String((answer.body as { position: string }).position);
      if (action === 'completed') {
        const earlier = this.#completedChoice.get(caseId);
        if (earlier !== undefined && earlier !== workitemId)
          this.unexpected.push(`case ${caseId}: both ${earlier} and ${workitemId} were answered completed`);
        this.#completedChoice.set(caseId, workitemId);
        this.#choiceCases.delete(caseId);
      }
      return true;
    }
    const code = (answer.body as { code?: string } | undefined)?.code;
    if (answer.status === 409 && code !== undefined && CONTENDED.has(code)) {
      this.contended.set(code, (this.contended.get(code) ?? 0) + 1);
      return false;
    }
    this.#unexpected(`POST ${path}`, caseId, answer);
    return false;
  }

  #unexpected(request: string, caseId: string, answer: Answer): void {
    this.unexpected.push(
      `case ${caseId}: ${request} answered ${answer.status} ${JSON.stringify(answer.body)}`,
    );
  }

  /**
   * A request's answer, or undefined when the connection died with the service (or the store was
   * unavailable, while that is expected).
   */
  async #send(base: string, method: string, path: string, body?: unknown): Promise<Answer | undefined> {
    this.#inFlight++;
    try {
      const answer = await call(base, method, path, body);
      if (
        this.unavailableExpected &&
        answer.status === 503 &&
        (answer.body as { code?: string } | undefined)?.code === 'store_unavailable'
      ) {
        this.unavailable++;
        return undefined;
      }
      return answer;
    } catch {
      this.cutOff++;
      return undefined;
    } finally {
      this.#inFlight--;
    }
  }
}
