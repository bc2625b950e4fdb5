import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Client, ErrorBody } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import type { Workflow } from './http/resources.js';
import { until } from './http/poll.js';
import { caseWhen, createCase, freshId, historyOf, tokensOf, workitemOf } from './http/resources.js';

jest.setTimeout(20_000);

interface DecisionNet {
  id: string;
  places: { id: string; type?: string }[];
  transitions: {
    id: string;
    executor: string;
    joinType?: string;
    splitType?: string;
    orJoin?: unknown;
  }[];
  arcs: { from: string; to: string; condition?: unknown; default?: unknown }[];
  allowUnsound?: boolean;
}

/** A loan application: an amount over 10,000 goes to the board, any other to a clerk (the default). */
function loanNet(id: string): DecisionNet {
  return {
    id,
    places: [{ id: 'start', type: 'start' }, { id: 'board' }, { id: 'clerk' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'apply', executor: 'auto', splitType: 'xor' },
      { id: 'board-review', executor: 'manual' },
      { id: 'clerk-review', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'apply' },
      { from: 'apply', to: 'board', condition: 'case.amount > 10000' },
      { from: 'apply', to: 'clerk', default: true },
      { from: 'board', to: 'board-review' },
      { from: 'clerk', to: 'clerk-review' },
      { from: 'board-review', to: 'end' },
      { from: 'clerk-review', to: 'end' },
    ],
  };
}

/**
 * Checks an application: legal for a large amount, credit for a risky one, basic when neither; the or
 * join waits for exactly the checks the split chose.
 */
function checksNet(id: string): DecisionNet {
  const branches = ['legal', 'credit', 'basic'];
  return {
    id,
    places: [
      { id: 'start', type: 'start' },
      ...branches.flatMap((branch) => [{ id: branch }, { id: `${branch}-done` }]),
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'assess', executor: 'auto', splitType: 'or' },
      ...branches.map((branch) => ({ id: `${branch}-check`, executor: 'auto' })),
      { id: 'decide', executor: 'auto', joinType: 'or', orJoin: { split: 'assess' } },
    ],
    arcs: [
      { from: 'start', to: 'assess' },
      { from: 'assess', to: 'legal', condition: 'case.amount > 10000' },
      { from: 'assess', to: 'credit', condition: 'case.risky' },
      { from: 'assess', to: 'basic', default: true },
      ...branches.flatMap((branch) => [
        { from: branch, to: `${branch}-check` },
        { from: `${branch}-check`, to: `${branch}-done` },
        { from: `${branch}-done`, to: 'decide' },
      ]),
      { from: 'decide', to: 'end' },
    ],
  };
}

/** The net with the arc from `from` to `to` changed. */
function withArc(net: DecisionNet, from: string, to: string, change: Record<string, unknown>): DecisionNet {
  return {
    ...net,
    arcs: net.arcs.map((arc) => (arc.from === from && arc.to === to ? { ...arc, ...change } : arc)),
  };
}

interface Route {
  readonly placeIds: readonly string[];
  readonly by: string;
}

/** The route recorded by the completion of the task of `transitionId`, once it is in the history. */
async function routeOf(api: Client, caseId: string, transitionId: string): Promise<Route | undefined> {
  const history = await historyOf(api, caseId);
  const tasks = await api.get<{ id: string; transitionId: string }[]>(`/cases/${caseId}/tasks`);
  const taskIds = new Set(tasks.body.filter((t) => t.transitionId === transitionId).map((t) => t.id));
  const completed = history.find(
    (event) => event.type === 'TaskCompleted' && taskIds.has((event.data as { taskId: string }).taskId),
  );
  return (completed?.data as { route?: Route } | undefined)?.route;
}

describe.each(STORE_KINDS)('decisions on data over HTTP on the %s store', (store: StoreKind) => {
  let service: Service;
  let api: Client;

  beforeAll(async () => {
    service = await startService(store);
    api = service.api;
  });

  afterAll(() => service.stop());

  it('the OpenAPI document describes conditions, defaults and the or join', async () => {
    type Schema = { properties: Record<string, Record<string, unknown>> };
    const reply = await api.get<{ components: { schemas: Record<string, Schema> } }>('/docs-json');
    const { ArcDto, TransitionDto, OrJoinDto } = reply.body.components.schemas;
    expect(ArcDto?.properties['condition']).toMatchObject({ type: 'string', maxLength: 1024 });
    expect(ArcDto?.properties['default']).toMatchObject({ type: 'boolean' });
    expect(TransitionDto?.properties['orJoin']).toMatchObject({
      allOf: [{ $ref: '#/components/schemas/OrJoinDto' }],
    });
    expect(OrJoinDto?.properties['split']).toMatchObject({ type: 'string' });
  });

  describe('POST /workflows with conditions', () => {
    it('stores an xor split with its condition and its default arc, and answers them', async () => {
      const id = freshId('loan');
      const reply = await api.post<Workflow>('/workflows', loanNet(id));
      expect(reply.status).toBe(201);
      expect(reply.body.transitions).toContainEqual(
        expect.objectContaining({ id: 'apply', splitType: 'xor', joinType: 'none' }),
      );
      expect(reply.body.arcs).toEqual(
        expect.arrayContaining([
          { from: 'apply', to: 'board', condition: 'case.amount > 10000' },
          { from: 'apply', to: 'clerk', default: true },
        ]),
      );
      const read = await api.get<Workflow>(`/workflows/${id}?waitFor=${reply.body.position}`);
      expect(read.body.arcs).toEqual(reply.body.arcs);
    });

    it('stores an or split and the or join paired with it', async () => {
      const id = freshId('checks');
      const reply = await api.post<Workflow>('/workflows', checksNet(id));
      expect(reply.status).toBe(201);
      expect(reply.body.transitions).toContainEqual(
        expect.objectContaining({ id: 'decide', joinType: 'or', orJoin: { split: 'assess' } }),
      );
      expect(reply.body.arcs).toContainEqual({ from: 'assess', to: 'credit', condition: 'case.risky' });
    });

    it.each([
      ['an unknown variable', 'amount > 10000', 'Unknown variable: amount (at character 1)'],
      ['a result that is not a bool', 'case.amount + 1', 'the condition gives int, not bool'],
      ['a syntax error', 'case.amount >', 'Unexpected token: EOF (at character 14)'],
      [
        'a nested macro',
        'case.items.all(i, i.tags.exists(t, t == "x"))',
        'macro exists inside macro all: a macro may not be nested',
      ],
    ])('refuses a condition with %s: 400 invalid_net naming the arc', async (_, condition, message) => {
      const id = freshId('bad-condition');
      const reply = await api.post<ErrorBody>(
        '/workflows',
        withArc(loanNet(id), 'apply', 'board', { condition }),
      );
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('invalid_net');
      expect(reply.body.details).toContainEqual(
        expect.objectContaining({ path: 'arcs[1].condition', message, rule: 'condition_invalid' }),
      );
      expect((await api.get(`/workflows/${id}`)).status).toBe(404);
    });

    it('refuses a bad condition at POST /workflows/verify too', async () => {
      const net = withArc(loanNet(freshId('verify-bad')), 'apply', 'board', { condition: 'amount > 1' });
      const reply = await api.post<ErrorBody>('/workflows/verify', net);
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('invalid_net');
      expect(reply.body.details).toContainEqual(expect.objectContaining({ path: 'arcs[1].condition' }));
    });

    it.each([
      [
        'a condition longer than 1024 characters',
        { condition: `case.note == "${'x'.repeat(1024)}"` },
        'arcs[1].condition',
      ],
      ['a condition that is not a string', { condition: 10_000 }, 'arcs[1].condition'],
      ['a null condition', { condition: null }, 'arcs[1].condition'],
      ['a default that is not a boolean', { default: 'yes' }, 'arcs[1].default'],
    ])('refuses %s: 400 validation_failed', async (_, change, path) => {
      const reply = await api.post<ErrorBody>(
        '/workflows',
        withArc(loanNet(freshId('bad-arc')), 'apply', 'board', change),
      );
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('validation_failed');
      expect(reply.body.details?.map((detail) => detail.path)).toContain(path);
    });

    it.each([
      ['a split that is not a string', { split: 5 }, 'transitions[4].orJoin.split'],
      ['no split', {}, 'transitions[4].orJoin.split'],
      ['not an object', 'assess', 'transitions[4].orJoin'],
      ['null', null, 'transitions[4].orJoin'],
    ])('refuses an orJoin that is %s: 400 validation_failed', async (_, orJoin, path) => {
      const net = checksNet(freshId('bad-or-join'));
      net.transitions = net.transitions.map((t) => (t.id === 'decide' ? { ...t, orJoin } : t));
      const reply = await api.post<ErrorBody>('/workflows', net);
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('validation_failed');
      expect(reply.body.details?.map((detail) => detail.path)).toContain(path);
    });
  });

  describe('a case of the loan net', () => {
    let workflowId: string;

    beforeAll(async () => {
      workflowId = freshId('loan-cases');
      expect((await api.post('/workflows', loanNet(workflowId))).status).toBe(201);
    });

    it('goes to the board when the amount is over 10,000, by the condition', async () => {
      const created = await createCase(api, workflowId, { amount: 12_000 });
      await workitemOf(api, created.id, 'board-review');
      expect(await routeOf(api, created.id, 'apply')).toEqual({ placeIds: ['board'], by: 'condition' });
      const tokens = await tokensOf(api, created.id);
      expect(tokens.filter((t) => t.state !== 'consumed').map((t) => t.placeId)).toEqual(['board']);
    });

    it('goes to a clerk otherwise, by the default', async () => {
      const created = await createCase(api, workflowId, { amount: 500 });
      await workitemOf(api, created.id, 'clerk-review');
      expect(await routeOf(api, created.id, 'apply')).toEqual({ placeIds: ['clerk'], by: 'default' });
    });

    it('raises a condition_failed incident when the amount is missing, and routes nothing', async () => {
      const created = await createCase(api, workflowId, { applicant: 'Ann' });
      const history = await until(
        () => historyOf(api, created.id),
        (events) => events.some((event) => event.type === 'IncidentRaised'),
      );
      const raised = history.find((event) => event.type === 'IncidentRaised')!.data as {
        kind: string;
        message: string;
      };
      expect(raised.kind).toBe('condition_failed');
      expect(raised.message).toContain('No such key: amount');
      expect(history.some((event) => event.type === 'TaskCompleted')).toBe(false);
      const tokens = await tokensOf(api, created.id, history[history.length - 1]!.position);
      expect(tokens.map((t) => [t.placeId, t.state])).toEqual([['start', 'locked']]);
    });
  });

  describe('a case of the checks net', () => {
    let workflowId: string;

    beforeAll(async () => {
      workflowId = freshId('checks-cases');
      expect((await api.post('/workflows', checksNet(workflowId))).status).toBe(201);
    });

    it('runs every check whose condition holds, and the join waits for exactly those', async () => {
      const created = await createCase(api, workflowId, { amount: 12_000, risky: true });
      await caseWhen(api, created.id, (c) => c.state === 'finished');
      expect(await routeOf(api, created.id, 'assess')).toEqual({
        placeIds: ['legal', 'credit'],
        by: 'condition',
      });
      const tokens = await tokensOf(api, created.id);
      expect(tokens.some((t) => t.placeId === 'basic')).toBe(false);
    });

    it('runs the basic check alone when no condition holds', async () => {
      const created = await createCase(api, workflowId, { amount: 10, risky: false });
      await caseWhen(api, created.id, (c) => c.state === 'finished');
      expect(await routeOf(api, created.id, 'assess')).toEqual({ placeIds: ['basic'], by: 'default' });
    });
  });
});
