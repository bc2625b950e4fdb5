import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call as the webhook saw it. */
export interface WebhookCall {
  /** When it arrived (ms since the epoch). */
  readonly arrived: number;
  /** The attempt the engine said it was making (the body's `attempt`). */
  readonly attempt: number;
  /** When it ended: answered, or its connection closed before the answer (ms since the epoch). */
  ended: number | undefined;
  /** What it was answered; `cut` when its caller went away first (a killed process, a timed-out attempt). */
  outcome: 'failed' | 'completed' | 'cut' | undefined;
}

export interface FlakyWebhookOptions {
  /**
   * How long each answer waits, so that two callers of one workitem at once would overlap: the webhook
   * answers at once when not given.
   */
  readonly answerDelayMs?: () => number;
}

/**
 * A webhook that answers HTTP 500 to the first `failuresFor(workitemId)` calls for each workitem, then
 * completes it with `{hooked: workitemId}`; on `/held` it fails for as long as `holding` is set. It
 * counts the calls that came for a workitem while another call for it was still open.
 */
export class FlakyWebhook {
  /** Calls received per workitem, failed or not. */
  readonly calls = new Map<string, number>();
  /** Each call for a workitem, in order of arrival. */
  readonly callLog = new Map<string, WebhookCall[]>();
  /** Completions answered per workitem. */
  readonly completions = new Map<string, number>();
  /** Each workitem with a call that arrived while another call for it was open, and how often. */
  readonly overlaps = new Map<string, number>();
  holding = true;
  url = '';
  heldUrl = '';
  readonly #failures = new Map<string, number>();
  readonly #open = new Map<string, number>();
  readonly #answerDelayMs: (() => number) | undefined;
  readonly #server: Server = createServer((request, response) => {
    const arrived = Date.now();
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const { workitem, attempt } = JSON.parse(body) as { workitem: { id: string }; attempt: number };
      const id = workitem.id;
      const count = (this.calls.get(id) ?? 0) + 1;
      this.calls.set(id, count);
      const call: WebhookCall = { arrived, attempt, ended: undefined, outcome: undefined };
      this.callLog.set(id, [...(this.callLog.get(id) ?? []), call]);
      const open = this.#open.get(id) ?? 0;
      if (open > 0) this.overlaps.set(id, (this.overlaps.get(id) ?? 0) + 1);
      this.#open.set(id, open + 1);
      response.on('close', () => {
        this.#open.set(id, (this.#open.get(id) ?? 1) - 1);
        call.ended = Date.now();
        call.outcome ??= 'cut';
      });
      const fails = request.url === '/held' ? this.holding : count <= this.failuresFor(id);
      const answer = () => {
        if (call.outcome === 'cut' || response.destroyed) return;
        if (fails) {
          call.outcome = 'failed';
          response.writeHead(500).end();
          return;
        }
        call.outcome = 'completed';
        this.completions.set(id, (this.completions.get(id) ?? 0) + 1);
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'completed', output: { hooked: id } }));
      };
      const delay = this.#answerDelayMs?.() ?? 0;
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });

  /** `chooseFailures` is asked once per workitem, at its first call. */
  constructor(
    private readonly chooseFailures: (workitemId: string) => number = () => 2,
    options: FlakyWebhookOptions = {},
  ) {
    this.#answerDelayMs = options.answerDelayMs;
  }

  /** How many calls for this workitem fail before it completes. */
  failuresFor(workitemId: string): number {
    let failures = this.#failures.get(workitemId);
    if (failures === undefined) {
      failures = this.chooseFailures(workitemId);
      this.#failures.set(workitemId, failures);
    }
    return failures;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    this.url = `${base}/hook`;
    this.heldUrl = `${base}/held`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
