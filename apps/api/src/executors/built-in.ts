import type { ExecutionRequest, ExecutionResult, Executor, JsonValue, Timing } from '@wfnet/domain';
import { AddressGuard } from './address-guard.js';
import { AddressRefusedError, guardedFetch } from './webhook-transport.js';
import type { WebhookFetch } from './webhook-transport.js';

const completeWithOutput = ({ params }: ExecutionRequest): ExecutionResult => ({
  status: 'completed',
  output: params['output'] ?? null,
});

/**
 * Locks the tokens and completes with `executorParams.output` (null by default): through the dispatcher,
 * so the case answers `active` at first, or with `executorParams.immediate: true` in the command that
 * created the workitem (a net of such steps finishes in its `POST /cases`).
 */
export const autoExecutor: Executor = {
  execute: completeWithOutput,
  immediate: (request) => (request.params['immediate'] === true ? completeWithOutput(request) : undefined),
};

const leaveStarted = (): ExecutionResult => ({ status: 'started' });

/** Leaves the workitem started (from the command that created it) until someone completes or abandons it through the API. */
export const manualExecutor: Executor = { execute: leaveStarted, immediate: leaveStarted };

/**
 * The `timer` executor (`TIMER_EXECUTOR`): `executorParams.after`, an ISO 8601 duration from the workitem's
 * creation, or `at`, a CEL expression giving a timestamp. The case decider schedules its timer when it
 * creates the workitem and completes it with `{firedAt}` when the timer fires; nothing runs it.
 */
export function timerExecutor(timing: Timing): Executor {
  return {
    paramsProblems: (params) => {
      const { after, at } = params;
      if (after === undefined && at === undefined) {
        return [
          {
            path: 'after',
            message:
              'a timer needs after (an ISO 8601 duration such as PT48H) or at (a CEL expression giving a timestamp)',
          },
        ];
      }
      if (after !== undefined && at !== undefined) {
        return [{ path: 'at', message: 'a timer takes after or at, not both' }];
      }
      const path = after !== undefined ? 'after' : 'at';
      const problem =
        after !== undefined
          ? timing.checkDuration(after as string)
          : typeof at === 'string'
            ? timing.checkTimestamp(at)
            : 'must be a CEL expression giving a timestamp';
      return problem === undefined ? [] : [{ path, message: `${path}: ${problem}` }];
    },
    // The dispatcher skips timer workitems; should one reach an executor anyway, it fails for good rather
    // than complete or wait unseen.
    execute: () => ({
      status: 'failed',
      error: {
        type: 'timer_not_dispatched',
        message: 'a timer workitem completes when its timer fires: it is never dispatched to an executor',
        retryable: false,
      },
    }),
  };
}

/** The longest timer Node keeps (2^31 - 1 ms, about 24.8 days): a longer one fires after 1 ms. */
export const MAX_WEBHOOK_TIMEOUT_MS = 2 ** 31 - 1;

export class WebhookError extends Error {
  override readonly name = 'WebhookError';
}

export interface WebhookOptions {
  readonly defaultTimeoutMs: number;
  /** Largest response body read, in bytes. */
  readonly maxResponseBytes: number;
  /** The HTTP client; by default one that connects only to addresses outside the refused ranges. */
  readonly fetch?: WebhookFetch;
  /** Host names a webhook may call: `host` exactly or `*.domain` for its subdomains; absent: any host. */
  readonly allowHosts?: readonly string[];
  /**
   * Networks (`address/prefix`) a webhook may reach although they are loopback, private, link-local,
   * unique-local, unspecified or multicast; by default none.
   */
  readonly allowNetworks?: readonly string[];
}

/** Whether `hostname` is one `allowHosts` names (`*.example.com` covers subdomains, not example.com). */
export function hostAllowed(hostname: string, allowHosts: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return allowHosts.some((pattern) => {
    const wanted = pattern.toLowerCase();
    return wanted.startsWith('*.') ? host.endsWith(wanted.slice(1)) : host === wanted;
  });
}

function resultOf(body: unknown): ExecutionResult {
  if (typeof body !== 'object' || body === null)
    throw new WebhookError('the webhook answered something other than a JSON object');
  const { status, output } = body as { status?: unknown; output?: unknown };
  if (status === 'completed') return { status, output: (output ?? null) as JsonValue };
  if (status === 'started' || status === 'abandoned') return { status };
  throw new WebhookError(
    `the webhook answered status ${JSON.stringify(status)}, not completed, started or abandoned`,
  );
}

/**
 * POSTs the workitem and its tokens' payloads to `executorParams.url`. A network error, a timeout or a
 * non-2xx answer throws, so the dispatcher retries with backoff while the workitem stays `created`.
 */
export function webhookExecutor({
  defaultTimeoutMs,
  maxResponseBytes,
  fetch: givenFetch,
  allowHosts,
  allowNetworks = [],
}: WebhookOptions): Executor {
  const fetchFn = givenFetch ?? guardedFetch(new AddressGuard(allowNetworks));
  return {
    paramsProblems: (params) => {
      const timeoutMs = params['timeoutMs'];
      if (
        timeoutMs === undefined ||
        (typeof timeoutMs === 'number' &&
          Number.isInteger(timeoutMs) &&
          timeoutMs >= 1 &&
          timeoutMs <= MAX_WEBHOOK_TIMEOUT_MS)
      ) {
        return [];
      }
      return [
        {
          path: 'timeoutMs',
          message: `timeoutMs must be a whole number of milliseconds from 1 to ${MAX_WEBHOOK_TIMEOUT_MS}, got ${JSON.stringify(timeoutMs).slice(0, 40)}`,
        },
      ];
    },
    async execute({ caseId, workitem, tokens, params }: ExecutionRequest): Promise<ExecutionResult> {
      const url = params['url'];
      if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
        throw new WebhookError('executorParams.url must be an http(s) URL');
      }
      // Checked at every call, not only when the net is defined: the allow-list may have been narrowed since.
      if (allowHosts && !hostAllowed(hostnameOf(url), allowHosts)) {
        throw new WebhookError(`the webhook's host is not in WFNET_WEBHOOK_ALLOW`);
      }
      // Nets stored before the bound was checked may carry a longer one.
      const timeoutMs =
        typeof params['timeoutMs'] === 'number' && params['timeoutMs'] > 0
          ? Math.min(params['timeoutMs'], MAX_WEBHOOK_TIMEOUT_MS)
          : defaultTimeoutMs;
      let text: string;
      try {
        const response = await fetchFn(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            caseId,
            workitem,
            tokens: tokens.map(({ id, placeId, payload }) => ({ id, placeId, payload })),
          }),
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) {
          await response.body?.cancel();
          throw new WebhookError(`the webhook answered HTTP ${response.status}`);
        }
        text = await readLimited(response, maxResponseBytes);
      } catch (error) {
        throw callFailure(error, timeoutMs);
      }
      try {
        return resultOf(JSON.parse(text));
      } catch (error) {
        if (error instanceof WebhookError) throw error;
        throw new WebhookError('the webhook answered a body that is not JSON');
      }
    },
  };
}

function hostnameOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    throw new WebhookError('executorParams.url is not a valid URL');
  }
}

/**
 * The reason a call failed, for the workitem's `lastError`: fetch hides it behind "fetch failed" (its
 * `cause` says e.g. "unexpected redirect" or "connect ECONNREFUSED"). The URL is left out: it may carry a secret.
 */
function callFailure(error: unknown, timeoutMs: number): WebhookError {
  if (error instanceof WebhookError) return error;
  if (error instanceof AddressRefusedError) return new WebhookError(error.message);
  const { name, message, cause } = (error ?? {}) as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'TimeoutError') return new WebhookError(`the webhook did not answer within ${timeoutMs} ms`);
  const reason = (cause as { message?: unknown } | undefined)?.message ?? message ?? error;
  return new WebhookError(`the call to the webhook failed: ${String(reason)}`);
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new WebhookError(`the webhook's answer is over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
