import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { joinTypes, splitTypes } from '@wfnet/domain';
import type { ErrorBody, Reply } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import { approval, sequential, singleManual } from './http/nets.js';
import type { Case, HistoryEvent, Page, Task, Token, Workflow, Workitem } from './http/resources.js';
import {
  POSITION,
  caseWhen,
  createCase,
  defineWorkflow,
  freshId,
  historyOf,
  workitemOf,
  workitemsWhen,
} from './http/resources.js';
import { until } from './http/poll.js';
import { openEventStream } from './http/sse.js';

jest.setTimeout(20_000);

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The target of a history page's `Link: <…>; rel="next"`, or undefined on the last page. */
function nextPageOf(reply: Reply<unknown>): string | undefined {
  return /<([^>]*)>;\s*rel="next"/.exec(reply.headers.get('link') ?? '')?.[1];
}

describe.each(STORE_KINDS)('reads over HTTP on the %s store', (store: StoreKind) => {
  let service: Service;

  beforeAll(async () => {
    service = await startService(store);
    for (const net of [approval(), sequential(), singleManual()]) await defineWorkflow(service.api, net);
  });

  afterAll(() => service.stop());

  describe('positions and read-your-writes', () => {
    it('puts a growing decimal position on every command response', async () => {
      const { api } = service;
      const positions: [string, number, string][] = [];
      const record = (what: string, reply: { status: number; body: unknown }): void => {
        positions.push([what, reply.status, (reply.body as { position: string }).position]);
      };

      const net = singleManual('positions');
      record('define', await api.post('/workflows', net));
      record('define again', await api.post('/workflows', net));
      record('case', await api.post('/cases', { workflowId: 'approval', id: freshId('pos') }));
      const created = await createCase(api, 'approval');
      const approve = await workitemOf(api, created.id, 'approve');
      const reject = await workitemOf(api, created.id, 'reject');
      record('task preexecute', await api.post(`/tasks/${approve.taskId}/preexecute`));
      record('workitem preexecute', await api.post(`/workitems/${approve.id}/preexecute`));
      record('abandon workitem', await api.post(`/workitems/${approve.id}/abandon`));
      const retry = await workitemOf(api, created.id, 'approve');
      record('force-abandon task', await api.post(`/tasks/${retry.taskId}/abandon`));
      record('complete', await api.post(`/workitems/${reject.id}/complete`, { output: 'no' }));
      const other = await createCase(api, 'approval');
      record('terminate', await api.post(`/cases/${other.id}/terminate`));
      record('discard', await api.post('/workflows/positions/discard'));

      for (const [what, status, position] of positions) {
        expect({ what, status, position: POSITION.test(position) }).toEqual({
          what,
          status: what === 'define' || what === 'case' ? 201 : 200,
          position: true,
        });
      }
      const [, , defined] = positions[0]!;
      const [, , definedAgain] = positions[1]!;
      expect(definedAgain).toBe(defined);
      const growing = positions.slice(1).map(([, , p]) => BigInt(p));
      expect(growing).toEqual([...growing].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    });

    it('answers reads with waitFor at once with the command’s effect', async () => {
      const { api } = service;
      const created = await api.post<Case>('/cases', { workflowId: 'single-manual', id: freshId('ryw') });
      const read = await api.get<Case>(`/cases/${created.body.id}?waitFor=${created.body.position}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id: created.body.id, workflowId: 'single-manual' });
      expect(BigInt(read.body.position)).toBeGreaterThanOrEqual(BigInt(0));

      const review = await workitemOf(api, created.body.id, 'review');
      const completed = await api.post<Workitem & { position: string }>(`/workitems/${review.id}/complete`, {
        output: 7,
      });
      const workitem = await api.get<Workitem>(`/workitems/${review.id}?waitFor=${completed.body.position}`);
      expect(workitem.body).toMatchObject({ state: 'completed', output: 7 });
      const listed = await api.get<Page<Workitem>>(
        `/workitems?caseId=${created.body.id}&waitFor=${completed.body.position}`,
      );
      expect(listed.body.items.map((w) => w.state)).toEqual(['completed']);
      const finished = await api.get<Case>(`/cases/${created.body.id}?waitFor=${completed.body.position}`);
      expect(finished.body.state).toBe('finished');
    });
  });

  describe('workflow representation', () => {
    it('answers the stored workflow with defaults filled, the same on create and on read', async () => {
      const { api } = service;
      const net = singleManual('defaults');
      const created = await api.post<Workflow>('/workflows', net);
      expect(created.status).toBe(201);
      expect(created.body).toEqual(
        expect.objectContaining({
          id: 'defaults',
          state: 'active',
          places: [
            { id: 'start', type: 'start' },
            { id: 'end', type: 'end' },
          ],
          transitions: [
            expect.objectContaining({
              id: 'review',
              executor: 'manual',
              executorParams: {},
              joinType: 'none',
              splitType: 'none',
            }),
          ],
          arcs: net.arcs,
          createdAt: expect.stringMatching(ISO_TIME),
          position: expect.stringMatching(POSITION),
        }),
      );
      const read = await api.get<Workflow>(`/workflows/defaults?waitFor=${created.body.position}`);
      expect(read.status).toBe(200);
      const { position: _, ...withoutPosition } = created.body;
      expect(read.body).toEqual(expect.objectContaining(withoutPosition));
    });

    it('makes a UUID for a workflow or a case posted without an id', async () => {
      const { api } = service;
      const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
      const { id: _, ...net } = singleManual();
      const workflow = await api.post<Workflow>('/workflows', net);
      expect(workflow.status).toBe(201);
      expect(workflow.body.id).toMatch(uuid);
      const created = await api.post<Case>('/cases', { workflowId: workflow.body.id });
      expect(created.status).toBe(201);
      expect(created.body.id).toMatch(uuid);
      const read = await api.get<Case>(`/cases/${created.body.id}?waitFor=${created.body.position}`);
      expect(read.body.workflowId).toBe(workflow.body.id);
    });
  });

  describe('case representation', () => {
    it('has the contract’s fields', async () => {
      const { api } = service;
      const created = await createCase(api, 'approval');
      const read = await caseWhen(api, created.id, (c) => c.marking['submitted'] === 1);
      expect(read).toEqual(
        expect.objectContaining({
          id: created.id,
          workflowId: 'approval',
          state: 'active',
          marking: { submitted: 1 },
          createdAt: expect.stringMatching(ISO_TIME),
          updatedAt: expect.stringMatching(ISO_TIME),
          position: expect.stringMatching(POSITION),
        }),
      );
    });
  });

  describe('GET /tasks/:id', () => {
    it('answers the task with its token table and workitem table', async () => {
      const { api } = service;
      const created = await createCase(api, 'approval');
      const approve = await workitemOf(api, created.id, 'approve');
      const locked = await api.post<{ tokens: Token[]; position: string }>(
        `/tasks/${approve.taskId}/preexecute`,
      );
      const task = await api.get<Task>(`/tasks/${approve.taskId}?waitFor=${locked.body.position}`);
      expect(task.status).toBe(200);
      expect(task.body).toEqual(
        expect.objectContaining({
          id: approve.taskId,
          caseId: created.id,
          transitionId: 'approve',
          state: 'executing',
          tokens: [{ tokenId: locked.body.tokens[0]!.id, placeId: 'submitted', state: 'locked' }],
          workitems: [{ workitemId: approve.id, state: 'started' }],
        }),
      );
    });
  });

  describe('lists', () => {
    let workflowId: string;
    let caseIds: string[];

    beforeAll(async () => {
      workflowId = (await defineWorkflow(service.api, singleManual('paging'))).id;
      caseIds = [];
      for (let i = 0; i < 5; i++) caseIds.push((await createCase(service.api, workflowId)).id);
      const last = await service.api.post<Case>(`/cases/${caseIds[4]}/terminate`);
      expect(last.status).toBe(200);
      await service.api.get(`/cases/${caseIds[4]}?waitFor=${last.body.position}`);
    });

    it('pages cases in creation order with limit, after and next', async () => {
      const { api } = service;
      const seen: string[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const query: string = next === null ? '' : `&after=${encodeURIComponent(next)}`;
        const page: { status: number; body: Page<Case> } = await api.get<Page<Case>>(
          `/cases?workflowId=${workflowId}&limit=2${query}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((c) => c.id));
        next = page.body.next;
        pages += 1;
      } while (next !== null && pages < 10);
      expect(seen).toEqual(caseIds);
      expect(pages).toBe(3);
    });

    it('answers next null when everything fits on the page', async () => {
      const page = await service.api.get<Page<Case>>(`/cases?workflowId=${workflowId}&limit=5`);
      expect(page.body.items).toHaveLength(5);
      expect(page.body.next).toBeNull();
    });

    it('filters cases by state', async () => {
      const terminated = await service.api.get<Page<Case>>(
        `/cases?workflowId=${workflowId}&state=terminated`,
      );
      expect(terminated.body.items.map((c) => c.id)).toEqual([caseIds[4]]);
      const active = await service.api.get<Page<Case>>(`/cases?workflowId=${workflowId}&state=active`);
      expect(active.body.items.map((c) => c.id)).toEqual(caseIds.slice(0, 4));
    });

    it('reads an empty filter as no filter, as in GET /cases?workflowId=&state=', async () => {
      const all = await service.api.get<Page<Case>>(`/cases?workflowId=${workflowId}&state=`);
      expect(all.status).toBe(200);
      expect(all.body.items.map((c) => c.id)).toEqual(caseIds);
    });

    it('pages workflows in creation order', async () => {
      const { api } = service;
      const all = await api.get<Page<Workflow>>('/workflows?limit=500');
      expect(all.status).toBe(200);
      const ids = all.body.items.map((w) => w.id);
      expect(ids.slice(0, 3)).toEqual(['approval', 'sequential', 'single-manual']);
      const first = await api.get<Page<Workflow>>('/workflows?limit=1');
      expect(first.body.items.map((w) => w.id)).toEqual(['approval']);
      expect(first.body.next).toEqual(expect.any(String));
      const second = await api.get<Page<Workflow>>(
        `/workflows?limit=1&after=${encodeURIComponent(first.body.next!)}`,
      );
      expect(second.body.items.map((w) => w.id)).toEqual(['sequential']);
    });

    it('filters workitems by case, state, transition and executor', async () => {
      const { api } = service;
      const created = await createCase(api, 'approval');
      const approve = await workitemOf(api, created.id, 'approve');
      await workitemOf(api, created.id, 'reject');
      expect((await api.post(`/workitems/${approve.id}/abandon`)).status).toBe(200);
      // The retry's workitem is started by the dispatcher after the abandon's answer.
      await workitemsWhen(api, created.id, (items) => items.length === 4 && items[3]!.state === 'started');
      const list = async (query: string): Promise<[string, string][]> => {
        const reply = await api.get<Page<Workitem>>(`/workitems?caseId=${created.id}&${query}`);
        expect(reply.status).toBe(200);
        return reply.body.items.map((w) => [w.transitionId, w.state]);
      };
      expect(await list('limit=100')).toEqual([
        ['submit', 'completed'],
        ['approve', 'abandoned'],
        ['reject', 'started'],
        ['approve', 'started'],
      ]);
      expect(await list('state=started')).toEqual([
        ['reject', 'started'],
        ['approve', 'started'],
      ]);
      expect(await list('transitionId=approve')).toEqual([
        ['approve', 'abandoned'],
        ['approve', 'started'],
      ]);
      expect(await list('executor=auto')).toEqual([['submit', 'completed']]);
      expect(await list('executor=manual&state=abandoned')).toEqual([['approve', 'abandoned']]);
      const viaCase = await api.get<Page<Workitem>>(`/cases/${created.id}/workitems?state=started`);
      expect(viaCase.body.items.map((w) => w.transitionId)).toEqual(['reject', 'approve']);
    });

    it('pages workitems across cases', async () => {
      const { api } = service;
      const first = await api.get<Page<Workitem>>('/workitems?limit=1');
      expect(first.body.items).toHaveLength(1);
      const second = await api.get<Page<Workitem>>(
        `/workitems?limit=1&after=${encodeURIComponent(first.body.next!)}`,
      );
      expect(second.body.items).toHaveLength(1);
      expect(second.body.items[0]!.id).not.toBe(first.body.items[0]!.id);
    });

    it.each(['/cases', '/workflows', '/workitems'])(
      'refuses limit 0 and 501 on %s, and takes 1 and 500',
      async (path) => {
        for (const limit of ['0', '501', '-1', 'ten']) {
          const reply = await service.api.get<ErrorBody>(`${path}?limit=${limit}`);
          expect({ limit, status: reply.status, code: reply.body.code }).toEqual({
            limit,
            status: 400,
            code: 'validation_failed',
          });
        }
        expect((await service.api.get(`${path}?limit=1`)).status).toBe(200);
        expect((await service.api.get(`${path}?limit=500`)).status).toBe(200);
      },
    );

    it('answers 100 items when no limit is given', async () => {
      const { api } = service;
      for (let i = 0; i < 100; i++) {
        expect((await api.post('/workflows', singleManual(`bulk-${i}`))).status).toBe(201);
      }
      const last = await api.post<Workflow>('/workflows', singleManual('bulk-100'));
      const page = await api.get<Page<Workflow>>(`/workflows?waitFor=${last.body.position}`);
      expect(page.body.items).toHaveLength(100);
      expect(page.body.next).toEqual(expect.any(String));
    });

    it('refuses a cursor that is not one', async () => {
      const reply = await service.api.get<ErrorBody>('/cases?after=garbage');
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('validation_failed');
    });
  });

  describe('case history', () => {
    it('lists the events oldest first with revision, position, type, data and recordedAt', async () => {
      const { api } = service;
      const created = await createCase(api, 'sequential', { n: 1 });
      await caseWhen(api, created.id, (c) => c.state === 'finished');
      const history = await historyOf(api, created.id);
      expect(history.map((e) => e.revision)).toEqual(history.map((_, i) => String(i)));
      const positions = history.map((e) => BigInt(e.position));
      for (let i = 1; i < positions.length; i++) expect(positions[i]! > positions[i - 1]!).toBe(true);
      for (const event of history) {
        expect(event).toEqual({
          revision: expect.stringMatching(POSITION),
          position: expect.stringMatching(POSITION),
          type: expect.any(String),
          data: expect.objectContaining({ caseId: created.id }),
          recordedAt: expect.stringMatching(ISO_TIME),
        });
      }
      expect(history[0]).toMatchObject({
        type: 'CaseCreated',
        data: { workflowId: 'sequential', data: { n: 1 } },
      });
      expect(history.map((e) => e.type)).toEqual(
        expect.arrayContaining([
          'TokensIssued',
          'TaskStarted',
          'WorkitemCreated',
          'TokensLocked',
          'TaskCompleted',
        ]),
      );
      expect(history[history.length - 1]!.type).toBe('CaseFinished');

      const tail = await api.get<HistoryEvent[]>(`/cases/${created.id}/events?fromRevision=3`);
      expect(tail.status).toBe(200);
      expect(tail.body).toEqual(history.slice(3));
      const past = await api.get<HistoryEvent[]>(
        `/cases/${created.id}/events?fromRevision=${history.length}`,
      );
      expect(past.body).toEqual([]);
    });

    it('links the next page of a history longer than a page, until the last page', async () => {
      const { api } = service;
      const created = await createCase(api, 'single-manual');
      // Each abandon starts a new task and workitem for the token: six events, and the dispatcher's start.
      const abandons = 180;
      for (let n = 1; n <= abandons; n++) {
        expect((await api.post(`/workitems/${created.id}:workitem-${n}/abandon`)).status).toBe(200);
      }
      await until(
        () => api.get<Workitem>(`/workitems/${created.id}:workitem-${abandons + 1}`),
        (reply) => reply.status === 200 && reply.body.state === 'started',
      );

      const pages: (readonly HistoryEvent[])[] = [];
      for (let path: string | undefined = `/cases/${created.id}/events`; path !== undefined;) {
        const reply = await api.get<HistoryEvent[]>(path);
        expect(reply.status).toBe(200);
        pages.push(reply.body);
        path = nextPageOf(reply);
      }
      expect(pages.length).toBeGreaterThan(1);
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(1000);
      const events = pages.flat();
      expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => String(i)));
      const after = await api.get<HistoryEvent[]>(
        `/cases/${created.id}/events?fromRevision=${events.length}`,
      );
      expect(after.body).toEqual([]);
    });

    it('gives a next cursor only while events follow, which ?after= and ?fromRevision= continue alike', async () => {
      const { api } = service;
      const created = await createCase(api, 'sequential');
      await caseWhen(api, created.id, (c) => c.state === 'finished');
      const history = await historyOf(api, created.id);
      const events = `/cases/${created.id}/events`;

      const whole = await api.get<HistoryEvent[]>(`${events}?limit=${history.length}`);
      expect(whole.body).toEqual(history);
      expect(nextPageOf(whole)).toBeUndefined();

      const short = await api.get<HistoryEvent[]>(`${events}?limit=${history.length - 1}`);
      expect(short.body).toEqual(history.slice(0, -1));
      const last = history[history.length - 2]!.revision;
      expect(nextPageOf(short)).toBe(`${events}?after=${last}&limit=${history.length - 1}`);
      const rest = await api.get<HistoryEvent[]>(nextPageOf(short)!);
      expect(rest.body).toEqual(history.slice(-1));
      expect(nextPageOf(rest)).toBeUndefined();

      const byCursor = await api.get<HistoryEvent[]>(`${events}?after=2&limit=3`);
      const byRevision = await api.get<HistoryEvent[]>(`${events}?fromRevision=3&limit=3`);
      expect(byCursor.body).toEqual(history.slice(3, 6));
      expect(byRevision.body).toEqual(byCursor.body);
      expect(nextPageOf(byCursor)).toBe(`${events}?after=5&limit=3`);
      expect(nextPageOf(byRevision)).toBe(nextPageOf(byCursor));
    });

    it('refuses an after that is not a revision, or given with fromRevision', async () => {
      const { api } = service;
      const created = await createCase(api, 'sequential');
      for (const query of ['after=garbage', 'after=2&fromRevision=3']) {
        const reply = await api.get<ErrorBody>(`/cases/${created.id}/events?${query}`);
        expect({ query, status: reply.status, code: reply.body.code }).toEqual({
          query,
          status: 400,
          code: 'validation_failed',
        });
        expect(reply.body.details).toContainEqual(expect.objectContaining({ path: 'after' }));
      }
    });

    it('streams a finished case’s history as Server-Sent Events and ends', async () => {
      const { api } = service;
      const created = await createCase(api, 'sequential');
      await caseWhen(api, created.id, (c) => c.state === 'finished');
      const history = await historyOf(api, created.id);

      const stream = await openEventStream(`${service.url}/cases/${created.id}/events/stream`);
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);
      const events = await stream.ended();
      expect(events.map((e) => e.event)).toEqual(history.map((e) => e.type));
      expect(events.map((e) => JSON.parse(e.data) as HistoryEvent)).toEqual(history);
    });

    it('streams a running case’s history, then its live events until it ends', async () => {
      const { api } = service;
      const created = await createCase(api, 'approval');
      const approve = await workitemOf(api, created.id, 'approve');
      await workitemOf(api, created.id, 'reject');
      const before = await historyOf(api, created.id);

      const stream = await openEventStream(`${service.url}/cases/${created.id}/events/stream`);
      await stream.waitForCount(before.length);
      expect(stream.events.map((e) => e.event)).toEqual(before.map((e) => e.type));

      const completed = await api.post(`/workitems/${approve.id}/complete`, { output: 'yes' });
      expect(completed.status).toBe(200);
      const events = await stream.ended();
      const after = await historyOf(api, created.id);
      expect(events.map((e) => e.event)).toEqual(after.map((e) => e.type));
      expect(events.length).toBeGreaterThan(before.length);
      const last = JSON.parse(events[events.length - 1]!.data) as HistoryEvent;
      expect(last).toMatchObject({ type: 'CaseFinished', revision: String(after.length - 1) });
    });
  });

  describe('operations', () => {
    it('answers GET /health with the store and the projection position', async () => {
      const health = await service.api.get<{ status: string; store: string; projectionPosition: string }>(
        '/health',
      );
      expect(health.status).toBe(200);
      expect(health.body).toEqual(
        expect.objectContaining({
          status: 'ok',
          store: expect.any(String),
          projectionPosition: expect.stringMatching(POSITION),
        }),
      );
    });

    it('serves an OpenAPI document listing the contract’s paths', async () => {
      const reply = await service.api.get<{
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
      }>('/docs-json');
      expect(reply.status).toBe(200);
      expect(reply.body.openapi).toMatch(/^3\./);
      const operations = Object.entries(reply.body.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(operations).toEqual(
        expect.arrayContaining([
          'POST /workflows',
          'GET /workflows',
          'GET /workflows/{id}',
          'POST /workflows/{id}/discard',
          'POST /cases',
          'GET /cases',
          'GET /cases/{id}',
          'POST /cases/{id}/terminate',
          'GET /cases/{id}/tokens',
          'GET /cases/{id}/tasks',
          'GET /cases/{id}/workitems',
          'GET /cases/{id}/events',
          'GET /cases/{id}/events/stream',
          'GET /tasks/{id}',
          'POST /tasks/{id}/preexecute',
          'POST /tasks/{id}/abandon',
          'GET /workitems',
          'GET /workitems/{id}',
          'POST /workitems/{id}/preexecute',
          'POST /workitems/{id}/complete',
          'POST /workitems/{id}/abandon',
          'GET /health',
        ]),
      );
    });

    it('lists every join and split kind, and the default, in the transition schema', async () => {
      type Property = { enum: string[]; default: string };
      const reply = await service.api.get<{
        components: { schemas: { TransitionDto: { properties: Record<string, Property> } } };
      }>('/docs-json');
      const { joinType, splitType } = reply.body.components.schemas.TransitionDto.properties;
      expect(joinType).toMatchObject({ enum: [...joinTypes], default: 'none' });
      expect(splitType).toMatchObject({ enum: [...splitTypes], default: 'none' });
    });

    it('serves the OpenAPI UI as HTML at /docs', async () => {
      const reply = await service.api.get('/docs', { headers: { accept: 'text/html' } });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
      expect(reply.text).toMatch(/<html/i);
    });
  });
});

describe('a read that waits for a position the projections never reach', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory');
  });

  afterAll(() => service.stop());

  it('answers 503 projection_lagging after 5 s', async () => {
    const started = Date.now();
    const reply = await service.api.get<ErrorBody>('/workflows?waitFor=999999999');
    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ statusCode: 503, code: 'projection_lagging' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4500);
  });
});
