import { describe, expect, it } from '@jest/globals';
import type { CaseEvent } from '@wfnet/domain';
import { projectEvents } from '../core/view.js';
import {
  at,
  before,
  finishedCaseHistory,
  recordStream,
  terminatedCaseHistory,
  through,
} from '../fixtures.js';
import { tasksView } from './tasks-view.js';

const c1 = finishedCaseHistory();
const tasks = (history: readonly CaseEvent[], streamId = 'case-c1') =>
  projectEvents(tasksView, recordStream(streamId, history));

describe('the tasks', () => {
  describe('given a task started', () => {
    it('holds it started with empty tables', () => {
      expect(tasks(through(c1, 'TaskStarted', { taskId: 'c1:task-1' })).get('c1:task-1')).toEqual({
        id: 'c1:task-1',
        lastRevision: 3,
        position: '4',
        caseId: 'c1',
        transitionId: 'submit',
        state: 'started',
        tokenPayload: null,
        abandonReason: null,
        tokens: [],
        workitems: [],
        createdAt: at(1),
        updatedAt: at(1),
      });
    });
  });

  describe('given tokens received', () => {
    it('adds them to its token table as offered', () => {
      expect(tasks(through(c1, 'TokensReceived', { taskId: 'c1:task-1' })).get('c1:task-1')?.tokens).toEqual([
        { tokenId: 'c1:token-1', state: 'offered' },
      ]);
    });

    it('records the same token in the tables of both competitors', () => {
      const docs = tasks(through(c1, 'TokensReceived', { taskId: 'c1:task-3' }));
      expect(docs.get('c1:task-2')?.tokens).toEqual([{ tokenId: 'c1:token-2', state: 'offered' }]);
      expect(docs.get('c1:task-3')?.tokens).toEqual([{ tokenId: 'c1:token-2', state: 'offered' }]);
    });
  });

  describe('given the task allocated', () => {
    it('is allocated and lists its workitem as created', () => {
      expect(tasks(through(c1, 'TaskAllocated', { taskId: 'c1:task-1' })).get('c1:task-1')).toMatchObject({
        state: 'allocated',
        workitems: [{ workitemId: 'c1:workitem-1', state: 'created' }],
      });
    });
  });

  describe('given its workitem created after the allocation', () => {
    it('lists the workitem once', () => {
      expect(
        tasks(through(c1, 'WorkitemCreated', { workitemId: 'c1:workitem-1' })).get('c1:task-1')?.workitems,
      ).toEqual([{ workitemId: 'c1:workitem-1', state: 'created' }]);
    });
  });

  describe('given its tokens locked', () => {
    it('is executing and shows the tokens locked', () => {
      expect(tasks(through(c1, 'TokensLocked', { taskId: 'c1:task-1' })).get('c1:task-1')).toMatchObject({
        state: 'executing',
        tokens: [{ tokenId: 'c1:token-1', state: 'locked' }],
      });
    });

    it('leaves a competitor that was offered the same token unchanged', () => {
      const earlier = tasks(before(c1, 'TokensLocked', { taskId: 'c1:task-3' })).get('c1:task-2');
      expect(tasks(through(c1, 'TokensLocked', { taskId: 'c1:task-3' })).get('c1:task-2')).toEqual(earlier);
    });
  });

  describe('given its workitem updated', () => {
    it('records the workitem state in its workitem table', () => {
      expect(
        tasks(through(c1, 'WorkitemUpdated', { workitemId: 'c1:workitem-2', state: 'started' })).get(
          'c1:task-2',
        )?.workitems,
      ).toEqual([{ workitemId: 'c1:workitem-2', state: 'started' }]);
      expect(
        tasks(through(c1, 'WorkitemUpdated', { workitemId: 'c1:workitem-1', state: 'completed' })).get(
          'c1:task-1',
        )?.workitems,
      ).toEqual([{ workitemId: 'c1:workitem-1', state: 'completed' }]);
    });
  });

  describe('given its tokens consumed and the task completed', () => {
    it('shows the tokens consumed, the task completed and its token payload', () => {
      expect(tasks(through(c1, 'TaskCompleted', { taskId: 'c1:task-1' })).get('c1:task-1')).toEqual({
        id: 'c1:task-1',
        lastRevision: 10,
        position: '11',
        caseId: 'c1',
        transitionId: 'submit',
        state: 'completed',
        tokenPayload: { 'c1:workitem-1': 'ok' },
        abandonReason: null,
        tokens: [{ tokenId: 'c1:token-1', state: 'consumed' }],
        workitems: [{ workitemId: 'c1:workitem-1', state: 'completed' }],
        createdAt: at(1),
        updatedAt: at(2),
      });
    });
  });

  describe('given a token discarded from the task', () => {
    it('shows the token discarded', () => {
      expect(tasks(through(c1, 'TokensDiscarded', { taskId: 'c1:task-2' })).get('c1:task-2')?.tokens).toEqual(
        [{ tokenId: 'c1:token-2', state: 'discarded' }],
      );
    });
  });

  describe('given the task abandoned after its tokens were withdrawn', () => {
    it('is abandoned with the reason', () => {
      expect(tasks(through(c1, 'TaskAbandoned', { taskId: 'c1:task-2' })).get('c1:task-2')).toMatchObject({
        state: 'abandoned',
        abandonReason: 'tokens_withdrawn',
        workitems: [{ workitemId: 'c1:workitem-2', state: 'abandoned' }],
        updatedAt: at(5),
      });
    });
  });

  describe('given its tokens unlocked and the task abandoned', () => {
    it('shows the token offered again and the task abandoned', () => {
      expect(tasks(through(c1, 'TaskAbandoned', { taskId: 'c1:task-3' })).get('c1:task-3')).toMatchObject({
        state: 'abandoned',
        abandonReason: 'workitems_abandoned',
        tokens: [{ tokenId: 'c1:token-2', state: 'offered' }],
        workitems: [{ workitemId: 'c1:workitem-3', state: 'abandoned' }],
      });
    });
  });

  describe('given the case consuming the token in end', () => {
    it('creates no termination task', () => {
      expect(tasks(through(c1, 'CaseFinished')).has('termination')).toBe(false);
    });
  });

  describe('given a whole case', () => {
    it('has every task in start order, each in its last state', () => {
      expect(
        [...tasks(through(c1, 'CaseFinished')).values()].map((t) => [
          t.id,
          t.transitionId,
          t.state,
          t.lastRevision,
        ]),
      ).toEqual([
        ['c1:task-1', 'submit', 'completed', 10],
        ['c1:task-2', 'approve', 'abandoned', 24],
        ['c1:task-3', 'reject', 'abandoned', 27],
        ['c1:task-4', 'approve', 'completed', 42],
        ['c1:task-5', 'reject', 'abandoned', 41],
      ]);
    });
  });

  describe('given a terminated case', () => {
    it('shows the task abandoned with its token still locked', () => {
      const docs = tasks(terminatedCaseHistory(), 'case-c2');
      expect(docs.get('c2:task-1')).toMatchObject({
        state: 'abandoned',
        abandonReason: 'case_ended',
        tokens: [{ tokenId: 'c2:token-1', state: 'locked' }],
        workitems: [{ workitemId: 'c2:workitem-1', state: 'abandoned' }],
      });
    });
  });
});
