import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import type { ErrorBody, Reply } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { startService } from './http/harness.js';
import { approval, singleManual } from './http/nets.js';
import type { Case, HistoryEvent, Page, Workflow, Workitem } from './http/resources.js';
import { createCase, defineWorkflow, freshId, historyOf, workitemOf } from './http/resources.js';

jest.setTimeout(60_000);

/** Every error answer is the contract's error body, with the HTTP status as its `statusCode`. */
function expectErrorShape(reply: Reply<unknown>): void {
  const body = reply.body as Partial<ErrorBody> | string;
  expect(typeof body).toBe('object');
  const error = body as Partial<ErrorBody>;
  expect({ statusCode: error.statusCode, code: typeof error.code, message: typeof error.message }).toEqual({
    statusCode: reply.status,
    code: 'string',
    message: 'string',
  });
}

/** A request the property sends, kept printable so a counterexample can be replayed by hand. */
interface HostileRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: string | undefined;
}

/** The contract's routes, with `{id}` where an id goes (the SSE stream is left out: it stays open on a live case). */
const ROUTES: readonly string[] = [
  '/workflows',
  '/workflows/verify',
  '/workflows/{id}',
  '/workflows/{id}/discard',
  '/workflows/{id}/diagram.svg',
  '/cases',
  '/cases/{id}',
  '/cases/{id}/terminate',
  '/cases/{id}/tokens',
  '/cases/{id}/tasks',
  '/cases/{id}/workitems',
  '/cases/{id}/events',
  '/cases/{id}/diagram.svg',
  '/tasks/{id}',
  '/tasks/{id}/preexecute',
  '/tasks/{id}/abandon',
  '/workitems',
  '/workitems/{id}',
  '/workitems/{id}/preexecute',
  '/workitems/{id}/complete',
  '/workitems/{id}/abandon',
  '/health',
];

const FORBIDDEN_KEY = fc.constantFrom('__proto__', 'constructor', 'prototype');

/** Odd ids: path tricks, encoded NULs, spaces, unicode, over the 128-character limit. */
function idArbitrary(realIds: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...realIds),
    fc.constantFrom('..', '.', '%00', 'a%00b', '%2e%2e', '..%2F..%2Fetc', '%2F', ' ', '%20', '~', 'a:b:c'),
    fc.string({ minLength: 1, maxLength: 20 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }),
    fc.string({ minLength: 129, maxLength: 400 }),
    fc.constantFrom('a'.repeat(128), 'a'.repeat(129), 'x'.repeat(5000)),
    realIds.length > 0 ? fc.constantFrom(...realIds.map((id) => `${id}:task-99`)) : fc.constant('z'),
  );
}

function encodeId(id: string, raw: boolean): string {
  if (raw) return id;
  try {
    return encodeURIComponent(id);
  } catch {
    return id; // a lone surrogate: sent as is
  }
}

/** Query strings of the list endpoints, with odd values (never a large waitFor: that is a contract 503 after 5 s). */
const QUERY = fc.oneof(
  fc.constant(''),
  fc
    .tuple(
      fc.constantFrom(
        'limit',
        'after',
        'state',
        'workflowId',
        'caseId',
        'transitionId',
        'executor',
        'waitFor',
        'fromRevision',
        'atRevision',
        'x',
        '__proto__',
      ),
      fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.constantFrom('0', '-1', '501', '1e400', 'NaN', '0x10', '999999999999999999999999', '%00', ''),
      ),
    )
    .filter(([key, value]) => key !== 'waitFor' || !/^\d+$/.test(value) || Number(value) < 1)
    .map(([key, value]) => `?${encodeURIComponent(key)}=${encodeURIComponent(value)}`),
);

function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? { n: value } : [value];
  return value;
}

/** JSON values with hostile keys and numbers, deep-ish nesting, and shapes close to real bodies. */
function jsonBody(realIds: readonly string[]): fc.Arbitrary<unknown> {
  const hostileObject = fc
    .tuple(FORBIDDEN_KEY, fc.jsonValue({ maxDepth: 2 }))
    .map(
      ([key, value]) => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value ?? null)}}`) as unknown,
    );
  const data = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    hostileObject,
    fc.integer({ min: 1, max: 70 }).map((depth) => nested(depth, 1)),
    fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -0, 1e308, Number.MIN_VALUE),
  );
  return fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc
      .anything({ maxDepth: 3, withNullPrototype: true })
      .map((v) => JSON.parse(JSON.stringify(v ?? null)) as unknown),
    hostileObject,
    fc.record(
      {
        workflowId: fc.oneof(
          fc.constantFrom('single-manual', 'approval', 'nope'),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        id: fc.oneof(idArbitrary(realIds), fc.jsonValue({ maxDepth: 1 })),
        data,
      },
      { requiredKeys: [] },
    ),
    fc.record({ output: data }, { requiredKeys: [] }),
    fc.record(
      {
        id: fc.string({ maxLength: 10 }),
        places: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant([{ id: 'start', type: 'start' }])),
        transitions: fc.jsonValue({ maxDepth: 2 }),
        arcs: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    ),
  );
}

/** Text that is not quite JSON, or not JSON at all. */
const MALFORMED = fc.oneof(
  fc.constantFrom(
    '{',
    '{"workflowId": "single-manual",',
    '{"a": 1e400}',
    '{"data": {"n": -1e400}}',
    '[1, 2,,]',
    "{'a': 1}",
    'null',
    '"just a string"',
    '123',
    'true',
    '\u0000',
    '{"a": "\\ud800"}',
    '{"__proto__": {"polluted": true}}',
    '{"constructor": {"prototype": {"polluted": true}}}',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><pnml><net id="x">&c;</net></pnml>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><pnml><net id="&e;"/></pnml>',
    '<pnml><net',
    'workflowId=single-manual&id=x',
    '--boundary\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--boundary--',
  ),
  fc.string({ maxLength: 60 }),
  fc.integer({ min: 60, max: 2000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
);

const CONTENT_TYPE = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'text/plain',
  'application/xml',
  'text/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=boundary',
  'application/octet-stream',
  'application/merge-patch+json',
  'nonsense',
  undefined,
);

function requestArbitrary(realIds: readonly string[]): fc.Arbitrary<HostileRequest> {
  const path = fc
    .tuple(fc.constantFrom(...ROUTES), idArbitrary(realIds), fc.boolean(), QUERY)
    .map(([route, id, raw, query]) => route.replace('{id}', encodeId(id, raw)) + query);
  const body = fc.oneof(
    fc.constant(undefined),
    jsonBody(realIds).map((value) => JSON.stringify(value)),
    MALFORMED,
  );
  return fc.record({
    method: fc.constantFrom('GET' as const, 'POST' as const, 'POST' as const),
    path,
    contentType: CONTENT_TYPE,
    body,
  });
}

async function send(service: Service, request: HostileRequest): Promise<Reply<unknown>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  // fetch sends no body with GET; the body goes only with POST.
  const withBody = request.method === 'POST' && request.body !== undefined;
  const response = await fetch(`${service.url}${request.path}`, {
    method: request.method,
    headers,
    ...(withBody && { body: request.body }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // SVG, HTML, metrics text.
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

/** What the property must never change by a refused command: a case it does not own, and the workflow list. */
interface Witness {
  readonly history: string;
  readonly workflows: string;
}

async function witness(service: Service, sentinelCaseId: string, waitFor?: string): Promise<Witness> {
  const history: readonly HistoryEvent[] = await historyOf(service.api, sentinelCaseId);
  const query = waitFor === undefined ? '' : `&waitFor=${waitFor}`;
  const workflows = await service.api.get<Page<Workflow>>(`/workflows?limit=500${query}`);
  expect(workflows.status).toBe(200);
  return { history: JSON.stringify(history), workflows: JSON.stringify(workflows.body.items) };
}

function describeHostileRequests(store: StoreKind, numRuns: number): void {
  describe(`random hostile requests on the ${store} store`, () => {
    let service: Service;
    let sentinel: Case;
    const realIds: string[] = [];

    beforeAll(async () => {
      service = await startService(store);
      await defineWorkflow(service.api, singleManual());
      await defineWorkflow(service.api, approval());
      sentinel = await createCase(service.api, 'single-manual');
      await workitemOf(service.api, sentinel.id, 'review');
      // Things the property may act on by their real ids: its own cases, their tasks and workitems.
      for (const workflowId of ['single-manual', 'approval']) {
        const owned = await createCase(service.api, workflowId);
        const workitem = await workitemOf(
          service.api,
          owned.id,
          workflowId === 'approval' ? 'approve' : 'review',
        );
        realIds.push(owned.id, workitem.id, workitem.taskId, workflowId);
      }
    });

    afterAll(() => service.stop());

    it('never answers 5xx, answers errors in the contract shape, and a refused command changes nothing', async () => {
      let sent = 0;
      let refusedCommands = 0;
      let lastPosition: string | undefined;
      await fc.assert(
        fc.asyncProperty(requestArbitrary(realIds), async (request) => {
          const before =
            request.method === 'POST' ? await witness(service, sentinel.id, lastPosition) : undefined;
          const reply = await send(service, request);
          sent += 1;
          expect(reply.status).toBeLessThan(500);
          if (reply.status >= 400) expectErrorShape(reply);
          const position = (reply.body as { position?: unknown } | null)?.position;
          if (reply.status < 300 && typeof position === 'string') lastPosition = position;
          if (before !== undefined && reply.status >= 400) {
            refusedCommands += 1;
            expect(await witness(service, sentinel.id, lastPosition)).toEqual(before);
          }
        }),
        { numRuns, seed: Number(process.env['FC_SEED'] ?? Date.now() % 2 ** 31) },
      );
      expect(sent).toBe(numRuns);
      expect(refusedCommands).toBeGreaterThan(0);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });
  });
}

describeHostileRequests('memory', 250);
describeHostileRequests('sqlite', 80);

describe('hostile bodies, one by one', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory');
    await defineWorkflow(service.api, singleManual());
  });

  afterAll(() => service.stop());

  async function expectRefusedCase(rawBody: string, contentType = 'application/json'): Promise<void> {
    const id = freshId('hostile');
    const reply = await service.api.post('/cases', undefined, {
      rawBody: rawBody.replace('$ID', id),
      headers: { 'content-type': contentType },
    });
    expect(reply.status).toBe(400);
    expectErrorShape(reply);
    expect((await service.api.get(`/cases/${id}`)).status).toBe(404);
    expect((await service.api.get(`/cases/${id}/events`)).status).toBe(404);
  }

  it.each([
    ['an unfinished object', '{"workflowId": "single-manual", "id": "$ID"'],
    ['single quotes', "{'workflowId': 'single-manual', 'id': '$ID'}"],
    ['a trailing comma', '{"workflowId": "single-manual", "id": "$ID",}'],
  ])('refuses malformed JSON (%s) with 400 and stores nothing', async (_what, rawBody) => {
    await expectRefusedCase(rawBody);
  });

  it('refuses a number beyond a double (1e400) in case data and stores nothing', async () => {
    await expectRefusedCase('{"workflowId": "single-manual", "id": "$ID", "data": {"n": 1e400}}');
  });

  it('refuses __proto__ in case data with 400 and stores nothing', async () => {
    await expectRefusedCase(
      '{"workflowId": "single-manual", "id": "$ID", "data": {"__proto__": {"polluted": true}}}',
    );
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses __proto__ as case data itself with 400 and stores nothing', async () => {
    await expectRefusedCase('{"workflowId": "single-manual", "id": "$ID", "__proto__": {"polluted": true}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['__proto__', '{"output": {"__proto__": {"polluted": true}}}'],
    ['constructor.prototype', '{"output": {"constructor": {"prototype": {"polluted": true}}}}'],
    ['a number beyond a double', '{"output": {"n": 1e400}}'],
  ])('refuses %s in a workitem output with 400 and the workitem stays started', async (_what, rawBody) => {
    const created = await createCase(service.api, 'single-manual');
    const workitem = await workitemOf(service.api, created.id, 'review');
    const historyBefore = await historyOf(service.api, created.id);
    const reply = await service.api.post(`/workitems/${workitem.id}/complete`, undefined, { rawBody });
    expect(reply.status).toBe(400);
    expectErrorShape(reply);
    expect(await historyOf(service.api, created.id)).toEqual(historyBefore);
    const after = await service.api.get<Workitem>(`/workitems/${workitem.id}`);
    expect(after.body.state).toBe('started');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
