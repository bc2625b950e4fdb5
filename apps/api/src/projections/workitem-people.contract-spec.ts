import { beforeAll, describe, expect, it } from '@jest/globals';
import type { WorkitemDocument } from '@wfnet/projections';
import type { Candidate } from './read-models.js';
import { ReadModels, mayWork } from './read-models.js';
import type { ReadStore } from './read-store.js';

interface People {
  /** An assignment that named no one: only admins may work it. */
  readonly assigned?: boolean;
  readonly claimedBy?: string | null;
  readonly candidateGroups?: readonly string[];
  readonly candidateUsers?: readonly string[];
  readonly assignee?: string | null;
}

/** A workitem document as the workitems view writes it, with its people fields. */
function workitem(n: number, state: WorkitemDocument['state'], people: People = {}): WorkitemDocument {
  return {
    id: `c1:workitem-${n}`,
    lastRevision: n,
    position: String(n),
    caseId: 'c1',
    taskId: `c1:task-${n}`,
    transitionId: 'approve',
    executor: 'manual',
    state,
    output: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    attempts: 0,
    lastError: null,
    retryAt: null,
    claimedBy: null,
    candidateGroups: [],
    candidateUsers: [],
    assignee: null,
    completedBy: null,
    ...people,
    assigned:
      (people.candidateGroups ?? []).length > 0 ||
      (people.candidateUsers ?? []).length > 0 ||
      people.assignee != null ||
      people.assigned === true,
  };
}

const ANN: Candidate = { user: 'ann', groups: ['clerks'] };
const BOB: Candidate = { user: 'bob', groups: ['managers', 'finance'] };

// Ids by number: what each is, and who may work it.
const WORKITEMS: readonly WorkitemDocument[] = [
  workitem(1, 'started'), // anyone
  workitem(2, 'created', { candidateGroups: ['managers'] }), // bob
  workitem(3, 'started', { candidateUsers: ['ann'] }), // ann
  workitem(4, 'started', { assignee: 'ann' }), // ann
  workitem(5, 'started', { claimedBy: 'ann' }), // ann (hers)
  workitem(6, 'started', { claimedBy: 'bob', candidateGroups: ['managers', 'clerks'] }), // bob (his)
  workitem(7, 'completed', { candidateGroups: ['clerks'] }), // nobody: ended
  workitem(8, 'abandoned'), // nobody: ended
  workitem(9, 'started', { candidateGroups: ['finance', 'clerks'] }), // ann and bob
  workitem(10, 'started', { candidateGroups: ['auditors'], candidateUsers: ['carl'] }), // nobody of the two
  workitem(11, 'started', { assigned: true }), // nobody: an assignee expression that named no one
];

const numbers = (items: readonly { id: string }[]) => items.map((w) => Number(w.id.split('-').pop()));

/** `?candidate=me` and `?claimedBy=` over a read store. */
export function describeWorkitemPeople(storeName: string, open: () => ReadStore): void {
  describe(`the workitems people may work, in ${storeName}`, () => {
    let models: ReadModels;

    beforeAll(() => {
      const store = open();
      store.commit(
        WORKITEMS.map((doc) => ({ table: 'workitems', doc, created: true })),
        BigInt(WORKITEMS.length),
      );
      models = new ReadModels(store);
    });

    it.each<[string, Candidate, number[]]>([
      ['ann', ANN, [1, 3, 4, 5, 9]],
      ['bob', BOB, [1, 2, 6, 9]],
      ['someone in no group', { user: 'dan', groups: [] }, [1]],
    ])(
      'lists for %s the open workitems no one else claimed, unassigned or naming them',
      (_who, who, want) => {
        expect(numbers(models.listWorkitems({ candidate: who }).items)).toEqual(want);
        expect(numbers(WORKITEMS.filter((w) => mayWork(w, who)))).toEqual(want);
      },
    );

    it('combines a candidate with the other filters', () => {
      expect(numbers(models.listWorkitems({ candidate: ANN, state: 'created' }).items)).toEqual([]);
      expect(numbers(models.listWorkitems({ candidate: BOB, state: 'created' }).items)).toEqual([2]);
      expect(numbers(models.listWorkitems({ candidate: ANN, state: 'completed' }).items)).toEqual([]);
      expect(numbers(models.listWorkitems({ candidate: ANN, caseId: 'elsewhere' }).items)).toEqual([]);
    });

    it('pages a candidate’s list, counting only what it keeps', () => {
      const first = models.listWorkitems({ candidate: ANN, limit: 2 });
      expect(numbers(first.items)).toEqual([1, 3]);
      const second = models.listWorkitems({ candidate: ANN, limit: 2, after: first.next! });
      expect(numbers(second.items)).toEqual([4, 5]);
      const last = models.listWorkitems({ candidate: ANN, limit: 2, after: second.next! });
      expect([numbers(last.items), last.next]).toEqual([[9], null]);
    });

    it('lists the workitems a user has claimed', () => {
      expect(numbers(models.listWorkitems({ claimedBy: 'ann' }).items)).toEqual([5]);
      expect(numbers(models.listWorkitems({ claimedBy: 'bob' }).items)).toEqual([6]);
      expect(numbers(models.listWorkitems({ claimedBy: 'carl' }).items)).toEqual([]);
      expect(numbers(models.listWorkitems({ claimedBy: 'bob', candidate: BOB }).items)).toEqual([6]);
    });
  });
}
