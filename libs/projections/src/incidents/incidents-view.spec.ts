import { describe, expect, it } from '@jest/globals';
import type { CaseEvent } from '@wfnet/domain';
import { projectEvents } from '../core/view.js';
import { at, incidentCaseHistory, recordStream, through } from '../fixtures.js';
import { incidentsView } from './incidents-view.js';

const c3 = incidentCaseHistory();
const incidents = (history: readonly CaseEvent[]) =>
  projectEvents(incidentsView, recordStream('case-c3', history));

describe('the incident table', () => {
  describe('given a condition that failed', () => {
    it('holds an open incident naming the task, the completed workitem and the failure', () => {
      expect(
        incidents(through(c3, 'IncidentRaised', { incidentId: 'c3:incident-1' })).get('c3:incident-1'),
      ).toEqual({
        id: 'c3:incident-1',
        lastRevision: 9,
        position: '10',
        caseId: 'c3',
        kind: 'condition_failed',
        taskId: 'c3:task-1',
        workitemId: 'c3:workitem-1',
        message: 'arc review → approved: case.amount > 100: no such overload: string > int',
        state: 'open',
        createdAt: at(21),
        resolvedAt: null,
        resolution: null,
      });
    });
  });

  describe('given the incident resolved by an operator’s route', () => {
    it('shows it resolved, when and how, keeping what was raised', () => {
      expect(
        incidents(through(c3, 'IncidentResolved', { incidentId: 'c3:incident-1' })).get('c3:incident-1'),
      ).toMatchObject({
        lastRevision: 10,
        kind: 'condition_failed',
        message: expect.stringContaining('case.amount > 100'),
        state: 'resolved',
        createdAt: at(21),
        resolvedAt: at(22),
        resolution: { action: 'route', placeIds: ['approved'] },
      });
    });
  });

  describe('given a whole case', () => {
    it('has every incident in the order raised, the resolved one resolved and the last one open', () => {
      expect([...incidents(c3).values()].map((i) => [i.id, i.kind, i.state, i.lastRevision])).toEqual([
        ['c3:incident-1', 'condition_failed', 'resolved', 10],
        ['c3:incident-2', 'executor_failed', 'open', 18],
      ]);
    });
  });

  describe('given a resolution of an incident the table never saw raised', () => {
    it('makes no document of it', () => {
      const resolvedOnly = c3.filter(
        (event) => !(event.type === 'IncidentRaised' && event.data.incidentId === 'c3:incident-1'),
      );
      expect(incidents(resolvedOnly).has('c3:incident-1')).toBe(false);
    });
  });
});
