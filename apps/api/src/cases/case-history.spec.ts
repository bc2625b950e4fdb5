import { describe, expect, it } from '@jest/globals';
import type { CaseEvent, Route } from '@wfnet/domain';
import { caseStreamId, exampleNets } from '@wfnet/domain';
import { randomUUID } from 'node:crypto';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { CaseHistory } from './case-history.js';

const at = '2026-01-01T00:00:00.000Z';
const caseId = 'loan-1';
const started = (taskId: string, transitionId: string): CaseEvent => ({
  type: 'TaskStarted',
  data: { caseId, taskId, transitionId, at },
});
const completed = (taskId: string, route?: Route): CaseEvent => ({
  type: 'TaskCompleted',
  data: { caseId, taskId, tokenPayload: null, at, ...(route && { route }) },
});

/** A history of the loan net's decisions: register, then plan-checks twice, then a plain completion. */
const history: CaseEvent[] = [
  {
    type: 'CaseCreated',
    data: { caseId, workflowId: 'loan-approval', definition: exampleNets.loanApprovalNet(), data: {}, at },
  },
  { type: 'CaseActivated', data: { caseId, at } },
  started('t1', 'register'),
  completed('t1', { placeIds: ['to-board'], by: 'condition' }),
  started('t2', 'plan-checks'),
  completed('t2', { placeIds: ['kyc', 'fraud'], by: 'condition' }),
  started('t3', 'plan-checks'),
  completed('t3', { placeIds: ['basic'], by: 'operator' }),
  started('t4', 'board-review'),
  completed('t4'),
];

async function caseHistory(): Promise<CaseHistory> {
  const store = new MemoryEventStore();
  await store.append(
    caseStreamId(caseId),
    history.map((event) => ({ id: randomUUID(), ...event })),
    'no_stream',
  );
  return new CaseHistory(store);
}

describe('the routes of a case at a revision', () => {
  it('are the last route each deciding transition took, by transition id', async () => {
    const { routes } = await (await caseHistory()).atRevision(caseId);
    expect(routes).toEqual(
      new Map<string, Route>([
        ['register', { placeIds: ['to-board'], by: 'condition' }],
        ['plan-checks', { placeIds: ['basic'], by: 'operator' }],
      ]),
    );
  });

  it('are those taken up to that revision', async () => {
    const cases = await caseHistory();
    expect((await cases.atRevision(caseId, 5n)).routes).toEqual(
      new Map<string, Route>([
        ['register', { placeIds: ['to-board'], by: 'condition' }],
        ['plan-checks', { placeIds: ['kyc', 'fraud'], by: 'condition' }],
      ]),
    );
    expect((await cases.atRevision(caseId, 2n)).routes).toEqual(new Map());
  });
});

describe("a page of a case's history", () => {
  it('is the events asked for, however many slices it is read in', async () => {
    const events = await (await caseHistory()).page(caseId, 0n, 1_000);
    expect(events.map((event) => event.revision)).toEqual(history.map((_, revision) => BigInt(revision)));
    const middle = await (await caseHistory()).page(caseId, 3n, 4);
    expect(middle.map((event) => event.type)).toEqual(history.slice(3, 7).map((event) => event.type));
  });

  it('is read in smaller slices, a turn of the event loop each, while slices take long', async () => {
    const store = new MemoryEventStore();
    const long = [
      history[0]!,
      ...Array.from({ length: 150 }, (_, i) => [started(`t${i}`, 'register'), completed(`t${i}`)]).flat(),
    ];
    await store.append(
      caseStreamId(caseId),
      long.map((event) => ({ id: randomUUID(), ...event })),
      'no_stream',
    );
    const reads: number[] = [];
    const slowStore = Object.create(store) as MemoryEventStore;
    slowStore.readStream = async (streamId, options) => {
      reads.push(options?.maxCount ?? Infinity);
      const started = performance.now();
      while (performance.now() - started < 15);
      return store.readStream(streamId, options);
    };
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const events = await new CaseHistory(slowStore).page(caseId, 0n, 1_000);
    counting = false;
    expect(events.map((event) => event.revision)).toEqual(long.map((_, revision) => BigInt(revision)));
    expect(reads.slice(0, 4)).toEqual([100, 50, 25, 12]);
    expect(turns).toBeGreaterThanOrEqual(reads.length - 1);
  });
});
