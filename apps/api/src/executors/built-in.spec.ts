import { describe, expect, it } from '@jest/globals';
import type { ExecutionRequest, JsonValue } from '@wfnet/domain';
import { ServiceTiming } from '../clock/timing.js';
import { autoExecutor, manualExecutor, timerExecutor, webhookExecutor } from './built-in.js';

const request = (params: Record<string, JsonValue> = {}): ExecutionRequest => ({
  caseId: 'c1',
  workitem: {
    id: 'c1:workitem-1',
    taskId: 'c1:task-1',
    transitionId: 'call',
    executor: 'webhook',
    state: 'created',
    output: null,
  },
  tokens: [
    {
      id: 'c1:token-1',
      placeId: 'start',
      state: 'free',
      payload: { order: 7 },
      producedByTaskId: 'genesis',
      lockedByTaskId: null,
      consumedByTaskId: null,
    },
  ],
  params,
  attempt: 2,
});

/** A webhook executor whose fetch answers `answer` in-process and records what it was asked. */
function webhookAnswering(
  answer: () => Response | Promise<Response>,
  maxResponseBytes = 1024,
  allowHosts?: readonly string[],
) {
  const calls: { url: string; init: RequestInit }[] = [];
  const executor = webhookExecutor({
    defaultTimeoutMs: 1000,
    maxResponseBytes,
    ...(allowHosts && { allowHosts }),
    fetch: async (url, init) => {
      calls.push({ url: url, init: init ?? {} });
      return answer();
    },
  });
  return { executor, calls };
}

const jsonResponse = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('the auto executor', () => {
  it('completes at once with executorParams.output, or null without one', async () => {
    expect(await autoExecutor.execute(request({ output: { ok: true } }))).toEqual({
      status: 'completed',
      output: { ok: true },
    });
    expect(await autoExecutor.execute(request())).toEqual({ status: 'completed', output: null });
  });
});

describe('immediate answers, recorded in the command that creates the workitem', () => {
  it('auto answers at once only with executorParams.immediate: true', () => {
    expect(autoExecutor.immediate?.(request({ immediate: true, output: 'done' }))).toEqual({
      status: 'completed',
      output: 'done',
    });
    expect(autoExecutor.immediate?.(request({ output: 'done' }))).toBeUndefined();
    expect(autoExecutor.immediate?.(request({ immediate: 'yes' }))).toBeUndefined();
  });

  it('manual is always started at once; the webhook has no immediate answer', () => {
    expect(manualExecutor.immediate?.(request())).toEqual({ status: 'started' });
    expect(webhookExecutor({ defaultTimeoutMs: 1, maxResponseBytes: 1 }).immediate).toBeUndefined();
  });
});

describe('the manual executor', () => {
  it('leaves the workitem started', async () => {
    expect(await manualExecutor.execute(request())).toEqual({ status: 'started' });
  });
});

describe('the timer executor', () => {
  const timer = timerExecutor(new ServiceTiming());
  const problems = (params: Record<string, JsonValue>) => timer.paramsProblems?.(params);

  it.each<Record<string, JsonValue>>([
    { after: 'PT48H' },
    { after: 'P30D' },
    { at: 'timestamp(case.due)' },
    { at: 'now + duration("48h")' },
  ])('takes %j', (params) => {
    expect(problems(params)).toEqual([]);
  });

  it.each<[Record<string, JsonValue>, string, RegExp]>([
    [{}, 'after', /needs after .* or at/],
    [{ after: 'PT1H', at: 'now' }, 'at', /after or at, not both/],
    [{ after: '48 hours' }, 'after', /^after: "48 hours" is not an ISO 8601 duration/],
    [{ after: '-PT1H' }, 'after', /not an ISO 8601 duration/],
    [{ after: 'P200Y' }, 'after', /longer than 100 years/],
    [{ after: 3600 }, 'after', /must be an ISO 8601 duration/],
    [{ at: 'case.amount > 3' }, 'at', /^at: the expression gives bool, not a timestamp/],
    [{ at: 'output.due' }, 'at', /Unknown variable: output/],
    [{ at: 5 }, 'at', /must be a CEL expression giving a timestamp/],
  ])('refuses %j at %s', (params, path, message) => {
    expect(problems(params)).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it('fails for good if it is ever asked to run, for the case decider alone completes its workitems', async () => {
    expect(await timer.execute(request({ after: 'PT1H' }))).toEqual({
      status: 'failed',
      error: {
        type: 'timer_not_dispatched',
        message: expect.stringContaining('never dispatched'),
        retryable: false,
      },
    });
    expect(timer.immediate).toBeUndefined();
  });
});

describe('the webhook executor', () => {
  it('POSTs the case, the workitem and the tokens with their payloads as JSON, refusing redirects', async () => {
    const { executor, calls } = webhookAnswering(() => jsonResponse({ status: 'started' }));

    await executor.execute(request({ url: 'http://127.0.0.1:9/hook' }));

    expect(calls).toHaveLength(1);
    const [{ url, init }] = calls as [(typeof calls)[number]];
    expect(url).toBe('http://127.0.0.1:9/hook');
    expect(init).toMatchObject({
      method: 'POST',
      redirect: 'error',
      headers: { 'content-type': 'application/json' },
    });
    expect(init.signal).toBeInstanceOf(AbortSignal);
    expect(JSON.parse(init.body as string)).toEqual({
      caseId: 'c1',
      workitem: request().workitem,
      tokens: [{ id: 'c1:token-1', placeId: 'start', payload: { order: 7 } }],
      attempt: 2,
    });
  });

  it.each([
    [
      { status: 'completed', output: { sum: 3 } },
      { status: 'completed', output: { sum: 3 } },
    ],
    [{ status: 'completed' }, { status: 'completed', output: null }],
    [{ status: 'started', output: 'ignored' }, { status: 'started' }],
    [{ status: 'abandoned' }, { status: 'abandoned' }],
  ])('maps the answer %j to %j', async (answer, result) => {
    const { executor } = webhookAnswering(() => jsonResponse(answer));
    expect(await executor.execute(request({ url: 'http://127.0.0.1:9/hook' }))).toEqual(result);
  });

  it.each([
    [503, 'http_5xx', true],
    [500, 'http_5xx', true],
    [404, 'http_4xx', false],
    [400, 'http_4xx', false],
    [408, 'http_4xx', true],
    [429, 'http_4xx', true],
  ])('answers HTTP %d as a failed attempt of type %s, retryable: %s', async (status, type, retryable) => {
    const { executor } = webhookAnswering(() => jsonResponse({ status: 'completed' }, status));
    expect(await executor.execute(request({ url: 'http://127.0.0.1:9/hook' }))).toEqual({
      status: 'failed',
      error: { type, message: `the webhook answered HTTP ${status}`, retryable },
    });
  });

  it.each([
    [
      { status: 'failed', error: { type: 'card_declined', message: 'no funds', retryable: false } },
      { type: 'card_declined', message: 'no funds', retryable: false },
    ],
    [
      { status: 'failed', error: { type: 'busy', message: 'later' } },
      { type: 'busy', message: 'later', retryable: true },
    ],
  ])('answers the failure %j as the attempt’s error, retryable unless it says not', async (answer, error) => {
    const { executor } = webhookAnswering(() => jsonResponse(answer));
    expect(await executor.execute(request({ url: 'http://127.0.0.1:9/hook' }))).toEqual({
      status: 'failed',
      error,
    });
  });

  it.each([
    ['connect ECONNREFUSED 127.0.0.1:9', { code: 'ECONNREFUSED' }],
    ['getaddrinfo ENOTFOUND nowhere.invalid', { code: 'ENOTFOUND' }],
    ['socket hang up', { code: 'ECONNRESET' }],
    ['read ECONNRESET', {}],
  ])('answers a call that failed with "%s" as a retryable network failure', async (reason, fields) => {
    const { executor } = webhookAnswering(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error(reason), fields) });
    });
    expect(await executor.execute(request({ url: 'http://127.0.0.1:9/hook' }))).toEqual({
      status: 'failed',
      error: { type: 'network', message: `the call to the webhook failed: ${reason}`, retryable: true },
    });
  });

  it('answers a call that outlived its timeout as a retryable timeout', async () => {
    const { executor } = webhookAnswering(() => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    });
    expect(await executor.execute(request({ url: 'http://127.0.0.1:9/hook', timeoutMs: 25 }))).toEqual({
      status: 'failed',
      error: { type: 'timeout', message: 'the webhook did not answer within 25 ms', retryable: true },
    });
  });

  it.each([
    ['a body that is not JSON', () => new Response('<html>'), 'the webhook answered a body that is not JSON'],
    [
      'JSON that is no object',
      () => jsonResponse(42),
      'the webhook answered something other than a JSON object',
    ],
    [
      'an unknown status',
      () => jsonResponse({ status: 'done' }),
      'the webhook answered status "done", not completed, started, abandoned or failed',
    ],
    [
      'a failure without an error type',
      () => jsonResponse({ status: 'failed', error: { message: 'no type' } }),
      'the webhook answered failed without an error {"type": string, "message": string}',
    ],
    [
      'a body over the limit',
      () => jsonResponse({ status: 'completed', output: 'x'.repeat(2000) }),
      "the webhook's answer is over 1024 bytes",
    ],
  ])(
    'throws on %s, which the dispatcher reports as a failed attempt of type error',
    async (_, answer, message) => {
      const { executor } = webhookAnswering(answer);
      await expect(executor.execute(request({ url: 'http://127.0.0.1:9/hook' }))).rejects.toThrow(message);
    },
  );

  it('names the cause of a failed call instead of fetch’s "fetch failed"', async () => {
    const { executor } = webhookAnswering(() => {
      throw new TypeError('fetch failed', { cause: new Error('unexpected redirect') });
    });
    await expect(executor.execute(request({ url: 'http://127.0.0.1:9/hook' }))).rejects.toThrow(
      'the call to the webhook failed: unexpected redirect',
    );
  });

  it('refuses a url that is not http(s) without calling anything', async () => {
    const { executor, calls } = webhookAnswering(() => jsonResponse({ status: 'started' }));
    await expect(executor.execute(request({ url: 'file:///etc/passwd' }))).rejects.toThrow(
      'executorParams.url must be an http(s) URL',
    );
    await expect(executor.execute(request())).rejects.toThrow('executorParams.url must be an http(s) URL');
    expect(calls).toHaveLength(0);
  });

  it('calls only hosts of the allow-list when there is one, without calling anything else', async () => {
    const allow = ['hooks.example.com', '*.internal.example'];
    const { executor, calls } = webhookAnswering(() => jsonResponse({ status: 'started' }), 1024, allow);
    await expect(executor.execute(request({ url: 'http://HOOKS.example.com/x' }))).resolves.toEqual({
      status: 'started',
    });
    await expect(executor.execute(request({ url: 'https://a.b.internal.example/x' }))).resolves.toEqual({
      status: 'started',
    });
    for (const url of [
      'http://internal.example/',
      'http://evil.com/?hooks.example.com',
      'http://169.254.169.254/',
    ]) {
      await expect(executor.execute(request({ url }))).rejects.toThrow(
        "the webhook's host is not in WFNET_WEBHOOK_ALLOW",
      );
    }
    await expect(executor.execute(request({ url: 'http://[zz/' }))).rejects.toThrow('is not a valid URL');
    expect(calls.map((call) => call.url)).toEqual([
      'http://HOOKS.example.com/x',
      'https://a.b.internal.example/x',
    ]);
  });
});
