import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { CaseEvent } from '@wfnet/domain';
import { projectEvents } from '../core/view.js';
import {
  at,
  finishedCaseHistory,
  peopleCaseHistory,
  recordStream,
  through,
  timerCaseHistory,
} from '../fixtures.js';
import type { WorkitemDocument } from './workitems-view.js';
import { candidateTags, candidateTagsOf, isAvailableTo, workitemsView } from './workitems-view.js';

const c1 = finishedCaseHistory();
const workitems = (history: readonly CaseEvent[]) =>
  projectEvents(workitemsView, recordStream('case-c1', history));

describe('the workitem table', () => {
  describe('given a workitem created', () => {
    it('holds it created, with its task, transition and executor', () => {
      expect(
        workitems(through(c1, 'WorkitemCreated', { workitemId: 'c1:workitem-2' })).get('c1:workitem-2'),
      ).toEqual({
        id: 'c1:workitem-2',
        lastRevision: 17,
        position: '18',
        caseId: 'c1',
        taskId: 'c1:task-2',
        transitionId: 'approve',
        executor: 'manual',
        state: 'created',
        output: null,
        createdAt: at(2),
        updatedAt: at(2),
        attempts: 0,
        lastError: null,
        retryAt: null,
        assigned: false,
        candidateGroups: [],
        candidateUsers: [],
        assignee: null,
        claimedBy: null,
        completedBy: null,
      });
    });
  });

  describe('given a workitem started', () => {
    it('shows it started, with no output', () => {
      expect(
        workitems(through(c1, 'WorkitemUpdated', { workitemId: 'c1:workitem-2', state: 'started' })).get(
          'c1:workitem-2',
        ),
      ).toMatchObject({
        state: 'started',
        output: null,
        lastRevision: 20,
        updatedAt: at(3),
      });
    });
  });

  describe('given a workitem completed', () => {
    it('shows it completed with its output', () => {
      expect(
        workitems(through(c1, 'WorkitemUpdated', { workitemId: 'c1:workitem-4', state: 'completed' })).get(
          'c1:workitem-4',
        ),
      ).toMatchObject({
        state: 'completed',
        output: 'yes',
        createdAt: at(6),
        updatedAt: at(7),
      });
    });
  });

  describe('given a workitem abandoned', () => {
    it('shows it abandoned', () => {
      expect(
        workitems(through(c1, 'WorkitemUpdated', { workitemId: 'c1:workitem-2', state: 'abandoned' })).get(
          'c1:workitem-2',
        ),
      ).toMatchObject({ state: 'abandoned', updatedAt: at(5) });
    });
  });

  describe('given a whole case', () => {
    it('has every workitem in creation order, each in its last state', () => {
      expect(
        [...workitems(through(c1, 'CaseFinished')).values()].map((w) => [w.id, w.state, w.lastRevision]),
      ).toEqual([
        ['c1:workitem-1', 'completed', 8],
        ['c1:workitem-2', 'abandoned', 23],
        ['c1:workitem-3', 'abandoned', 25],
        ['c1:workitem-4', 'completed', 37],
        ['c1:workitem-5', 'abandoned', 40],
      ]);
    });
  });

  describe('given an attempt of its executor failed, with a retry scheduled', () => {
    it('counts the attempt and shows the error and when the next attempt may start', () => {
      const c4 = timerCaseHistory();
      const doc = projectEvents(
        workitemsView,
        recordStream('case-c4', through(c4, 'WorkitemFailed', { attempt: 1 })),
      ).get('c4:workitem-1');
      expect(doc).toMatchObject({
        state: 'created',
        attempts: 1,
        lastError: { type: 'http_5xx', message: 'webhook answered 503', retryable: true },
        retryAt: at(42),
        updatedAt: at(41),
      });
    });
  });

  describe('given a second attempt failed for good', () => {
    it('counts both, shows the last error, and no next attempt', () => {
      const doc = projectEvents(workitemsView, recordStream('case-c4', timerCaseHistory())).get(
        'c4:workitem-1',
      );
      expect(doc).toMatchObject({
        state: 'created',
        attempts: 2,
        lastError: { type: 'invalid_card', message: 'the card is not valid', retryable: true },
        retryAt: null,
        updatedAt: at(43),
      });
    });
  });

  describe('given the people of case c6', () => {
    const c6 = peopleCaseHistory();
    const approve = (history: readonly CaseEvent[]) =>
      projectEvents(workitemsView, recordStream('case-c6', history)).get('c6:workitem-2');

    it('holds the candidates and the assignee of an assigned workitem, and none of one without', () => {
      expect(approve(through(c6, 'WorkitemCreated', { workitemId: 'c6:workitem-2' }))).toMatchObject({
        assigned: true,
        candidateGroups: ['managers'],
        candidateUsers: ['bob'],
        assignee: null,
        claimedBy: null,
      });
      expect(projectEvents(workitemsView, recordStream('case-c6', c6)).get('c6:workitem-1')).toMatchObject({
        assigned: false,
        candidateGroups: [],
        candidateUsers: [],
        assignee: null,
      });
    });

    it('shows who claimed it, the admin who took it over, and no one once released', () => {
      expect(approve(through(c6, 'WorkitemClaimed', { by: 'bob' }))).toMatchObject({
        claimedBy: 'bob',
        updatedAt: at(43),
      });
      expect(approve(through(c6, 'WorkitemReleased', { claimedBy: 'bob' }))).toMatchObject({
        claimedBy: null,
      });
      expect(approve(through(c6, 'WorkitemClaimed', { by: 'root' }))).toMatchObject({ claimedBy: 'root' });
      expect(approve(through(c6, 'WorkitemReleased', { claimedBy: 'root' }))).toMatchObject({
        claimedBy: null,
        updatedAt: at(45),
      });
    });

    it('shows who completed each workitem, and an ended workitem claimed by no one', () => {
      const docs = projectEvents(workitemsView, recordStream('case-c6', c6));
      expect(docs.get('c6:workitem-1')).toMatchObject({
        state: 'completed',
        completedBy: 'ann',
        claimedBy: null,
      });
      expect(docs.get('c6:workitem-2')).toMatchObject({
        state: 'completed',
        completedBy: 'root',
        claimedBy: null,
      });
    });

    it('a workitem completed by an executor was completed by no one', () => {
      expect(projectEvents(workitemsView, recordStream('case-c1', c1)).get('c1:workitem-4')).toMatchObject({
        state: 'completed',
        completedBy: null,
      });
    });
  });

  describe('isAvailableTo (candidate=me)', () => {
    const docs = projectEvents(workitemsView, recordStream('case-c6', peopleCaseHistory()));
    const approve = (history = peopleCaseHistory()) =>
      projectEvents(workitemsView, recordStream('case-c6', history)).get('c6:workitem-2')!;
    const created = approve(through(peopleCaseHistory(), 'WorkitemCreated', { workitemId: 'c6:workitem-2' }));

    it('offers an assigned open workitem to its candidate users and the members of its groups only', () => {
      expect(isAvailableTo(created, 'bob', [])).toBe(true);
      expect(isAvailableTo(created, 'max', ['managers'])).toBe(true);
      expect(isAvailableTo(created, 'eve', ['staff'])).toBe(false);
    });

    it('offers its assignee an assigned workitem', () => {
      expect(isAvailableTo({ ...created, assignee: 'eve' }, 'eve', [])).toBe(true);
    });

    it('offers an unassigned open workitem to anyone', () => {
      const history = through(peopleCaseHistory(), 'WorkitemCreated', { workitemId: 'c6:workitem-1' });
      const submit = projectEvents(workitemsView, recordStream('case-c6', history)).get('c6:workitem-1')!;
      expect(isAvailableTo(submit, 'eve', [])).toBe(true);
    });

    it('offers a claimed workitem to its claimer only', () => {
      const claimed = approve(through(peopleCaseHistory(), 'WorkitemClaimed', { by: 'bob' }));
      expect(isAvailableTo(claimed, 'bob', [])).toBe(true);
      expect(isAvailableTo(claimed, 'max', ['managers'])).toBe(false);
    });

    it('offers no ended workitem', () => {
      expect(isAvailableTo(docs.get('c6:workitem-2')!, 'bob', [])).toBe(false);
    });
  });

  describe('candidate tags (the index of candidate=me)', () => {
    const USERS = ['ann', 'bob', 'cy'];
    const GROUPS = ['staff', 'managers', 'finance'];
    type People = Pick<
      WorkitemDocument,
      'state' | 'claimedBy' | 'assigned' | 'candidateUsers' | 'candidateGroups' | 'assignee'
    >;
    const people: fc.Arbitrary<People> = fc.record({
      state: fc.constantFrom('created', 'started', 'completed', 'abandoned'),
      claimedBy: fc.option(fc.constantFrom(...USERS)),
      assigned: fc.boolean(),
      candidateUsers: fc.uniqueArray(fc.constantFrom(...USERS)),
      candidateGroups: fc.uniqueArray(fc.constantFrom(...GROUPS)),
      assignee: fc.option(fc.constantFrom(...USERS)),
    });
    const caller = fc.record({
      user: fc.constantFrom(...USERS, 'dan'),
      groups: fc.uniqueArray(fc.constantFrom(...GROUPS, 'auditors')),
    });
    const shares = (doc: People, user: string, groups: readonly string[]) =>
      candidateTags(doc).some((tag) => candidateTagsOf(user, groups).includes(tag));

    it('files every workitem a caller may work under one of the caller’s tags', () => {
      fc.assert(
        fc.property(people, caller, (doc, { user, groups }) => {
          if (isAvailableTo(doc, user, groups)) expect(shares(doc, user, groups)).toBe(true);
        }),
        { numRuns: 2000 },
      );
    });

    it('files an unclaimed workitem under a caller’s tag only when the caller may work it', () => {
      fc.assert(
        fc.property(people, caller, (doc, { user, groups }) => {
          const unclaimed = { ...doc, claimedBy: null };
          expect(shares(unclaimed, user, groups)).toBe(isAvailableTo(unclaimed, user, groups));
        }),
        { numRuns: 2000 },
      );
    });

    it('files a claimed workitem under its claimer alone, and an ended one under nothing', () => {
      const open: People = {
        state: 'started',
        claimedBy: 'bob',
        assigned: true,
        candidateUsers: ['bob'],
        candidateGroups: ['managers'],
        assignee: 'ann',
      };
      expect(candidateTags(open)).toEqual(['c:bob']);
      expect(candidateTags({ ...open, claimedBy: null }).sort()).toEqual(['a:ann', 'g:managers', 'u:bob']);
      expect(candidateTags({ ...open, claimedBy: null, assigned: false })).toEqual(['*']);
      expect(candidateTags({ ...open, state: 'completed' })).toEqual([]);
    });
  });
});
