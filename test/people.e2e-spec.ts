import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Client, ErrorBody } from './http/client.js';
import type { Service } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import type { NetBody } from './http/nets.js';
import { singleManual } from './http/nets.js';
import type { HistoryEvent, Page, Workitem } from './http/resources.js';
import { createCase, defineWorkflow, historyOf, workitemOf } from './http/resources.js';

jest.setTimeout(30_000);

/** `start → review → end`, `review` completed through a form. */
function formNet(id: string, outputSchema: Record<string, unknown>): NetBody {
  const net = singleManual(id);
  net.transitions = [{ id: 'review', executor: 'manual', outputSchema }];
  return net;
}

const EXPENSE_FORM = {
  type: 'object',
  required: ['approved', 'amount'],
  properties: {
    approved: { type: 'boolean' },
    amount: { type: 'number', minimum: 0 },
    paidOn: { type: 'string', format: 'date' },
    lines: {
      type: 'array',
      items: { type: 'object', required: ['qty'], properties: { qty: { type: 'integer', minimum: 1 } } },
    },
  },
};

describe('forms', () => {
  let service: Service;
  let api: Client;

  beforeAll(async () => {
    service = await startService('memory');
    api = service.api;
    await defineWorkflow(api, formNet('expense', EXPENSE_FORM));
  });

  afterAll(() => service.stop());

  async function openReview(): Promise<Workitem> {
    const created = await createCase(api, 'expense');
    return workitemOf(api, created.id, 'review');
  }

  it('completes a workitem whose output satisfies the schema', async () => {
    const review = await openReview();
    const output = { approved: true, amount: 120.5, paidOn: '2026-03-01', lines: [{ qty: 2 }] };
    const reply = await api.post<Workitem>(`/workitems/${review.id}/complete`, { output });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ state: 'completed', output });
  });

  it('refuses an output that does not, with each violation at its path, and changes nothing', async () => {
    const review = await openReview();
    const before = await historyOf(api, review.caseId);
    const reply = await api.post<ErrorBody>(`/workitems/${review.id}/complete`, {
      output: { amount: -3, paidOn: '31/02/2026', lines: [{ qty: 1 }, { qty: 'two' }] },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('validation_failed');
    expect(reply.body.message).toMatch(`the output of workitem ${review.id} does not satisfy`);
    expect([...(reply.body.details ?? [])].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: '/output/amount', message: 'must be >= 0' },
      { path: '/output/approved', message: 'is required' },
      { path: '/output/lines/1/qty', message: 'must be integer' },
      { path: '/output/paidOn', message: 'must match format "date"' },
    ]);
    expect(await historyOf(api, review.caseId)).toEqual(before);
  });

  it('refuses a missing output as the schema refuses null', async () => {
    const review = await openReview();
    const reply = await api.post<ErrorBody>(`/workitems/${review.id}/complete`, {});
    expect(reply.status).toBe(400);
    expect(reply.body.details).toEqual([{ path: '/output', message: 'must be object' }]);
  });

  it('answers a workitem that has ended with 409, whatever its output', async () => {
    const review = await openReview();
    const output = { approved: false, amount: 0 };
    expect((await api.post(`/workitems/${review.id}/complete`, { output })).status).toBe(200);
    const again = await api.post<ErrorBody>(`/workitems/${review.id}/complete`, { output: 'no form' });
    expect([again.status, again.body.code]).toEqual([409, 'workitem_not_available']);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a type that does not exist', { type: 'money' }, /schema is invalid/],
    ['a misspelt keyword', { type: 'object', propertes: {} }, /unknown keyword: "propertes"/],
    ['a $ref to elsewhere', { $ref: 'https://forms.example/expense.json' }, /can't resolve reference/],
  ])(
    'refuses a definition whose schema has %s (invalid_net, output_schema_invalid)',
    async (_what, schema, why) => {
      const reply = await api.post<ErrorBody>('/workflows', formNet('bad-form', schema));
      expect([reply.status, reply.body.code]).toEqual([400, 'invalid_net']);
      expect(reply.body.details).toEqual([
        expect.objectContaining({ path: 'transitions[0].outputSchema', rule: 'output_schema_invalid' }),
      ]);
      expect(reply.body.details?.[0]?.message).toMatch(why);
      expect((await api.get('/workflows/bad-form')).status).toBe(404);
    },
  );

  it('refuses a schema over 16 KiB before compiling it', async () => {
    const schema = { type: 'string', description: 'x'.repeat(16 * 1024) };
    const reply = await api.post<ErrorBody>('/workflows', formNet('huge-form', schema));
    expect([reply.status, reply.body.code]).toEqual([400, 'invalid_net']);
    expect(reply.body.details?.[0]?.message).toMatch(/bytes of JSON; at most 16384/);
  });

  it('documents claim, release, the work-list filters and the people members in OpenAPI', async () => {
    type Operation = { parameters?: { name: string; in: string }[] };
    const reply = await api.get<{
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: { TransitionDto: { properties: Record<string, unknown> } } };
    }>('/docs-json');
    const { paths } = reply.body;
    expect(Object.keys(paths['/workitems/{id}/claim'] ?? {})).toEqual(['post']);
    expect(Object.keys(paths['/workitems/{id}/release'] ?? {})).toEqual(['post']);
    const filters = (paths['/workitems']?.['get']?.parameters ?? []).map((p) => `${p.in}:${p.name}`);
    expect(filters).toEqual(expect.arrayContaining(['query:candidate', 'query:claimedBy']));
    expect(Object.keys(reply.body.components.schemas.TransitionDto.properties)).toEqual(
      expect.arrayContaining(['assignment', 'separateFrom', 'outputSchema']),
    );
  });

  it('answers the schema with the workflow, as it was defined', async () => {
    const reply = await api.get<{ transitions: { outputSchema?: unknown }[] }>('/workflows/expense');
    expect(reply.body.transitions[0]?.outputSchema).toEqual(EXPENSE_FORM);
  });
});

/** Keys of `key:role:user:groups`: an admin, three workers in groups, and a reader. */
const KEYS =
  'k-root:admin:root,k-ann:worker:ann:clerks,k-bob:worker:bob:managers,k-cy:worker:cy:managers|finance,k-read:reader';

/** The people representation fields of a workitem. */
interface PeopleWorkitem extends Workitem {
  readonly claimedBy: string | null;
  readonly candidateGroups: readonly string[];
  readonly candidateUsers: readonly string[];
  readonly assignee: string | null;
  readonly completedBy: string | null;
  readonly position: string;
}

/**
 * A purchase: someone submits it, a manager approves it (not the submitter: four eyes), and the case's
 * `owner` files it (the assignee).
 */
function purchaseNet(): NetBody {
  return {
    id: 'purchase',
    places: [
      { id: 'start', type: 'start' },
      { id: 'submitted' },
      { id: 'approved' },
      { id: 'end', type: 'end' },
    ],
    transitions: [
      { id: 'submit', executor: 'manual' },
      {
        id: 'approve',
        executor: 'manual',
        assignment: { candidateGroups: ['managers'] },
        separateFrom: ['submit'],
      },
      { id: 'file', executor: 'manual', assignment: { assignee: 'case.owner' } },
    ],
    arcs: [
      { from: 'start', to: 'submit' },
      { from: 'submit', to: 'submitted' },
      { from: 'submitted', to: 'approve' },
      { from: 'approve', to: 'approved' },
      { from: 'approved', to: 'file' },
      { from: 'file', to: 'end' },
    ],
  };
}

const eventsOf = (history: readonly HistoryEvent[], type: string) =>
  history.filter((e) => e.type === type).map((e) => e.data);

describe.each(STORE_KINDS)('people, on the %s store', (store) => {
  let service: Service;
  let root: Client;
  let ann: Client;
  let bob: Client;
  let cy: Client;

  beforeAll(async () => {
    service = await startService(store, { env: { WFNET_API_KEYS: KEYS } });
    [root, ann, bob, cy] = ['k-root', 'k-ann', 'k-bob', 'k-cy'].map((key) => service.api.withKey(key)) as [
      Client,
      Client,
      Client,
      Client,
    ];
    await defineWorkflow(root, singleManual('claims'));
    await defineWorkflow(root, purchaseNet());
  });

  afterAll(() => service.stop());

  const post = <T = PeopleWorkitem>(client: Client, workitemId: string, action: string, body?: unknown) =>
    client.post<T>(`/workitems/${workitemId}/${action}`, body);

  const refusal = async (client: Client, workitemId: string, action: string, body?: unknown) => {
    const reply = await post<ErrorBody>(client, workitemId, action, body);
    return [reply.status, reply.body.code];
  };

  async function openReview(): Promise<PeopleWorkitem> {
    const created = await createCase(root, 'claims');
    return (await workitemOf(root, created.id, 'review')) as PeopleWorkitem;
  }

  /** A purchase whose `submit` `submitter` completed: its `approve` workitem. */
  async function submitted(submitter: Client, owner = 'ann'): Promise<PeopleWorkitem> {
    const created = await createCase(root, 'purchase', { owner });
    const submit = await workitemOf(root, created.id, 'submit');
    expect((await post(submitter, submit.id, 'complete', { output: { item: 'desk' } })).status).toBe(200);
    return (await workitemOf(root, created.id, 'approve')) as PeopleWorkitem;
  }

  describe('claims', () => {
    it('claims a workitem for the caller, recorded with who', async () => {
      const review = await openReview();
      const claimed = await post(ann, review.id, 'claim');
      expect(claimed.status).toBe(200);
      expect(claimed.body).toMatchObject({ id: review.id, state: 'started', claimedBy: 'ann' });
      expect(claimed.body.position).toMatch(/^[0-9]+$/);
      expect(eventsOf(await historyOf(root, review.caseId), 'WorkitemClaimed')).toEqual([
        expect.objectContaining({ workitemId: review.id, by: 'ann' }),
      ]);
    });

    it('claims one’s own claim again without a new event', async () => {
      const review = await openReview();
      await post(ann, review.id, 'claim');
      const before = await historyOf(root, review.caseId);
      expect((await post(ann, review.id, 'claim')).body.claimedBy).toBe('ann');
      expect(await historyOf(root, review.caseId)).toEqual(before);
    });

    it('refuses someone else’s claim, their completion and abandonment with 409 workitem_claimed', async () => {
      const review = await openReview();
      await post(ann, review.id, 'claim');
      const before = await historyOf(root, review.caseId);
      expect(await refusal(bob, review.id, 'claim')).toEqual([409, 'workitem_claimed']);
      expect(await refusal(bob, review.id, 'complete', { output: 1 })).toEqual([409, 'workitem_claimed']);
      expect(await refusal(bob, review.id, 'abandon')).toEqual([409, 'workitem_claimed']);
      expect(await refusal(bob, review.id, 'release')).toEqual([409, 'workitem_claimed']);
      expect(await historyOf(root, review.caseId)).toEqual(before);
    });

    it('releases a claim, so that someone else may claim it', async () => {
      const review = await openReview();
      await post(ann, review.id, 'claim');
      const released = await post(ann, review.id, 'release');
      expect([released.status, released.body.claimedBy]).toEqual([200, null]);
      expect((await post(bob, review.id, 'claim')).body.claimedBy).toBe('bob');
      expect(eventsOf(await historyOf(root, review.caseId), 'WorkitemReleased')).toEqual([
        expect.objectContaining({ by: 'ann', claimedBy: 'ann' }),
      ]);
    });

    it('answers the release of an unclaimed workitem as it is, recording nothing', async () => {
      const review = await openReview();
      const before = await historyOf(root, review.caseId);
      const reply = await post(ann, review.id, 'release');
      expect([reply.status, reply.body.claimedBy]).toEqual([200, null]);
      expect(await historyOf(root, review.caseId)).toEqual(before);
    });

    it('lets an admin take over someone’s claim, recorded as an override', async () => {
      const review = await openReview();
      await post(ann, review.id, 'claim');
      expect((await post(root, review.id, 'claim')).body.claimedBy).toBe('root');
      const history = await historyOf(root, review.caseId);
      expect(eventsOf(history, 'WorkitemReleased')).toEqual([
        expect.objectContaining({ by: 'root', claimedBy: 'ann', override: ['workitem_claimed'] }),
      ]);
      expect(eventsOf(history, 'WorkitemClaimed').at(-1)).toMatchObject({ by: 'root' });
    });

    it('lets an admin release someone’s claim, recorded as an override', async () => {
      const review = await openReview();
      await post(ann, review.id, 'claim');
      expect((await post(root, review.id, 'release')).body.claimedBy).toBeNull();
      expect(eventsOf(await historyOf(root, review.caseId), 'WorkitemReleased')).toEqual([
        expect.objectContaining({ by: 'root', claimedBy: 'ann', override: ['workitem_claimed'] }),
      ]);
    });

    it('drops the claim of a workitem that ended, and refuses to claim or release it', async () => {
      const review = await openReview();
      await post(ann, review.id, 'claim');
      const done = await post(ann, review.id, 'complete', { output: 'ok' });
      expect(done.body).toMatchObject({ state: 'completed', claimedBy: null, completedBy: 'ann' });
      expect(await refusal(ann, review.id, 'claim')).toEqual([409, 'workitem_not_available']);
      expect(await refusal(ann, review.id, 'release')).toEqual([409, 'workitem_not_available']);
    });

    it('refuses a reader with 403 forbidden', async () => {
      const review = await openReview();
      const reader = service.api.withKey('k-read');
      expect(await refusal(reader, review.id, 'claim')).toEqual([403, 'forbidden']);
      expect(await refusal(reader, review.id, 'release')).toEqual([403, 'forbidden']);
    });
  });

  describe('candidates', () => {
    it('refuses a worker outside the candidate groups with 403 not_a_candidate, to claim or complete', async () => {
      const approve = await submitted(cy);
      expect(approve.candidateGroups).toEqual(['managers']);
      expect(await refusal(ann, approve.id, 'claim')).toEqual([403, 'not_a_candidate']);
      expect(await refusal(ann, approve.id, 'complete', { output: 'ok' })).toEqual([403, 'not_a_candidate']);
    });

    it('lets a member of a candidate group complete it, recorded with who', async () => {
      const approve = await submitted(ann);
      const done = await post(bob, approve.id, 'complete', { output: { approved: true } });
      expect(done.body).toMatchObject({ state: 'completed', completedBy: 'bob' });
      const completions = eventsOf(await historyOf(root, approve.caseId), 'WorkitemUpdated').filter(
        (e) => e['state'] === 'completed',
      );
      expect(completions.map((e) => e['by'])).toEqual(['ann', 'bob']);
    });

    it('names the assignee from the case data, and lets only them (or an admin) complete it', async () => {
      const approve = await submitted(ann, 'cy');
      await post(bob, approve.id, 'complete', { output: { approved: true } });
      const file = (await workitemOf(root, approve.caseId, 'file')) as PeopleWorkitem;
      expect([file.assignee, file.candidateGroups, file.candidateUsers]).toEqual(['cy', [], []]);
      expect(await refusal(bob, file.id, 'complete', { output: 'filed' })).toEqual([403, 'not_a_candidate']);
      expect((await post(cy, file.id, 'complete', { output: 'filed' })).body.completedBy).toBe('cy');
    });
  });

  describe('four eyes', () => {
    it('refuses the submitter the approval with 403 separation_of_duties, and changes nothing', async () => {
      const approve = await submitted(cy);
      const before = await historyOf(root, approve.caseId);
      expect(await refusal(cy, approve.id, 'complete', { output: 'mine' })).toEqual([
        403,
        'separation_of_duties',
      ]);
      expect(await historyOf(root, approve.caseId)).toEqual(before);
    });

    it('lets another candidate approve', async () => {
      const approve = await submitted(cy);
      expect((await post(bob, approve.id, 'complete', { output: 'fine' })).status).toBe(200);
    });

    it('lets an admin approve their own submission, the rules set aside recorded on the event', async () => {
      const approve = await submitted(root);
      expect((await post(root, approve.id, 'complete', { output: 'self' })).status).toBe(200);
      const approval = eventsOf(await historyOf(root, approve.caseId), 'WorkitemUpdated').find(
        (e) => e['workitemId'] === approve.id && e['state'] === 'completed',
      );
      expect(approval).toMatchObject({ by: 'root' });
      expect([...((approval?.['override'] as string[]) ?? [])].sort()).toEqual([
        'not_a_candidate',
        'separation_of_duties',
      ]);
    });
  });

  describe('lists', () => {
    const ids = (page: Page<Workitem>) => page.items.map((w) => w.id);

    it('lists what the caller may work (?candidate=me) and what they claimed (?claimedBy=me)', async () => {
      const review = await openReview();
      const approve = await submitted(ann);
      const claimed = await post(bob, approve.id, 'claim');
      const at = `&caseId=${approve.caseId}&waitFor=${claimed.body.position}`;
      const reviewAt = `&caseId=${review.caseId}&waitFor=${claimed.body.position}`;
      expect(ids((await bob.get<Page<Workitem>>(`/workitems?claimedBy=me${at}`)).body)).toEqual([approve.id]);
      expect(ids((await bob.get<Page<Workitem>>(`/workitems?candidate=me${at}`)).body)).toEqual([approve.id]);
      expect(ids((await cy.get<Page<Workitem>>(`/workitems?candidate=me${at}`)).body)).toEqual([]);
      expect(ids((await ann.get<Page<Workitem>>(`/workitems?candidate=me${at}`)).body)).toEqual([]);
      expect(ids((await ann.get<Page<Workitem>>(`/workitems?candidate=me${reviewAt}`)).body)).toEqual([
        review.id,
      ]);
      expect(ids((await ann.get<Page<Workitem>>(`/workitems?claimedBy=me${at}`)).body)).toEqual([]);
    });

    it('lets only an admin list another user’s claims', async () => {
      const approve = await submitted(ann);
      const claimed = await post(bob, approve.id, 'claim');
      const query = `/workitems?claimedBy=bob&caseId=${approve.caseId}&waitFor=${claimed.body.position}`;
      const refused = await ann.get<ErrorBody>(query);
      expect([refused.status, refused.body.code]).toEqual([403, 'forbidden']);
      expect(ids((await root.get<Page<Workitem>>(query)).body)).toEqual([approve.id]);
      expect((await bob.get(query)).status).toBe(200);
    });

    it('refuses a candidate other than me', async () => {
      const reply = await ann.get<ErrorBody>('/workitems?candidate=bob');
      expect([reply.status, reply.body.code]).toEqual([400, 'validation_failed']);
    });
  });
});
