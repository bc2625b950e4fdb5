import { describe, expect, it } from '@jest/globals';
import { projectEvents } from '../core/view.js';
import { at, finishedCaseHistory, recordStream, terminatedCaseHistory } from '../fixtures.js';
import { casesView } from './cases-view.js';

const c1 = (upTo: number) =>
  projectEvents(casesView, recordStream('case-c1', finishedCaseHistory().slice(0, upTo + 1))).get('c1');

describe('the cases', () => {
  describe('given a case created', () => {
    it('holds it created, with its workflow and an empty marking', () => {
      expect(c1(0)).toEqual({
        id: 'c1',
        lastRevision: 0,
        position: '1',
        workflowId: 'approval',
        state: 'created',
        marking: {},
        createdAt: at(1),
        updatedAt: at(1),
        unconsumed: {},
      });
    });
  });

  describe('given its genesis token issued', () => {
    it('counts the token in start', () => {
      expect(c1(1)).toMatchObject({ state: 'created', marking: { start: 1 } });
    });
  });

  describe('given the case activated', () => {
    it('is active', () => {
      expect(c1(2)?.state).toBe('active');
    });
  });

  describe('given a token locked', () => {
    it('still counts it in its place', () => {
      expect(c1(7)?.marking).toEqual({ start: 1 });
    });
  });

  describe('given a token consumed and another issued', () => {
    it('moves the count from one place to the other', () => {
      expect(c1(9)?.marking).toEqual({});
      expect(c1(11)).toMatchObject({
        marking: { submitted: 1 },
        unconsumed: { 'c1:token-2': 'submitted' },
      });
    });
  });

  describe.each([
    ['TaskStarted', 3],
    ['TokensReceived', 4],
    ['TaskAllocated', 5],
    ['WorkitemCreated', 6],
    ['WorkitemUpdated', 20],
    ['TokensDiscarded', 22],
    ['TaskAbandoned', 24],
    ['TokensUnlocked', 26],
    ['TaskCompleted', 10],
  ])('given a %s', (_type, revision) => {
    it('records the time of the event and leaves the marking alone', () => {
      const before = c1(revision - 1);
      const after = c1(revision);
      expect(after?.updatedAt).toBe(finishedCaseHistory()[revision]?.data.at);
      expect(after?.marking).toEqual(before?.marking);
      expect(after?.lastRevision).toBe(revision);
    });
  });

  describe('given the case finished', () => {
    it('is finished with nothing left in its marking', () => {
      expect(c1(45)).toEqual({
        id: 'c1',
        lastRevision: 45,
        position: '46',
        workflowId: 'approval',
        state: 'finished',
        marking: {},
        createdAt: at(1),
        updatedAt: at(7),
        unconsumed: {},
      });
    });
  });

  describe('given the case terminated', () => {
    it('is terminated and keeps the locked token in its marking', () => {
      const doc = projectEvents(casesView, recordStream('case-c2', terminatedCaseHistory())).get('c2');
      expect(doc).toMatchObject({
        state: 'terminated',
        marking: { start: 1 },
        updatedAt: at(12),
        lastRevision: 10,
      });
    });
  });
});
