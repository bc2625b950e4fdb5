import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ErrorBody, Reply } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';
import { approval, singleManual } from './http/nets.js';
import type { HistoryEvent, Workitem } from './http/resources.js';
import { caseWhen, createCase, defineWorkflow, historyOf, workitemOf } from './http/resources.js';

jest.setTimeout(30_000);

const codeOf = (reply: Reply<unknown>): string | undefined => (reply.body as Partial<ErrorBody>).code;

/** The events of the history about one workitem (or its task), in order. */
function eventsOf(history: readonly HistoryEvent[], type: string, key: 'workitemId' | 'taskId', id: string) {
  return history.filter((e) => e.type === type && e.data[key] === id);
}

function terminalUpdates(history: readonly HistoryEvent[], workitemId: string): readonly HistoryEvent[] {
  return eventsOf(history, 'WorkitemUpdated', 'workitemId', workitemId).filter(
    (e) => e.data['state'] === 'completed' || e.data['state'] === 'abandoned',
  );
}

describe.each(STORE_KINDS)('concurrent clients on the %s store', (store: StoreKind) => {
  let service: Service;

  beforeAll(async () => {
    service = await startService(store);
    await defineWorkflow(service.api, singleManual());
    await defineWorkflow(service.api, approval());
  });

  afterAll(() => service.stop());

  it('lets exactly one of 20 concurrent completes of a workitem through, and records it once', async () => {
    const created = await createCase(service.api, 'single-manual');
    const workitem = await workitemOf(service.api, created.id, 'review');
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        service.api.post(`/workitems/${workitem.id}/complete`, { output: { client: i } }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const refused of replies.filter((r) => r.status !== 200)) {
      expect({ status: refused.status, statusCode: (refused.body as ErrorBody).statusCode }).toEqual({
        status: 409,
        statusCode: 409,
      });
      // The case finished with the winner, but a losing client learns that the workitem is done.
      expect(codeOf(refused)).toBe('workitem_not_available');
    }
    const history = await historyOf(service.api, created.id);
    const completed = terminalUpdates(history, workitem.id);
    expect(completed).toHaveLength(1);
    expect(completed[0]!.data['state']).toBe('completed');
    // The output recorded is the winner's.
    const winner = replies.findIndex((r) => r.status === 200);
    expect(completed[0]!.data['output']).toEqual({ client: winner });
    expect(history.filter((e) => e.type === 'CaseFinished')).toHaveLength(1);
    await caseWhen(service.api, created.id, (c) => c.state === 'finished');
  });

  it('gives the token of a deferred choice to exactly one of approve and reject, ten times over', async () => {
    for (let round = 0; round < 10; round += 1) {
      const created = await createCase(service.api, 'approval');
      const approve = await workitemOf(service.api, created.id, 'approve');
      const reject = await workitemOf(service.api, created.id, 'reject');
      const contenders: readonly Workitem[] = [approve, reject, approve, reject, approve, reject];
      const replies = await Promise.all(
        contenders.map((w) => service.api.post(`/workitems/${w.id}/preexecute`)),
      );
      const winners = new Set(
        contenders.filter((_, i) => replies[i]!.status === 200).map((w) => w.transitionId),
      );
      expect(winners.size).toBe(1);
      replies.forEach((reply, i) => {
        const won = winners.has(contenders[i]!.transitionId);
        if (won) expect(reply.status).toBe(200);
        else
          expect({ status: reply.status, code: codeOf(reply) }).toEqual({
            status: 409,
            code: 'tokens_not_available',
          });
      });
      const history = await historyOf(service.api, created.id);
      const winnerTask = (winners.has('approve') ? approve : reject).taskId;
      const loserTask = (winners.has('approve') ? reject : approve).taskId;
      expect(eventsOf(history, 'TokensLocked', 'taskId', winnerTask)).toHaveLength(1);
      expect(eventsOf(history, 'TokensLocked', 'taskId', loserTask)).toHaveLength(0);
    }
  });

  it('settles a mix of completes, abandons and preexecutes on one workitem on a single outcome', async () => {
    for (let round = 0; round < 5; round += 1) {
      const created = await createCase(service.api, 'single-manual');
      const workitem = await workitemOf(service.api, created.id, 'review');
      const before = await historyOf(service.api, created.id);
      const actions = ['complete', 'abandon', 'preexecute'] as const;
      const sent = Array.from({ length: 15 }, (_, i) => actions[(i + round) % actions.length]!);
      const replies = await Promise.all(
        sent.map((action) =>
          service.api.post(
            `/workitems/${workitem.id}/${action}`,
            action === 'complete' ? { output: 'done' } : undefined,
          ),
        ),
      );
      for (const reply of replies) {
        expect(reply.status).toBeLessThan(500);
        if (reply.status !== 200) {
          expect({ status: reply.status, statusCode: (reply.body as ErrorBody).statusCode }).toEqual({
            status: 409,
            statusCode: 409,
          });
        }
      }
      const history = await historyOf(service.api, created.id);
      const outcomes = terminalUpdates(history, workitem.id);
      expect(outcomes).toHaveLength(1);
      const outcome = outcomes[0]!.data['state'] as 'completed' | 'abandoned';
      const accepted = (action: string) => sent.filter((a, i) => a === action && replies[i]!.status === 200);
      // Exactly the winning kind of ending went through, once; the other kind was refused every time.
      if (outcome === 'completed') {
        expect(accepted('complete')).toHaveLength(1);
        expect(accepted('abandon')).toHaveLength(0);
        await caseWhen(service.api, created.id, (c) => c.state === 'finished');
      } else {
        expect(accepted('abandon')).toHaveLength(1);
        expect(accepted('complete')).toHaveLength(0);
        // The token is offered again: a new review workitem is started for it.
        const next = await workitemOf(service.api, created.id, 'review');
        expect(next.id).not.toBe(workitem.id);
      }
      // Whatever number of preexecutes got a 200, the tokens were locked at most once.
      expect(eventsOf(history, 'TokensLocked', 'taskId', workitem.taskId).length).toBeLessThanOrEqual(1);
      if (outcome === 'completed') {
        expect(eventsOf(history, 'TokensLocked', 'taskId', workitem.taskId)).toHaveLength(1);
      }
      // Refused requests recorded nothing: the race added one update of the workitem, its ending, and the
      // history before the race is untouched.
      expect(history.slice(0, before.length)).toEqual(before);
      const added = history.slice(before.length);
      expect(eventsOf(added, 'WorkitemUpdated', 'workitemId', workitem.id)).toEqual(outcomes);
      expect(eventsOf(added, 'TokensUnlocked', 'taskId', workitem.taskId).length).toBeLessThanOrEqual(1);
    }
  });
});
