import { describe, expect, it } from '@jest/globals';
import type { CaseEvent } from '@wfnet/domain';
import { projectEvents } from '../core/view.js';
import type { EventMatch } from '../fixtures.js';
import {
  at,
  before,
  finishedCaseHistory,
  incidentCaseHistory,
  timedOutCaseHistory,
  issuing,
  recordStream,
  terminatedCaseHistory,
  through,
} from '../fixtures.js';
import { casesView } from './cases-view.js';

const history = finishedCaseHistory();
const c1 = (events: readonly CaseEvent[]) =>
  projectEvents(casesView, recordStream('case-c1', events)).get('c1');

describe('the cases', () => {
  describe('given a case created', () => {
    it('holds it created, with its workflow and an empty marking', () => {
      expect(c1(through(history, 'CaseCreated'))).toEqual({
        id: 'c1',
        lastRevision: 0,
        position: '1',
        workflowId: 'approval',
        state: 'created',
        marking: {},
        createdAt: at(1),
        updatedAt: at(1),
        unconsumed: {},
        openIncidents: 0,
      });
    });
  });

  describe('given its genesis token issued', () => {
    it('counts the token in start', () => {
      expect(c1(through(history, 'TokensIssued', issuing('c1:token-1')))).toMatchObject({
        state: 'created',
        marking: { start: 1 },
      });
    });
  });

  describe('given the case activated', () => {
    it('is active', () => {
      expect(c1(through(history, 'CaseActivated'))?.state).toBe('active');
    });
  });

  describe('given a token locked', () => {
    it('still counts it in its place', () => {
      expect(c1(through(history, 'TokensLocked', { taskId: 'c1:task-1' }))?.marking).toEqual({ start: 1 });
    });
  });

  describe('given a token consumed and another issued', () => {
    it('moves the count from one place to the other', () => {
      expect(c1(through(history, 'TokensConsumed', { taskId: 'c1:task-1' }))?.marking).toEqual({});
      expect(c1(through(history, 'TokensIssued', issuing('c1:token-2')))).toMatchObject({
        marking: { submitted: 1 },
        unconsumed: { 'c1:token-2': 'submitted' },
      });
    });
  });

  describe.each<[CaseEvent['type'], EventMatch<CaseEvent, CaseEvent['type']>]>([
    ['TaskStarted', { taskId: 'c1:task-1' }],
    ['TokensReceived', { taskId: 'c1:task-1' }],
    ['TaskAllocated', { taskId: 'c1:task-1' }],
    ['WorkitemCreated', { workitemId: 'c1:workitem-1' }],
    ['WorkitemUpdated', { workitemId: 'c1:workitem-2', state: 'started' }],
    ['TokensDiscarded', { taskId: 'c1:task-2' }],
    ['TaskAbandoned', { taskId: 'c1:task-2' }],
    ['TokensUnlocked', { taskId: 'c1:task-3' }],
    ['TaskCompleted', { taskId: 'c1:task-1' }],
  ])('given a %s of %o', (type, match) => {
    it('records the time of the event and leaves the marking alone', () => {
      const given = before(history, type, match);
      const when = history[given.length]!;
      const earlier = c1(given);
      const later = c1([...given, when]);
      expect(later?.updatedAt).toBe(when.data.at);
      expect(later?.marking).toEqual(earlier?.marking);
      expect(later?.lastRevision).toBe(given.length);
    });
  });

  describe('given the case finished', () => {
    it('is finished with nothing left in its marking', () => {
      expect(c1(through(history, 'CaseFinished'))).toEqual({
        id: 'c1',
        lastRevision: 45,
        position: '46',
        workflowId: 'approval',
        state: 'finished',
        marking: {},
        createdAt: at(1),
        updatedAt: at(7),
        unconsumed: {},
        openIncidents: 0,
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

  describe('given the case terminated by its caseTimeout', () => {
    it('is terminated and keeps the reason', () => {
      const doc = projectEvents(casesView, recordStream('case-c5', timedOutCaseHistory())).get('c5');
      expect(doc).toMatchObject({ state: 'terminated', terminatedReason: 'timeout', updatedAt: at(50) });
    });

    it('has no reason when someone terminated it', () => {
      const doc = projectEvents(casesView, recordStream('case-c2', terminatedCaseHistory())).get('c2');
      expect(doc).not.toHaveProperty('terminatedReason');
    });
  });

  describe('given incidents raised and resolved', () => {
    const incidents = incidentCaseHistory();
    const c3 = (events: readonly CaseEvent[]) =>
      projectEvents(casesView, recordStream('case-c3', events)).get('c3');

    it('counts an incident open from the time it is raised', () => {
      expect(c3(through(incidents, 'IncidentRaised', { incidentId: 'c3:incident-1' }))).toMatchObject({
        openIncidents: 1,
        updatedAt: at(21),
      });
    });

    it('counts it no longer once it is resolved', () => {
      expect(c3(through(incidents, 'IncidentResolved', { incidentId: 'c3:incident-1' }))).toMatchObject({
        openIncidents: 0,
        updatedAt: at(22),
      });
    });

    it('counts only the one still open at the end', () => {
      expect(c3(incidents)?.openIncidents).toBe(1);
    });
  });
});
