import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ErrorBody } from './http/client.js';
import type { StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import type { Service } from './http/harness.js';
import type { NetBody } from './http/nets.js';
import { approval, parallel, parallelWithManualLeft, sequential, trafficLight } from './http/nets.js';
import type { Case, HistoryEvent, Task, TaskSummary, Token, Workflow, Workitem } from './http/resources.js';
import {
  POSITION,
  caseWhen,
  createCase,
  defineWorkflow,
  historyOf,
  tasksOf,
  tokensOf,
  workitemOf,
  workitemsWhen,
} from './http/resources.js';

jest.setTimeout(20_000);

const finished = (c: Case): boolean => c.state === 'finished';

describe.each(STORE_KINDS)('the scenarios over HTTP on the %s store', (store: StoreKind) => {
  let service: Service;

  beforeAll(async () => {
    service = await startService(store);
    for (const net of [sequential(), parallel(), parallelWithManualLeft(), approval(), trafficLight()])
      await defineWorkflow(service.api, net);
  });

  afterAll(() => service.stop());

  /** An approval case with both reviewers' workitems started. */
  async function approvalCase(): Promise<{ caseId: string; approve: Workitem; reject: Workitem }> {
    const created = await createCase(service.api, 'approval', { doc: 1 });
    const approve = await workitemOf(service.api, created.id, 'approve');
    const reject = await workitemOf(service.api, created.id, 'reject');
    return { caseId: created.id, approve, reject };
  }

  describe('P1 — a sequential case', () => {
    it('runs to the end through both auto steps', async () => {
      const { api } = service;
      const created = await createCase(api, 'sequential', { order: 42 });
      expect(created).toMatchObject({ workflowId: 'sequential', state: 'active' });
      expect(created.position).toMatch(POSITION);

      const done = await caseWhen(api, created.id, finished);
      expect(done.marking).toEqual({});

      const tasks = await tasksOf(api, created.id, done.position);
      expect(tasks.map((t) => [t.transitionId, t.state])).toEqual([
        ['a', 'completed'],
        ['b', 'completed'],
      ]);
      const [taskA, taskB] = tasks as [TaskSummary, TaskSummary];

      const workitems = await workitemsWhen(api, created.id, (list) => list.length === 2);
      const [wa, wb] = workitems as [Workitem, Workitem];
      expect(wa).toMatchObject({ transitionId: 'a', executor: 'auto', state: 'completed', output: 'a done' });
      expect(wb).toMatchObject({ transitionId: 'b', executor: 'auto', state: 'completed', output: 'b done' });
      expect(taskA.tokenPayload).toEqual({ [wa.id]: 'a done' });
      expect(taskB.tokenPayload).toEqual({ [wb.id]: 'b done' });

      const tokens = await tokensOf(api, created.id, done.position);
      expect(tokens.map((t) => [t.placeId, t.state, t.producedByTaskId, t.consumedByTaskId])).toEqual([
        ['start', 'consumed', 'genesis', taskA.id],
        ['middle', 'consumed', taskA.id, taskB.id],
        ['end', 'consumed', taskB.id, 'termination'],
      ]);
      expect(tokens[0]!.payload).toEqual({ order: 42 });
      expect(tokens[1]!.payload).toEqual({ [wa.id]: 'a done' });

      const history = await historyOf(api, created.id);
      expect(history[0]!.type).toBe('CaseCreated');
      expect(history[history.length - 1]!.type).toBe('CaseFinished');
    });

    it('with executorParams.immediate, finishes within its POST /cases, with the same history', async () => {
      const { api } = service;
      const net = sequential();
      const immediate = {
        ...net,
        id: 'sequential-immediate',
        transitions: net.transitions.map((t) => ({
          ...t,
          executorParams: { ...t.executorParams, immediate: true },
        })),
      };
      await defineWorkflow(api, immediate);
      const created = await createCase(api, 'sequential-immediate', { order: 42 });
      expect(created).toMatchObject({ state: 'finished', marking: {} });

      const viaDispatcher = await caseWhen(
        api,
        (await createCase(api, 'sequential', { order: 42 })).id,
        finished,
      );
      const shape = (events: readonly HistoryEvent[]) => events.map((e) => [e.revision, e.type]);
      expect(shape(await historyOf(api, created.id))).toEqual(shape(await historyOf(api, viaDispatcher.id)));
    });
  });

  describe('P2 — parallel branches', () => {
    it('split issues a token into each branch and join consumes both', async () => {
      const { api } = service;
      const created = await createCase(api, 'parallel');
      const done = await caseWhen(api, created.id, finished);

      const tasks = await tasksOf(api, created.id, done.position);
      expect(tasks.map((t) => t.transitionId).sort()).toEqual(['join', 'split', 'work-left', 'work-right']);
      expect(tasks.every((t) => t.state === 'completed')).toBe(true);
      const idOf = (transitionId: string): string => tasks.find((t) => t.transitionId === transitionId)!.id;

      const tokens = await tokensOf(api, created.id, done.position);
      const issuedBySplit = tokens.filter((t) => t.producedByTaskId === idOf('split'));
      expect(issuedBySplit.map((t) => t.placeId).sort()).toEqual(['left', 'right']);
      const consumedByJoin = tokens.filter((t) => t.consumedByTaskId === idOf('join'));
      expect(consumedByJoin.map((t) => t.placeId).sort()).toEqual(['left-done', 'right-done']);
      expect(tokens.every((t) => t.state === 'consumed')).toBe(true);
    });

    it('join waits, started and without a workitem, until both branches hold a token', async () => {
      const { api } = service;
      const created = await createCase(api, 'parallel-manual-left');
      const left = await workitemOf(api, created.id, 'work-left');
      const waiting = await caseWhen(api, created.id, (c) => c.marking['right-done'] === 1);
      expect(waiting.state).toBe('active');
      expect(waiting.marking).toEqual({ left: 1, 'right-done': 1 });

      const join = (await tasksOf(api, created.id, waiting.position)).find((t) => t.transitionId === 'join');
      expect(join?.state).toBe('started');
      const joinTask = await api.get<Task>(`/tasks/${join!.id}`);
      expect(joinTask.body.workitems).toEqual([]);
      expect(joinTask.body.tokens).toEqual([
        expect.objectContaining({ placeId: 'right-done', state: 'offered' }),
      ]);

      const completed = await api.post<Workitem>(`/workitems/${left.id}/complete`, { output: 'L' });
      expect(completed.status).toBe(200);
      await caseWhen(api, created.id, finished);
      const joinAfter = await api.get<Task>(`/tasks/${join!.id}`);
      expect(joinAfter.body.state).toBe('completed');
      expect(joinAfter.body.tokens.map((t) => [t.placeId, t.state]).sort()).toEqual([
        ['left-done', 'consumed'],
        ['right-done', 'consumed'],
      ]);
    });
  });

  describe('P3 — a manual step waits', () => {
    it('offers the submitted token to approve and reject, each allocated with one started workitem', async () => {
      const { api } = service;
      const { caseId, approve, reject } = await approvalCase();
      expect(approve.executor).toBe('manual');
      expect(reject.executor).toBe('manual');

      const current = await caseWhen(api, caseId, () => true);
      expect(current.state).toBe('active');
      expect(current.marking).toEqual({ submitted: 1 });
      const tasks = await tasksOf(api, caseId, current.position);
      expect(tasks.map((t) => [t.transitionId, t.state])).toEqual([
        ['submit', 'completed'],
        ['approve', 'allocated'],
        ['reject', 'allocated'],
      ]);
      const workitems = await workitemsWhen(api, caseId, () => true);
      expect(workitems.map((w) => [w.transitionId, w.state])).toEqual([
        ['submit', 'completed'],
        ['approve', 'started'],
        ['reject', 'started'],
      ]);
      const [submitted] = (await tokensOf(api, caseId, current.position)).filter(
        (t) => t.state !== 'consumed',
      );
      expect(submitted).toMatchObject({ placeId: 'submitted', state: 'free', lockedByTaskId: null });
    });
  });

  describe('P4 — deferred choice', () => {
    it('locks the token for approve, refuses reject, and withdraws it from reject on completion', async () => {
      const { api } = service;
      const { caseId, approve, reject } = await approvalCase();

      const locked = await api.post<{ tokens: Token[]; position: string }>(
        `/workitems/${approve.id}/preexecute`,
      );
      expect(locked.status).toBe(200);
      expect(locked.body.tokens).toEqual([
        expect.objectContaining({ placeId: 'submitted', state: 'locked', lockedByTaskId: approve.taskId }),
      ]);

      const refused = await api.post<ErrorBody>(`/workitems/${reject.id}/preexecute`);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ statusCode: 409, code: 'tokens_not_available' });

      const completed = await api.post<Workitem & { position: string }>(`/workitems/${approve.id}/complete`, {
        output: { by: 'ann' },
      });
      expect(completed.status).toBe(200);
      expect(completed.body).toMatchObject({ id: approve.id, state: 'completed', output: { by: 'ann' } });

      const done = await api.get<Case>(`/cases/${caseId}?waitFor=${completed.body.position}`);
      expect(done.body.state).toBe('finished');
      const tokens = await tokensOf(api, caseId, completed.body.position);
      const token = tokens.find((t) => t.id === locked.body.tokens[0]!.id);
      expect(token).toMatchObject({ state: 'consumed', consumedByTaskId: approve.taskId });

      const rejectNow = await api.get<Workitem>(`/workitems/${reject.id}`);
      expect(rejectNow.body.state).toBe('abandoned');
      const rejectTask = await api.get<Task>(`/tasks/${reject.taskId}`);
      expect(rejectTask.body.state).toBe('abandoned');
      expect(rejectTask.body.tokens).toEqual([
        expect.objectContaining({ tokenId: token!.id, state: 'discarded' }),
      ]);

      const history = await historyOf(api, caseId);
      expect(history).toContainEqual(
        expect.objectContaining({
          type: 'TokensDiscarded',
          data: expect.objectContaining({ taskId: reject.taskId }),
        }),
      );
      expect(history).toContainEqual(
        expect.objectContaining({
          type: 'TaskAbandoned',
          data: expect.objectContaining({ taskId: reject.taskId, reason: 'tokens_withdrawn' }),
        }),
      );
      expect(history[history.length - 1]!.type).toBe('CaseFinished');
    });
  });

  describe('P4 — deferred choice, both reviewers at once', () => {
    it('lets exactly one of two simultaneous completions win', async () => {
      const { api } = service;
      const { caseId, approve, reject } = await approvalCase();
      const replies = await Promise.all([
        api.post<ErrorBody>(`/workitems/${approve.id}/complete`, { output: 'yes' }),
        api.post<ErrorBody>(`/workitems/${reject.id}/complete`, { output: 'no' }),
      ]);
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
      const loser = replies.find((r) => r.status === 409)!;
      // The winner withdrew the loser's workitem and finished the case: the loser learns its workitem ended.
      expect(loser.body.code).toBe('workitem_not_available');

      const done = await caseWhen(api, caseId, finished);
      const tasks = await tasksOf(api, caseId, done.position);
      const decided = tasks.filter((t) => t.transitionId !== 'submit');
      expect(decided.map((t) => t.state).sort()).toEqual(['abandoned', 'completed']);
      const tokens = await tokensOf(api, caseId, done.position);
      expect(tokens).toHaveLength(3);
      expect(tokens.every((t) => t.state === 'consumed')).toBe(true);
    });
  });

  describe('many cases at once', () => {
    it('runs twenty sequential cases created together to the end', async () => {
      const { api } = service;
      const created = await Promise.all(Array.from({ length: 20 }, () => createCase(api, 'sequential')));
      for (const { id } of created) {
        const done = await caseWhen(api, id, finished);
        const tokens = await tokensOf(api, id, done.position);
        expect(tokens.map((t) => t.consumedByTaskId)).toEqual([
          expect.any(String),
          expect.any(String),
          'termination',
        ]);
      }
    });
  });

  describe('P5 — preexecute twice', () => {
    it('answers 200 both times with the same token', async () => {
      const { api } = service;
      const { approve } = await approvalCase();
      const first = await api.post<{ tokens: Token[] }>(`/workitems/${approve.id}/preexecute`);
      const second = await api.post<{ tokens: Token[] }>(`/workitems/${approve.id}/preexecute`);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(first.body.tokens).toHaveLength(1);
      expect(second.body.tokens.map((t) => t.id)).toEqual(first.body.tokens.map((t) => t.id));
      const viaTask = await api.post<{ tokens: Token[] }>(`/tasks/${approve.taskId}/preexecute`);
      expect(viaTask.status).toBe(200);
      expect(viaTask.body.tokens.map((t) => t.id)).toEqual(first.body.tokens.map((t) => t.id));
    });
  });

  describe('P6 — ended workitems refuse more', () => {
    it('refuses to complete or abandon a completed or an abandoned workitem and appends nothing', async () => {
      const { api } = service;
      const { caseId, approve } = await approvalCase();
      const submit = await workitemOf(api, caseId, 'submit', 'completed');
      const abandoned = await api.post<Workitem>(`/workitems/${approve.id}/abandon`);
      expect(abandoned.status).toBe(200);
      expect(abandoned.body.state).toBe('abandoned');

      const before = await historyOf(api, caseId);
      for (const id of [submit.id, approve.id]) {
        for (const [path, body] of [
          [`/workitems/${id}/complete`, { output: 'again' }],
          [`/workitems/${id}/abandon`, undefined],
        ] as const) {
          const refused = await api.post<ErrorBody>(path, body);
          expect({ path, status: refused.status, code: refused.body.code }).toEqual({
            path,
            status: 409,
            code: 'workitem_not_available',
          });
        }
      }
      expect(await historyOf(api, caseId)).toEqual(before);
      expect((await api.get<Case>(`/cases/${caseId}`)).body.state).toBe('active');
    });
  });

  describe('P7 — terminate', () => {
    it('abandons both waiting reviewers, then refuses to terminate again or complete', async () => {
      const { api } = service;
      const { caseId, approve, reject } = await approvalCase();
      const terminated = await api.post<Case>(`/cases/${caseId}/terminate`);
      expect(terminated.status).toBe(200);
      expect(terminated.body).toMatchObject({ id: caseId, state: 'terminated' });
      expect(terminated.body.position).toMatch(POSITION);

      const position = terminated.body.position;
      const workitems = await api.get<{ items: Workitem[] }>(
        `/cases/${caseId}/workitems?waitFor=${position}`,
      );
      expect(workitems.body.items.map((w) => [w.transitionId, w.state])).toEqual([
        ['submit', 'completed'],
        ['approve', 'abandoned'],
        ['reject', 'abandoned'],
      ]);
      const tasks = await tasksOf(api, caseId, position);
      expect(
        tasks.filter((t) => t.id === approve.taskId || t.id === reject.taskId).map((t) => t.state),
      ).toEqual(['abandoned', 'abandoned']);
      expect((await api.get<Case>(`/cases/${caseId}?waitFor=${position}`)).body.state).toBe('terminated');

      const again = await api.post<ErrorBody>(`/cases/${caseId}/terminate`);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('case_not_available');
      const late = await api.post<ErrorBody>(`/workitems/${approve.id}/complete`, { output: 'late' });
      expect(late.status).toBe(409);
      expect(late.body.code).toBe('workitem_not_available');
    });
  });

  describe('P8 — the traffic light', () => {
    it('starts a new task per lap and ends by withdrawing the last lap’s r2g', async () => {
      const { api } = service;
      const created = await createCase(api, 'traffic-light');
      const caseId = created.id;
      const complete = async (transitionId: string): Promise<Workitem & { position: string }> => {
        const workitem = await workitemOf(api, caseId, transitionId);
        const reply = await api.post<Workitem & { position: string }>(
          `/workitems/${workitem.id}/complete`,
          {},
        );
        expect(reply.status).toBe(200);
        return reply.body;
      };

      const firstY2r = await complete('y2r');
      const red = await api.get<Case>(`/cases/${caseId}?waitFor=${firstY2r.position}`);
      expect(red.body.marking).toEqual({ red: 1 });
      const offered = await tasksOf(api, caseId, firstY2r.position);
      expect(offered.filter((t) => t.state === 'allocated').map((t) => t.transitionId)).toEqual([
        'r2g',
        'will-end',
      ]);

      await complete('r2g');
      const g2y = await complete('g2y');
      const yellowAgain = await api.get<Case>(`/cases/${caseId}?waitFor=${g2y.position}`);
      expect(yellowAgain.body.marking).toEqual({ yellow: 1 });

      const secondY2r = await complete('y2r');
      expect(secondY2r.taskId).not.toBe(firstY2r.taskId);
      const lap2 = await tasksOf(api, caseId, secondY2r.position);
      const lap2R2g = lap2.find((t) => t.transitionId === 'r2g' && t.state === 'allocated');
      expect(lap2R2g).toBeDefined();

      const end = await complete('will-end');
      const done = await api.get<Case>(`/cases/${caseId}?waitFor=${end.position}`);
      expect(done.body.state).toBe('finished');

      const tasks = await tasksOf(api, caseId, end.position);
      expect(tasks.map((t) => [t.transitionId, t.state])).toEqual([
        ['init', 'completed'],
        ['y2r', 'completed'],
        ['r2g', 'completed'],
        ['will-end', 'abandoned'],
        ['g2y', 'completed'],
        ['y2r', 'completed'],
        ['r2g', 'abandoned'],
        ['will-end', 'completed'],
      ]);
      expect(tasks.find((t) => t.id === lap2R2g!.id)?.state).toBe('abandoned');
      const history = await historyOf(api, caseId);
      expect(history).toContainEqual(
        expect.objectContaining({
          type: 'TaskAbandoned',
          data: expect.objectContaining({ taskId: lap2R2g!.id, reason: 'tokens_withdrawn' }),
        }),
      );
      expect(history.filter((e) => e.type === 'TaskCompleted')).toHaveLength(6);
    });
  });

  describe('abandoning', () => {
    it('frees the locked token of a force-abandoned task and offers it to a new task', async () => {
      const { api } = service;
      const { caseId, approve, reject } = await approvalCase();
      const locked = await api.post<{ tokens: Token[] }>(`/tasks/${approve.taskId}/preexecute`);
      const tokenId = locked.body.tokens[0]!.id;

      const abandoned = await api.post<TaskSummary & { position: string }>(
        `/tasks/${approve.taskId}/abandon`,
      );
      expect(abandoned.status).toBe(200);
      expect(abandoned.body.state).toBe('abandoned');
      const tokens = await tokensOf(api, caseId, abandoned.body.position);
      expect(tokens.find((t) => t.id === tokenId)).toMatchObject({ state: 'free' });
      const old = await api.get<Workitem>(`/workitems/${approve.id}?waitFor=${abandoned.body.position}`);
      expect(old.body.state).toBe('abandoned');

      const retry = await workitemOf(api, caseId, 'approve');
      expect(retry.taskId).not.toBe(approve.taskId);
      const taken = await api.post<{ tokens: Token[] }>(`/workitems/${reject.id}/preexecute`);
      expect(taken.status).toBe(200);
      expect(taken.body.tokens.map((t) => t.id)).toEqual([tokenId]);
    });

    it('abandons the task of an abandoned workitem, unlocks its token and starts a new task for it', async () => {
      const { api } = service;
      const { caseId, approve } = await approvalCase();
      const locked = await api.post<{ tokens: Token[] }>(`/workitems/${approve.id}/preexecute`);
      expect(locked.status).toBe(200);
      const abandoned = await api.post<Workitem & { position: string }>(`/workitems/${approve.id}/abandon`);
      expect(abandoned.status).toBe(200);
      expect(abandoned.body).toMatchObject({ id: approve.id, state: 'abandoned' });

      const task = await api.get<Task>(`/tasks/${approve.taskId}?waitFor=${abandoned.body.position}`);
      expect(task.body.state).toBe('abandoned');
      const tokens = await tokensOf(api, caseId, abandoned.body.position);
      expect(tokens.find((t) => t.id === locked.body.tokens[0]!.id)).toMatchObject({ state: 'free' });
      const retry = await workitemOf(api, caseId, 'approve');
      expect(retry.taskId).not.toBe(approve.taskId);
      const completed = await api.post<Workitem>(`/workitems/${retry.id}/complete`);
      expect(completed.status).toBe(200);
      expect(completed.body.output).toBeNull();
      await caseWhen(api, caseId, finished);
    });
  });

  describe('P10 — bad nets are refused', () => {
    /** `start → t → end`, altered by each row. */
    const base = (id: string): NetBody => ({
      id,
      places: [{ id: 'start', type: 'start' }, { id: 'p' }, { id: 'end', type: 'end' }],
      transitions: [
        { id: 't', executor: 'manual' },
        { id: 'u', executor: 'manual' },
      ],
      arcs: [
        { from: 'start', to: 't' },
        { from: 't', to: 'p' },
        { from: 'p', to: 'u' },
        { from: 'u', to: 'end' },
      ],
    });
    const rows: [string, string, (net: NetBody) => void][] = [
      ['two start places', 'start_place_count', (n) => void n.places.push({ id: 's2', type: 'start' })],
      ['no end place', 'end_place_count', (n) => void (n.places[2]!.type = 'normal')],
      ['an arc place→place', 'place_to_place', (n) => void n.arcs.push({ from: 'p', to: 'end' })],
      ['an arc naming an unknown node', 'unknown_node', (n) => void n.arcs.push({ from: 'ghost', to: 'u' })],
      [
        'a none join with two input places',
        'none_join_inputs',
        (n) => {
          n.places.push({ id: 'q' });
          n.arcs.push({ from: 't', to: 'q' }, { from: 'q', to: 'u' });
          n.transitions[0]!.splitType = 'and';
        },
      ],
      [
        'a none split with two output places',
        'none_split_outputs',
        (n) => {
          n.places.push({ id: 'q' });
          n.arcs.push({ from: 't', to: 'q' }, { from: 'q', to: 'u' });
          n.transitions[1]!.joinType = 'and';
        },
      ],
      [
        'a transition no path from start reaches',
        'not_on_path',
        (n) => {
          n.transitions.push({ id: 'orphan', executor: 'manual' });
          n.arcs.push({ from: 'orphan', to: 'p' });
        },
      ],
    ];

    it.each(rows)(
      'refuses %s as invalid_net naming %s, and stores nothing',
      async (situation, rule, alter) => {
        const { api } = service;
        const id = `bad-${rule}`;
        const net = base(id);
        alter(net);
        const refused = await api.post<ErrorBody>('/workflows', net);
        expect(refused.status).toBe(400);
        expect(refused.body).toMatchObject({ statusCode: 400, code: 'invalid_net' });
        expect(typeof refused.body.message).toBe('string');
        expect(refused.body.details).toContainEqual(expect.objectContaining({ rule }));
        for (const detail of refused.body.details ?? []) {
          expect(typeof detail.path).toBe('string');
          expect(typeof detail.message).toBe('string');
        }

        const sentinel = await api.post<Workflow>('/workflows', base(`good-after-${rule}`));
        expect(sentinel.status).toBe(201);
        const stored = await api.get<ErrorBody>(`/workflows/${id}?waitFor=${sentinel.body.position}`);
        expect({ situation, status: stored.status }).toEqual({ situation, status: 404 });
      },
    );

    it('names every broken rule of a net that breaks several', async () => {
      const net = base('bad-several');
      net.places.push({ id: 's2', type: 'start' });
      net.arcs.push({ from: 'p', to: 'end' }, { from: 'ghost', to: 'u' });
      const refused = await service.api.post<ErrorBody>('/workflows', net);
      expect(refused.status).toBe(400);
      const rules = new Set((refused.body.details ?? []).map((d) => d.rule));
      expect([...rules]).toEqual(
        expect.arrayContaining(['start_place_count', 'place_to_place', 'unknown_node']),
      );
    });
  });
});
