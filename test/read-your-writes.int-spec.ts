import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { choiceNet } from '../apps/api/src/soak/matrix-nets.js';
import type { Answer, Service } from '../apps/api/src/soak/service-process.js';
import { call, killServices, startServiceWith } from '../apps/api/src/soak/service-process.js';
import { startTestPostgres } from './postgres.js';
import type { TestPostgres } from './postgres.js';

// Two api processes on one PostgreSQL store, each with its own read models: a write answered by A names
// a global position, and B, asked to wait for it, answers what A wrote.

const ROUNDS = 30;
const dir = mkdtempSync(join(tmpdir(), 'wfnet-read-your-writes-'));
let postgres: TestPostgres;
let a: Service;
let b: Service;

const start = (storeUrl: string, name: string): Promise<Service> =>
  startServiceWith(
    {
      WFNET_EVENT_STORE: storeUrl,
      WFNET_READ_STORE: `sqlite:${join(dir, `${name}-read.db`)}`,
      WFNET_PROCESS_NAME: name,
    },
    60_000,
  );

beforeAll(async () => {
  postgres = await startTestPostgres();
  const storeUrl = await postgres.database();
  a = await start(storeUrl, 'a');
  b = await start(storeUrl, 'b');
  const defined = await call(a.base, 'POST', '/workflows', choiceNet());
  expect(defined.status).toBe(201);
}, 120_000);

afterAll(async () => {
  killServices();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Positioned {
  readonly position: string;
}
interface CaseDoc extends Positioned {
  readonly id: string;
  readonly state: string;
}
interface WorkitemDoc {
  readonly id: string;
  readonly state: string;
}

const bodyOf = <T>(answer: Answer): T => answer.body as T;

/** A case of the deferred choice created through A, and one of its two started workitems, as A lists them. */
async function caseWithWorkitem(id: string): Promise<{ created: CaseDoc; workitemId: string }> {
  const created = await call(a.base, 'POST', '/cases', { workflowId: 'choice', id });
  expect(created.status).toBe(201);
  const position = bodyOf<CaseDoc>(created).position;
  for (let tries = 0; ; tries++) {
    const listed = await call(a.base, 'GET', `/workitems?caseId=${id}&state=started&waitFor=${position}`);
    const items = bodyOf<{ items: WorkitemDoc[] }>(listed).items;
    if (items.length > 0) return { created: bodyOf<CaseDoc>(created), workitemId: items[0]!.id };
    if (tries > 100) throw new Error(`case ${id} has no started workitem through A`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('read-your-writes across two processes on one PostgreSQL store', () => {
  it('a case created through A and a workitem completed through A are read through B with waitFor at once, never missing nor stale', async () => {
    const waits: number[] = [];
    const timed = async (path: string): Promise<Answer> => {
      const began = performance.now();
      const answer = await call(b.base, 'GET', path);
      waits.push(performance.now() - began);
      return answer;
    };
    for (let i = 0; i < ROUNDS; i++) {
      const id = `ryw-wait-${i}`;
      const created = await call(a.base, 'POST', '/cases', { workflowId: 'choice', id });
      expect(created.status).toBe(201);
      const position = bodyOf<CaseDoc>(created).position;

      const read = await timed(`/cases/${id}?waitFor=${position}`);
      expect(read.status).toBe(200);
      expect(bodyOf<CaseDoc>(read).id).toBe(id);
      expect(BigInt(bodyOf<CaseDoc>(read).position)).toBeGreaterThanOrEqual(BigInt(position));
    }

    for (let i = 0; i < ROUNDS; i++) {
      const { workitemId } = await caseWithWorkitem(`ryw-complete-wait-${i}`);
      const completed = await call(a.base, 'POST', `/workitems/${workitemId}/complete`, { output: { i } });
      expect(completed.status).toBe(200);
      const position = bodyOf<Positioned>(completed).position;

      const read = await timed(`/workitems/${workitemId}?waitFor=${position}`);
      expect(read.status).toBe(200);
      expect(bodyOf<WorkitemDoc>(read).state).toBe('completed');
    }
    waits.sort((x, y) => x - y);
    console.info(
      `read-your-writes with waitFor: B answered ${waits.length} reads of A's writes, p50 ` +
        `${waits[Math.floor(waits.length / 2)]!.toFixed(1)} ms, max ${waits.at(-1)!.toFixed(1)} ms`,
    );
  }, 120_000);

  it('without waitFor, B often answers 404 for a case A has just created, or a workitem A has just completed as still started', async () => {
    let missing = 0;
    let stale = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const id = `ryw-nowait-${i}`;
      const created = await call(a.base, 'POST', '/cases', { workflowId: 'choice', id });
      expect(created.status).toBe(201);
      const read = await call(b.base, 'GET', `/cases/${id}`);
      expect([200, 404]).toContain(read.status);
      if (read.status === 404) missing++;
    }
    for (let i = 0; i < ROUNDS; i++) {
      const { workitemId } = await caseWithWorkitem(`ryw-complete-nowait-${i}`);
      const completed = await call(a.base, 'POST', `/workitems/${workitemId}/complete`, { output: { i } });
      expect(completed.status).toBe(200);
      const read = await call(b.base, 'GET', `/workitems/${workitemId}`);
      expect([200, 404]).toContain(read.status);
      if (read.status === 404 || bodyOf<WorkitemDoc>(read).state !== 'completed') stale++;
    }
    console.info(
      `read-your-writes without waitFor: B answered 404 for ${missing} of ${ROUNDS} cases A had just created, ` +
        `and a stale state for ${stale} of ${ROUNDS} workitems A had just completed`,
    );
    expect(missing + stale).toBeGreaterThan(0);
  }, 120_000);
});
