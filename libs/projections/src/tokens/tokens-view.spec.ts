import { describe, expect, it } from '@jest/globals';
import type { CaseEvent } from '@wfnet/domain';
import { projectEvents } from '../core/view.js';
import {
  at,
  finishedCaseHistory,
  issuing,
  recordStream,
  terminatedCaseHistory,
  through,
} from '../fixtures.js';
import { tokensView } from './tokens-view.js';

const c1 = finishedCaseHistory();
const tokens = (history: readonly CaseEvent[]) => projectEvents(tokensView, recordStream('case-c1', history));

describe('the token table', () => {
  describe('given a genesis token issued', () => {
    it('holds it free in its place, with its payload and the genesis producer', () => {
      expect(tokens(through(c1, 'TokensIssued', issuing('c1:token-1'))).get('c1:token-1')).toEqual({
        id: 'c1:token-1',
        lastRevision: 1,
        position: '2',
        caseId: 'c1',
        placeId: 'start',
        state: 'free',
        payload: { amount: 5 },
        producedByTaskId: 'genesis',
        lockedByTaskId: null,
        consumedByTaskId: null,
        createdAt: at(1),
        updatedAt: at(1),
      });
    });
  });

  describe('given a TokensIssued that names several tokens', () => {
    it('creates one document per token, each from its own entry', () => {
      const [event] = recordStream('case-c9', [
        {
          type: 'TokensIssued',
          data: {
            caseId: 'c9',
            tokens: [
              { id: 'c9:token-2', placeId: 'left', payload: 1, producedByTaskId: 'c9:task-1' },
              { id: 'c9:token-3', placeId: 'right', payload: 2, producedByTaskId: 'c9:task-1' },
            ],
            at: at(3),
          },
        },
      ] as const);
      const docs = projectEvents(tokensView, [event!]);
      expect([...docs.values()].map((t) => [t.id, t.placeId, t.payload])).toEqual([
        ['c9:token-2', 'left', 1],
        ['c9:token-3', 'right', 2],
      ]);
    });
  });

  describe('given a token locked by a task', () => {
    it('shows it locked by that task', () => {
      expect(tokens(through(c1, 'TokensLocked', { taskId: 'c1:task-1' })).get('c1:token-1')).toMatchObject({
        state: 'locked',
        lockedByTaskId: 'c1:task-1',
        consumedByTaskId: null,
        lastRevision: 7,
        updatedAt: at(2),
      });
    });
  });

  describe('given a locked token unlocked', () => {
    it('shows it free again with no locker', () => {
      expect(tokens(through(c1, 'TokensUnlocked', { taskId: 'c1:task-3' })).get('c1:token-2')).toMatchObject({
        state: 'free',
        lockedByTaskId: null,
        lastRevision: 26,
        updatedAt: at(6),
      });
    });
  });

  describe('given a token consumed by the task that locked it', () => {
    it('shows it consumed and keeps its locker', () => {
      expect(tokens(through(c1, 'TokensConsumed', { taskId: 'c1:task-4' })).get('c1:token-2')).toEqual({
        id: 'c1:token-2',
        lastRevision: 38,
        position: '39',
        caseId: 'c1',
        placeId: 'submitted',
        state: 'consumed',
        payload: { 'c1:workitem-1': 'ok' },
        producedByTaskId: 'c1:task-1',
        lockedByTaskId: 'c1:task-4',
        consumedByTaskId: 'c1:task-4',
        createdAt: at(2),
        updatedAt: at(7),
      });
    });
  });

  describe('given the token in end consumed by the finishing case', () => {
    it('shows termination as its consumer', () => {
      expect(
        tokens(through(c1, 'TokensConsumed', { taskId: 'termination' })).get('c1:token-3'),
      ).toMatchObject({
        placeId: 'end',
        state: 'consumed',
        lockedByTaskId: null,
        consumedByTaskId: 'termination',
      });
    });
  });

  describe('given a terminated case', () => {
    it('leaves a locked token locked', () => {
      const docs = projectEvents(tokensView, recordStream('case-c2', terminatedCaseHistory()));
      expect(docs.get('c2:token-1')).toMatchObject({ state: 'locked', lockedByTaskId: 'c2:task-1' });
    });
  });

  describe('given a whole case', () => {
    it('has every token the case issued, in issue order', () => {
      expect([...tokens(through(c1, 'CaseFinished')).keys()]).toEqual([
        'c1:token-1',
        'c1:token-2',
        'c1:token-3',
      ]);
    });
  });

  describe('given a lock of a token it never saw issued', () => {
    it('creates no document', () => {
      const lock = recordStream('case-c1', through(c1, 'TokensLocked', { taskId: 'c1:task-1' })).at(-1);
      expect(projectEvents(tokensView, [lock!]).size).toBe(0);
    });
  });
});
