import type {
  ExecutionError,
  ExecutionRequest,
  ExecutionResult,
  Executor,
  JsonValue,
  Timing,
} from '@wfnet/domain';
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
  const { status, output, error } = body as { status?: unknown; output?: unknown; error?: unknown };
  if (status === 'completed') return { status, output: (output ?? null) as JsonValue };
  if (status === 'started' || status === 'abandoned') return { status };
  if (status === 'failed') return { status, error: reportedError(error) };
  throw new WebhookError(
    `the webhook answered status ${JSON.stringify(status)}, not completed, started, abandoned or failed`,
  );
}

/** The error a webhook reports: `type` and `message` strings, `retryable` true unless it says false. */
function reportedError(error: unknown): ExecutionError {
  const { type, message, retryable } = (typeof error === 'object' && error !== null ? error : {}) as {
    type?: unknown;
    message?: unknown;
    retryable?: unknown;
  };
  if (typeof type !== 'string' || type === '' || (message !== undefined && typeof message !== 'string')) {
    throw new WebhookError(
      'the webhook answered failed without an error {"type": string, "message": string}',
    );
  }
  if (retryable !== undefined && typeof retryable !== 'boolean') {
    throw new WebhookError('the webhook answered failed with an error whose retryable is not a boolean');
  }
  return { type: type.slice(0, 200), message: (message ?? '').slice(0, 2000), retryable: retryable ?? true };
}

const failed = (type: string, message: string, retryable = true): ExecutionResult => ({
  status: 'failed',
  error: { type, message, retryable },
});

/** A 4xx is the request's fault and is not retried, except 408 (timeout) and 429 (too many requests). */
const RETRYABLE_4XX = new Set([408, 429]);

/**
 * POSTs the workitem and its tokens' payloads to `executorParams.url`. A failure of the call is a failed
 * attempt the transition's retry policy handles: `network` (refused, unresolved, reset), `timeout`,
 * `http_5xx`, `http_4xx` (not retryable but for 408 and 429), or the error of a `failed` answer. An
 * answer that cannot be read, or a call the configuration forbids, throws (type `error`).
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
    async execute({ caseId, workitem, tokens, params, attempt }: ExecutionRequest): Promise<ExecutionResult> {
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
            attempt,
          }),
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) {
          await response.body?.cancel();
          const { status } = response;
          const message = `the webhook answered HTTP ${status}`;
          if (status >= 500) return failed('http_5xx', message);
          if (status >= 400) return failed('http_4xx', message, RETRYABLE_4XX.has(status));
          throw new WebhookError(message);
        }
        text = await readLimited(response, maxResponseBytes);
      } catch (error) {
        return callFailure(error, timeoutMs);
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

/** Error codes of a call that never got an answer through the network: the service may be back later. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * A failed call as a failed attempt, its message saying why: fetch hides the reason behind "fetch failed"
 * (its `cause` says e.g. "connect ECONNREFUSED"). The URL is left out: it may carry a secret. A refused
 * address, a redirect or an over-long answer is the configuration's or the webhook's fault: it throws.
 */
function callFailure(error: unknown, timeoutMs: number): ExecutionResult {
  if (error instanceof WebhookError) throw error;
  if (error instanceof AddressRefusedError) throw new WebhookError(error.message);
  const { name, message, code, cause } = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: { message?: unknown; code?: unknown };
  };
  if (name === 'TimeoutError') return failed('timeout', `the webhook did not answer within ${timeoutMs} ms`);
  const reason = String(cause?.message ?? message ?? error);
  const givenCode = cause?.code ?? code;
  const errorCode = typeof givenCode === 'string' ? givenCode : (/\bE[A-Z_]+\b/.exec(reason)?.[0] ?? '');
  if (NETWORK_CODES.has(errorCode) || reason === 'socket hang up') {
    return failed('network', `the call to the webhook failed: ${reason}`);
  }
  throw new WebhookError(`the call to the webhook failed: ${reason}`);
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
