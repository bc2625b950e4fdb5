import type { WorkitemState } from '../case/events.js';
import type { Workitem } from '../case/state.js';

/** `created → started → completed`, `created → completed` (an executor that finishes at once), and `created|started → abandoned`. */
const NEXT: Readonly<Record<WorkitemState, readonly WorkitemState[]>> = {
  created: ['started', 'completed', 'abandoned'],
  started: ['completed', 'abandoned'],
  completed: [],
  abandoned: [],
};

export const canMoveTo = (from: WorkitemState, to: WorkitemState): boolean => NEXT[from].includes(to);

export const isOpen = (workitem: Workitem): boolean => NEXT[workitem.state].length > 0;

export const hasEnded = (workitem: Workitem): boolean => !isOpen(workitem);
