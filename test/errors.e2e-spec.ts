import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ErrorBody, Reply } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import { approval, parallelWithManualLeft, singleManual } from './http/nets.js';
import type { Case, TaskSummary, Workflow, Workitem } from './http/resources.js';
import {
  caseWhen,
  createCase,
  defineWorkflow,
  freshId,
  historyOf,
  tasksOf,
  workitemOf,
} from './http/resources.js';

jest.setTimeout(20_000);

/** The contract's error shape with the given status and code. */
function expectError(reply: Reply<unknown>, statusCode: number, code: string): ErrorBody {
  const body = reply.body as ErrorBody;
  expect({ status: reply.status, statusCode: body.statusCode, code: body.code }).toEqual({
    status: statusCode,
    statusCode,
    code,
  });
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  return body;
}

describe.each(STORE_KINDS)('errors over HTTP on the %s store', (store: StoreKind) => {
  let service: Service;

  beforeAll(async () => {
    service = await startService(store);
    for (const net of [approval(), parallelWithManualLeft(), singleManual()])
      await defineWorkflow(service.api, net);
  });

  afterAll(() => service.stop());

  describe('validation_failed', () => {
    it('names the missing workflowId of a case in details', async () => {
      const body = expectError(await service.api.post('/cases', { data: {} }), 400, 'validation_failed');
      expect(body.details).toContainEqual(
        expect.objectContaining({ path: 'workflowId', message: expect.any(String) }),
      );
    });

    it('names each malformed part of a workflow body in details', async () => {
      const body = expectError(
        await service.api.post('/workflows', {
          id: 'malformed',
          places: 'start',
          transitions: [{ id: 't', executor: 42, joinType: 'xor' }],
          arcs: [],
        }),
        400,
        'validation_failed',
      );
      const paths = (body.details ?? []).map((d) => d.path);
      expect(paths).toEqual(
        expect.arrayContaining(['places', 'transitions[0].executor', 'transitions[0].joinType']),
      );
      for (const detail of body.details ?? []) expect(typeof detail.message).toBe('string');
    });

    it('refuses a case id outside the id pattern', async () => {
      const body = expectError(
        await service.api.post('/cases', { workflowId: 'approval', id: 'not an id' }),
        400,
        'validation_failed',
      );
      expect(body.details).toContainEqual(expect.objectContaining({ path: 'id' }));
    });

    it('refuses a waitFor that is not a position', async () => {
      const body = expectError(await service.api.get('/cases?waitFor=soon'), 400, 'validation_failed');
      expect(body.details).toContainEqual(expect.objectContaining({ path: 'waitFor' }));
    });

    it('refuses an unknown state filter', async () => {
      const body = expectError(await service.api.get('/workitems?state=sleeping'), 400, 'validation_failed');
      expect(body.details).toContainEqual(expect.objectContaining({ path: 'state' }));
    });

    it('answers malformed JSON with 400', async () => {
      const reply = await service.api.post('/cases', undefined, { rawBody: '{"workflowId": "approval",' });
      expectError(reply, 400, 'validation_failed');
    });
  });

  describe('invalid_net', () => {
    it('refuses a transition whose executor is not registered, naming it in details', async () => {
      const net = singleManual('unknown-executor');
      net.transitions[0]!.executor = 'carrier-pigeon';
      const body = expectError(await service.api.post('/workflows', net), 400, 'invalid_net');
      expect(body.details).toContainEqual(expect.objectContaining({ path: 'transitions[0].executor' }));
    });
  });

  describe('not_found', () => {
    it.each([
      '/workflows/nope',
      '/cases/nope',
      '/cases/nope/tokens',
      '/cases/nope/tasks',
      '/cases/nope/events',
      '/cases/nope/events/stream',
      '/tasks/nope:task-1',
      '/tasks/nope',
      '/workitems/nope:workitem-1',
      '/workitems/nope',
      '/no-such-route',
    ])('answers GET %s with 404', async (path) => {
      expectError(await service.api.get(path), 404, 'not_found');
    });

    it.each([
      ['/cases', { workflowId: 'no-such-workflow' }],
      ['/cases/nope/terminate', undefined],
      ['/workflows/nope/discard', undefined],
      ['/tasks/nope:task-1/preexecute', undefined],
      ['/tasks/nope:task-1/abandon', undefined],
      ['/workitems/nope:workitem-1/preexecute', undefined],
      ['/workitems/nope:workitem-1/complete', { output: 1 }],
      ['/workitems/nope:workitem-1/abandon', undefined],
    ])('answers POST %s with 404', async (path, body) => {
      expectError(await service.api.post(path, body), 404, 'not_found');
    });

    it('answers 404 for a task or workitem number a live case never made', async () => {
      const created = await createCase(service.api, 'single-manual');
      await workitemOf(service.api, created.id, 'review');
      expectError(await service.api.post(`/tasks/${created.id}:task-99/preexecute`), 404, 'not_found');
      expectError(
        await service.api.post(`/workitems/${created.id}:workitem-99/complete`, {}),
        404,
        'not_found',
      );
    });
  });

  describe('already_exists', () => {
    it('answers 200 with the stored workflow for the same body, and 409 for a different one', async () => {
      const net = singleManual('defined-twice');
      const first = await service.api.post<Workflow>('/workflows', net);
      expect(first.status).toBe(201);
      const same = await service.api.post<Workflow>('/workflows', singleManual('defined-twice'));
      expect(same.status).toBe(200);
      expect(same.body).toEqual(first.body);

      const changed = singleManual('defined-twice');
      changed.transitions[0]!.executor = 'auto';
      expectError(await service.api.post('/workflows', changed), 409, 'already_exists');
      const stored = await service.api.get<Workflow>(
        `/workflows/defined-twice?waitFor=${first.body.position}`,
      );
      expect(stored.body.transitions[0]!.executor).toBe('manual');
    });

    it('refuses a second case with the same id', async () => {
      const id = freshId('twin');
      expect((await service.api.post('/cases', { workflowId: 'single-manual', id })).status).toBe(201);
      expectError(
        await service.api.post('/cases', { workflowId: 'single-manual', id }),
        409,
        'already_exists',
      );
    });
  });

  describe('task and token errors', () => {
    it('answers task_not_enabled for a join task offered one of its two tokens', async () => {
      const created = await createCase(service.api, 'parallel-manual-left');
      const waiting = await caseWhen(service.api, created.id, (c) => c.marking['right-done'] === 1);
      const join = (await tasksOf(service.api, created.id, waiting.position)).find(
        (t) => t.transitionId === 'join',
      );
      expect(join?.state).toBe('started');
      expectError(await service.api.post(`/tasks/${join!.id}/preexecute`), 409, 'task_not_enabled');
    });

    it('answers task_not_enabled for a task that has completed', async () => {
      const created = await createCase(service.api, 'approval');
      const submit = await workitemOf(service.api, created.id, 'submit', 'completed');
      expectError(await service.api.post(`/tasks/${submit.taskId}/preexecute`), 409, 'task_not_enabled');
    });

    it('answers task_not_enabled on preexecuting a workitem that has ended, case_not_available once the case has', async () => {
      const created = await createCase(service.api, 'approval');
      const submit = await workitemOf(service.api, created.id, 'submit', 'completed');
      expectError(await service.api.post(`/workitems/${submit.id}/preexecute`), 409, 'task_not_enabled');
      const approve = await workitemOf(service.api, created.id, 'approve');
      const completed = await service.api.post(`/workitems/${approve.id}/complete`, { output: 'ok' });
      expect(completed.body).toMatchObject({ id: approve.id, state: 'completed', output: 'ok' });
      expectError(await service.api.post(`/workitems/${approve.id}/preexecute`), 409, 'case_not_available');
    });

    it('answers tokens_not_available when a competitor holds the token', async () => {
      const created = await createCase(service.api, 'approval');
      const approve = await workitemOf(service.api, created.id, 'approve');
      const reject = await workitemOf(service.api, created.id, 'reject');
      expect((await service.api.post(`/tasks/${approve.taskId}/preexecute`)).status).toBe(200);
      expectError(await service.api.post(`/tasks/${reject.taskId}/preexecute`), 409, 'tokens_not_available');
      expectError(
        await service.api.post(`/workitems/${reject.id}/complete`, { output: 'no' }),
        409,
        'tokens_not_available',
      );
    });

    it('answers task_not_available when force-abandoning a task that has ended', async () => {
      const created = await createCase(service.api, 'approval');
      const submit = await workitemOf(service.api, created.id, 'submit', 'completed');
      expectError(await service.api.post(`/tasks/${submit.taskId}/abandon`), 409, 'task_not_available');
    });

    it('force-abandons a live task: its workitem is abandoned and a new task takes the token', async () => {
      const created = await createCase(service.api, 'single-manual');
      const review = await workitemOf(service.api, created.id, 'review');
      const abandoned = await service.api.post<TaskSummary & { position: string }>(
        `/tasks/${review.taskId}/abandon`,
      );
      expect(abandoned.status).toBe(200);
      expect(abandoned.body).toMatchObject({ id: review.taskId, state: 'abandoned' });
      const old = await service.api.get<Workitem>(
        `/workitems/${review.id}?waitFor=${abandoned.body.position}`,
      );
      expect(old.body.state).toBe('abandoned');
      const retry = await workitemOf(service.api, created.id, 'review');
      expect(retry.taskId).not.toBe(review.taskId);
    });
  });

  describe('workitem_not_available', () => {
    it('refuses to complete a workitem twice and appends nothing', async () => {
      const created = await createCase(service.api, 'approval');
      const approve = await workitemOf(service.api, created.id, 'approve');
      const reject = await workitemOf(service.api, created.id, 'reject');
      expect((await service.api.post(`/workitems/${reject.id}/abandon`)).status).toBe(200);
      const before = await historyOf(service.api, created.id);
      expectError(
        await service.api.post(`/workitems/${reject.id}/complete`, {}),
        409,
        'workitem_not_available',
      );
      expectError(await service.api.post(`/workitems/${reject.id}/abandon`), 409, 'workitem_not_available');
      expect(await historyOf(service.api, created.id)).toEqual(before);
      expect(approve.state).toBe('started');
    });
  });

  describe('commands on a case that has ended since', () => {
    /** An approval case terminated while approve held its token locked; submit had completed before. */
    async function terminatedCase(): Promise<{ caseId: string; ended: readonly Workitem[] }> {
      const created = await createCase(service.api, 'approval');
      const submit = await workitemOf(service.api, created.id, 'submit', 'completed');
      const approve = await workitemOf(service.api, created.id, 'approve');
      expect((await service.api.post(`/workitems/${approve.id}/preexecute`)).status).toBe(200);
      expect((await service.api.post(`/cases/${created.id}/terminate`)).status).toBe(200);
      return { caseId: created.id, ended: [submit, approve] };
    }

    /** An approval case finished by approve; reject's workitem was withdrawn with it. */
    async function finishedCase(): Promise<{ caseId: string; ended: readonly Workitem[] }> {
      const created = await createCase(service.api, 'approval');
      const approve = await workitemOf(service.api, created.id, 'approve');
      const reject = await workitemOf(service.api, created.id, 'reject');
      expect((await service.api.post(`/workitems/${approve.id}/complete`, { output: 'ok' })).status).toBe(
        200,
      );
      return { caseId: created.id, ended: [approve, reject] };
    }

    describe.each([
      ['terminated', terminatedCase],
      ['finished', finishedCase],
    ])('once the case has %s', (_, endedCase) => {
      it('answers workitem_not_available to completing or abandoning its workitems again, and appends nothing', async () => {
        const { caseId, ended } = await endedCase();
        const before = await historyOf(service.api, caseId);
        for (const workitem of ended) {
          expectError(
            await service.api.post(`/workitems/${workitem.id}/complete`, { output: 'retry' }),
            409,
            'workitem_not_available',
          );
          expectError(
            await service.api.post(`/workitems/${workitem.id}/abandon`),
            409,
            'workitem_not_available',
          );
          // Preexecute locks the case's tokens: it is refused for the case.
          expectError(
            await service.api.post(`/workitems/${workitem.id}/preexecute`),
            409,
            'case_not_available',
          );
        }
        expect(await historyOf(service.api, caseId)).toEqual(before);
      });

      it('answers task_not_available to force-abandoning its tasks, case_not_available to preexecuting them', async () => {
        const { caseId, ended } = await endedCase();
        const before = await historyOf(service.api, caseId);
        for (const { taskId } of ended) {
          expectError(await service.api.post(`/tasks/${taskId}/abandon`), 409, 'task_not_available');
          expectError(await service.api.post(`/tasks/${taskId}/preexecute`), 409, 'case_not_available');
        }
        expect(await historyOf(service.api, caseId)).toEqual(before);
      });

      it('answers 404 on every task and workitem endpoint for an id the case never made', async () => {
        const { caseId } = await endedCase();
        const task = `${caseId}:task-99`;
        const workitem = `${caseId}:workitem-99`;
        for (const path of [`/tasks/${task}`, `/workitems/${workitem}`]) {
          expectError(await service.api.get(path), 404, 'not_found');
        }
        for (const [path, body] of [
          [`/tasks/${task}/preexecute`, undefined],
          [`/tasks/${task}/abandon`, undefined],
          [`/workitems/${workitem}/preexecute`, undefined],
          [`/workitems/${workitem}/complete`, { output: 1 }],
          [`/workitems/${workitem}/abandon`, undefined],
        ] as const) {
          const reply = await service.api.post(path, body);
          expect({ path, status: reply.status }).toEqual({ path, status: 404 });
          expectError(reply, 404, 'not_found');
        }
      });
    });
  });

  describe('case_not_available', () => {
    it('refuses to terminate a terminated case', async () => {
      const created = await createCase(service.api, 'approval');
      await workitemOf(service.api, created.id, 'approve');
      expect((await service.api.post(`/cases/${created.id}/terminate`)).status).toBe(200);
      expectError(await service.api.post(`/cases/${created.id}/terminate`), 409, 'case_not_available');
    });

    it('refuses to terminate a finished case', async () => {
      const created = await createCase(service.api, 'single-manual');
      const review = await workitemOf(service.api, created.id, 'review');
      expect((await service.api.post(`/workitems/${review.id}/complete`, {})).status).toBe(200);
      expectError(await service.api.post(`/cases/${created.id}/terminate`), 409, 'case_not_available');
    });

    it('refuses new cases of a discarded workflow while its running cases go on', async () => {
      const workflow = await defineWorkflow(service.api, singleManual('to-discard'));
      expect(workflow.state).toBe('active');
      const running = await createCase(service.api, 'to-discard');
      const review = await workitemOf(service.api, running.id, 'review');

      const discarded = await service.api.post<Workflow>('/workflows/to-discard/discard');
      expect(discarded.status).toBe(200);
      expect(discarded.body.state).toBe('discarded');
      const read = await service.api.get<Workflow>(
        `/workflows/to-discard?waitFor=${discarded.body.position}`,
      );
      expect(read.body.state).toBe('discarded');

      expectError(await service.api.post('/cases', { workflowId: 'to-discard' }), 409, 'case_not_available');
      const completed = await service.api.post<Workitem & { position: string }>(
        `/workitems/${review.id}/complete`,
        {},
      );
      expect(completed.status).toBe(200);
      const done = await service.api.get<Case>(`/cases/${running.id}?waitFor=${completed.body.position}`);
      expect(done.body.state).toBe('finished');
    });
  });

  describe('payload_too_large', () => {
    it('answers a body over 1 MiB with 413', async () => {
      const data = 'x'.repeat(1024 * 1024 + 16);
      expectError(
        await service.api.post('/cases', { workflowId: 'approval', data }),
        413,
        'payload_too_large',
      );
    });

    it('accepts a body just under 1 MiB', async () => {
      const data = 'x'.repeat(1024 * 1024 - 200);
      const reply = await service.api.post<Case>('/cases', { workflowId: 'single-manual', data });
      expect(reply.status).toBe(201);
    });
  });
});
