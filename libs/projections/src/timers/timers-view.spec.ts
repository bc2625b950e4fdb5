import { describe, expect, it } from '@jest/globals';
import type { CaseEvent } from '@wfnet/domain';
import { projectEvents } from '../core/view.js';
import { at, recordStream, through, timedOutCaseHistory, timerCaseHistory } from '../fixtures.js';
import { timersView } from './timers-view.js';

const c4 = timerCaseHistory();
const timers = (history: readonly CaseEvent[], streamId = 'case-c4') =>
  projectEvents(timersView, recordStream(streamId, history));

describe('the timer table', () => {
  describe('given the case created with a caseTimeout', () => {
    it('holds the case timer pending, owned by no workitem', () => {
      expect(timers(through(c4, 'TimerScheduled', { kind: 'case' })).get('c4:timer-1')).toEqual({
        id: 'c4:timer-1',
        lastRevision: 1,
        position: '2',
        caseId: 'c4',
        kind: 'case',
        dueAt: '2026-01-31T00:40:00.000Z',
        state: 'pending',
        taskId: null,
        workitemId: null,
        scheduledAt: at(40),
        firedAt: null,
        cancelledAt: null,
      });
    });
  });

  describe('given a retry timer that fired', () => {
    it('shows it fired, and when, keeping its due time', () => {
      expect(timers(through(c4, 'TimerFired', { timerId: 'c4:timer-3' })).get('c4:timer-3')).toMatchObject({
        kind: 'retry',
        dueAt: at(42),
        state: 'fired',
        firedAt: at(42),
        cancelledAt: null,
        taskId: 'c4:task-1',
        workitemId: 'c4:workitem-1',
        lastRevision: 11,
      });
    });
  });

  describe('given a workitem timeout cancelled when an incident stopped its task', () => {
    it('shows it cancelled, and when', () => {
      expect(timers(c4).get('c4:timer-2')).toMatchObject({
        kind: 'scheduleToClose',
        state: 'cancelled',
        firedAt: null,
        cancelledAt: at(43),
      });
    });
  });

  describe('given a whole case', () => {
    it('has every timer in the order scheduled, with the state each ended in', () => {
      expect([...timers(c4).values()].map((t) => [t.id, t.kind, t.state])).toEqual([
        ['c4:timer-1', 'case', 'pending'],
        ['c4:timer-2', 'scheduleToClose', 'cancelled'],
        ['c4:timer-3', 'retry', 'fired'],
      ]);
    });

    it('shows the case timer fired when the case timed out', () => {
      expect(timers(timedOutCaseHistory(), 'case-c5').get('c5:timer-1')).toMatchObject({
        kind: 'case',
        state: 'fired',
        firedAt: at(50),
      });
    });
  });

  describe('given a firing of a timer the table never saw scheduled', () => {
    it('makes no document of it', () => {
      const firedOnly = c4.filter(
        (event) => !(event.type === 'TimerScheduled' && event.data.timerId === 'c4:timer-3'),
      );
      expect(timers(firedOnly).has('c4:timer-3')).toBe(false);
    });
  });
});
