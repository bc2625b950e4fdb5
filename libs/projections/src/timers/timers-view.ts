import type { TimerCancelled, TimerFired, TimerKind, TimerScheduled } from '@wfnet/domain';
import type { Document } from '../core/view.js';
import { defineView } from '../core/view.js';

export type TimerState = 'pending' | 'fired' | 'cancelled';

/**
 * A row of the timer table: every timer of every case. The pending ones ordered by `dueAt` are the
 * scheduler's due-timer index, so `dueAt` is kept exactly as the event wrote it (ISO 8601, UTC,
 * milliseconds): such strings order as the times they name.
 */
export interface TimerDocument extends Document {
  readonly caseId: string;
  readonly kind: TimerKind;
  readonly dueAt: string;
  readonly state: TimerState;
  /** The task of the workitem it belongs to; null for the case's own timer. */
  readonly taskId: string | null;
  readonly workitemId: string | null;
  readonly scheduledAt: string;
  /** When it fired (its `TimerFired`'s time, at or after `dueAt`); null otherwise. */
  readonly firedAt: string | null;
  /** When it was cancelled because its owner ended; null otherwise. */
  readonly cancelledAt: string | null;
}

export type TimerEvent = TimerScheduled | TimerFired | TimerCancelled;

export const timersView = defineView<TimerDocument, TimerEvent>({
  name: 'timers',
  handles: ['TimerScheduled', 'TimerFired', 'TimerCancelled'],
  creates: ['TimerScheduled'],
  documentId: (event) => event.data.timerId,
  initial: (id) => ({
    id,
    lastRevision: -1,
    position: '0',
    caseId: '',
    kind: 'executor',
    dueAt: '',
    state: 'pending',
    taskId: null,
    workitemId: null,
    scheduledAt: '',
    firedAt: null,
    cancelledAt: null,
  }),
  apply(_doc, event) {
    switch (event.type) {
      case 'TimerScheduled': {
        const { caseId, kind, dueAt, taskId, workitemId, at } = event.data;
        return {
          caseId,
          kind,
          dueAt,
          state: 'pending',
          taskId,
          workitemId,
          scheduledAt: at,
          firedAt: null,
          cancelledAt: null,
        };
      }
      case 'TimerFired':
        return { state: 'fired', firedAt: event.data.at };
      case 'TimerCancelled':
        return { state: 'cancelled', cancelledAt: event.data.at };
      default: {
        const unknown: never = event;
        return unknown;
      }
    }
  },
});
