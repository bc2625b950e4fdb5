import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Client, Reply } from './http/client.js';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import type { NetBody } from './http/nets.js';
import { approval, singleManual } from './http/nets.js';
import type { Workitem } from './http/resources.js';
import { createCase, workitemOf } from './http/resources.js';

jest.setTimeout(30_000);

type Caller = 'admin' | 'worker' | 'reader' | 'anonymous' | 'wrong key';
const KEYS: Readonly<Record<Caller, string | undefined>> = {
  admin: 'key-a',
  worker: 'key-w',
  reader: 'key-r',
  anonymous: undefined,
  'wrong key': 'key-nobody-has',
};
/** The keys of the callers above, with users and groups; `walt` is a second worker, in no group. */
const API_KEYS = 'key-a:admin:root,key-w:worker:wendy:staff,key-r:reader,key-walt:worker:walt';
type Role = Exclude<Caller, 'anonymous' | 'wrong key'>;

interface Ids {
  readonly caseId: string;
  readonly taskId: string;
  readonly workitemId: string;
}

interface Endpoint {
  readonly method: 'GET' | 'POST';
  /** The path, built from a live case so that reads of it succeed. */
  readonly path: (ids: Ids) => string;
  readonly body?: unknown;
  /** Who gets past the guard; everyone else gets 403 (with a key) or 401 (without one). */
  readonly allowed: 'public' | readonly Role[];
  /** What an allowed caller gets: the request is made harmless (unknown ids, invalid bodies) so nothing changes. */
  readonly answer: number;
}

const EVERYONE = ['admin', 'worker', 'reader'] as const;
const ADMIN = ['admin'] as const;
const WORKERS = ['admin', 'worker'] as const;
// Commands name ids that do not exist, or carry bodies that fail validation, so that an allowed caller's
// request is refused after the guard (and the table can run in any order without changing anything).
const MISSING_TASK = 'ghost:task-1';
const MISSING_WORKITEM = 'ghost:workitem-1';
const MISSING_INCIDENT = 'ghost:incident-1';

const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', path: () => '/health', allowed: 'public', answer: 200 },
  { method: 'GET', path: () => '/', allowed: 'public', answer: 200 },
  { method: 'GET', path: () => '/metrics', allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: () => '/workflows', allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: () => '/workflows/approval', allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: () => '/workflows/approval/diagram.svg', allowed: EVERYONE, answer: 200 },
  { method: 'POST', path: () => '/workflows', body: {}, allowed: ADMIN, answer: 400 },
  { method: 'POST', path: () => '/workflows/verify', body: {}, allowed: ADMIN, answer: 400 },
  { method: 'POST', path: () => '/workflows/no-such-net/discard', allowed: ADMIN, answer: 404 },
  {
    method: 'POST',
    path: () => '/cases',
    body: { workflowId: 'no-such-net' },
    allowed: WORKERS,
    answer: 404,
  },
  { method: 'GET', path: () => '/cases', allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: (ids) => `/cases/${ids.caseId}`, allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: (ids) => `/cases/${ids.caseId}/tokens`, allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: (ids) => `/cases/${ids.caseId}/tasks`, allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: (ids) => `/cases/${ids.caseId}/workitems`, allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: (ids) => `/cases/${ids.caseId}/timers`, allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: (ids) => `/cases/${ids.caseId}/events`, allowed: EVERYONE, answer: 200 },
  // An unknown case: the stream of a live one would stay open.
  { method: 'GET', path: () => '/cases/no-such-case/events/stream', allowed: EVERYONE, answer: 404 },
  { method: 'GET', path: (ids) => `/cases/${ids.caseId}/diagram.svg`, allowed: EVERYONE, answer: 200 },
  { method: 'POST', path: () => '/cases/no-such-case/terminate', allowed: ADMIN, answer: 404 },
  { method: 'GET', path: (ids) => `/tasks/${ids.taskId}`, allowed: EVERYONE, answer: 200 },
  { method: 'POST', path: () => `/tasks/${MISSING_TASK}/preexecute`, allowed: WORKERS, answer: 404 },
  { method: 'POST', path: () => `/tasks/${MISSING_TASK}/abandon`, allowed: ADMIN, answer: 404 },
  { method: 'GET', path: () => '/workitems', allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: (ids) => `/workitems/${ids.workitemId}`, allowed: EVERYONE, answer: 200 },
  { method: 'POST', path: () => `/workitems/${MISSING_WORKITEM}/preexecute`, allowed: WORKERS, answer: 404 },
  {
    method: 'POST',
    path: () => `/workitems/${MISSING_WORKITEM}/complete`,
    body: { output: 1 },
    allowed: WORKERS,
    answer: 404,
  },
  { method: 'POST', path: () => `/workitems/${MISSING_WORKITEM}/abandon`, allowed: WORKERS, answer: 404 },
  { method: 'POST', path: () => `/workitems/${MISSING_WORKITEM}/claim`, allowed: WORKERS, answer: 404 },
  { method: 'POST', path: () => `/workitems/${MISSING_WORKITEM}/release`, allowed: WORKERS, answer: 404 },
  { method: 'GET', path: () => '/workitems?candidate=me', allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: () => '/workitems?claimedBy=me', allowed: EVERYONE, answer: 200 },
  // Another user's claims: admins only, whatever the role's other reads.
  { method: 'GET', path: () => '/workitems?claimedBy=walt', allowed: ADMIN, answer: 200 },
  { method: 'GET', path: () => '/whoami', allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: () => '/incidents', allowed: EVERYONE, answer: 200 },
  { method: 'GET', path: () => `/incidents/${MISSING_INCIDENT}`, allowed: EVERYONE, answer: 404 },
  {
    method: 'POST',
    path: () => `/incidents/${MISSING_INCIDENT}/resolve`,
    body: { action: 'retry' },
    allowed: ADMIN,
    answer: 404,
  },
];

function expected(endpoint: Endpoint, caller: Caller): { status: number; code?: string } {
  if (endpoint.allowed === 'public') return { status: endpoint.answer };
  if (caller === 'anonymous' || caller === 'wrong key') return { status: 401, code: 'unauthorized' };
  return endpoint.allowed.includes(caller) ? { status: endpoint.answer } : { status: 403, code: 'forbidden' };
}

const describeReply = (reply: Reply<unknown>) => ({
  status: reply.status,
  code: (reply.body as { code?: unknown } | null)?.code,
});

const PLACEHOLDERS: Ids = { caseId: ':case', taskId: ':task', workitemId: ':workitem' };
const nameOf = (endpoint: Endpoint) => `${endpoint.method} ${endpoint.path(PLACEHOLDERS)}`;

const TABLE = ENDPOINTS.flatMap((endpoint) =>
  (Object.keys(KEYS) as Caller[]).map((caller) => ({ name: nameOf(endpoint), caller, endpoint })),
);

async function setUp(api: Client): Promise<Ids> {
  expect([200, 201]).toContain((await api.post('/workflows', approval())).status);
  const created = await createCase(api, 'approval');
  const approve: Workitem = await workitemOf(api, created.id, 'approve');
  return { caseId: created.id, taskId: approve.taskId, workitemId: approve.id };
}

describe('every endpoint for every role', () => {
  let service: Service;
  let ids: Ids;
  let before: string;

  beforeAll(async () => {
    service = await startService('memory', {
      env: { WFNET_API_KEYS: API_KEYS },
    });
    ids = await setUp(service.api.withKey('key-a'));
    before = (await service.api.withKey('key-a').get(`/cases/${ids.caseId}/events`)).text;
  });

  afterAll(() => service.stop());

  it.each(TABLE)('$name as $caller', async ({ caller, endpoint }) => {
    const client = service.api.withKey(KEYS[caller]);
    const reply = await client.request(endpoint.method, endpoint.path(ids), endpoint.body);
    const want = expected(endpoint, caller);
    // An allowed caller's answer comes from the handler (an SVG, a page, 404...), so only its status is fixed.
    expect(want.code ? describeReply(reply) : reply.status).toEqual(want.code ? want : want.status);
  });

  it('changed nothing while the table ran', async () => {
    const after = await service.api.withKey('key-a').get(`/cases/${ids.caseId}/events`);
    expect(after.text).toBe(before);
  });
});

describe('every endpoint without WFNET_API_KEYS', () => {
  let service: Service;
  let ids: Ids;

  beforeAll(async () => {
    service = await startService('memory');
    ids = await setUp(service.api);
  });

  afterAll(() => service.stop());

  it.each(ENDPOINTS.map((endpoint) => ({ endpoint, name: nameOf(endpoint) })))(
    'lets anyone through to $name',
    async ({ endpoint }) => {
      const reply = await service.api.request(endpoint.method, endpoint.path(ids), endpoint.body);
      expect(reply.status).toBe(endpoint.answer);
    },
  );
});

type Action = 'claim' | 'complete' | 'abandon' | 'release';
type Person = 'wendy' | 'walt' | 'root';
const PERSON_KEYS: Readonly<Record<Person, string>> = { wendy: 'key-w', walt: 'key-walt', root: 'key-a' };

interface Situation {
  readonly name: string;
  /** What the workitem is when the caller acts: assigned to the `staff` group, or claimed by wendy. */
  readonly workitem: 'assigned to staff' | 'claimed by wendy';
  readonly caller: Person;
}

// wendy is a worker in `staff`, walt a worker in no group, root an admin (who may set the rules aside).
const SITUATIONS: readonly Situation[] = [
  { name: 'a candidate', workitem: 'assigned to staff', caller: 'wendy' },
  { name: 'not a candidate', workitem: 'assigned to staff', caller: 'walt' },
  { name: 'an admin, not a candidate', workitem: 'assigned to staff', caller: 'root' },
  { name: 'the claimer', workitem: 'claimed by wendy', caller: 'wendy' },
  { name: 'another user', workitem: 'claimed by wendy', caller: 'walt' },
  { name: 'an admin, not the claimer', workitem: 'claimed by wendy', caller: 'root' },
];

/** What each action answers in each situation: a status, and the code of a refusal. */
function outcome(action: Action, { workitem, caller }: Situation): { status: number; code?: string } {
  if (caller === 'root') return { status: 200 };
  if (workitem === 'assigned to staff') {
    // Releasing an unclaimed workitem changes nothing, whoever asks.
    if (caller === 'walt' && action !== 'release') return { status: 403, code: 'not_a_candidate' };
    return { status: 200 };
  }
  return caller === 'wendy' ? { status: 200 } : { status: 409, code: 'workitem_claimed' };
}

const ACTIONS: readonly Action[] = ['claim', 'complete', 'abandon', 'release'];
const PEOPLE_TABLE = ACTIONS.flatMap((action) =>
  SITUATIONS.map((situation) => ({ action, situation, want: outcome(action, situation) })),
);

/** `start → review → end`, `review` offered to the `staff` group only. */
function staffReview(): NetBody {
  const net = singleManual('staff-review');
  net.transitions = [{ id: 'review', executor: 'manual', assignment: { candidateGroups: ['staff'] } }];
  return net;
}

describe('the workitem actions for candidates and claimers', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory', { env: { WFNET_API_KEYS: API_KEYS } });
    const admin = service.api.withKey('key-a');
    for (const net of [staffReview(), singleManual('open-review')]) {
      expect([200, 201]).toContain((await admin.post('/workflows', net)).status);
    }
  });

  afterAll(() => service.stop());

  /** A fresh workitem in the situation's state: each row acts on its own. */
  async function workitemIn(situation: Situation): Promise<Workitem> {
    const admin = service.api.withKey('key-a');
    const assigned = situation.workitem === 'assigned to staff';
    const created = await createCase(admin, assigned ? 'staff-review' : 'open-review');
    const review = await workitemOf(admin, created.id, 'review');
    if (!assigned) {
      const claim = await service.api.withKey(PERSON_KEYS.wendy).post(`/workitems/${review.id}/claim`);
      expect(claim.status).toBe(200);
    }
    return review;
  }

  it.each(PEOPLE_TABLE.map((row) => ({ ...row, name: row.situation.name })))(
    '$action by $name answers $want.status $want.code',
    async ({ action, situation, want }) => {
      const review = await workitemIn(situation);
      const client = service.api.withKey(PERSON_KEYS[situation.caller]);
      const reply = await client.post(
        `/workitems/${review.id}/${action}`,
        action === 'complete' ? { output: 'ok' } : undefined,
      );
      expect(want.code ? describeReply(reply) : reply.status).toEqual(want.code ? want : want.status);
    },
  );
});
