import type { WorkitemState, WorkitemUpdated } from '../case/events.js';
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

/**
 * The workitem as the abandonment `event` left it, read from the event alone; undefined for an abandonment
 * recorded before the event named the workitem's transition and executor.
 */
export function abandonedWorkitem({ data }: WorkitemUpdated): Workitem | undefined {
  if (data.state !== 'abandoned' || data.transitionId === undefined || data.executor === undefined)
    return undefined;
  const { workitemId: id, taskId, transitionId, executor } = data;
  return { id, taskId, transitionId, executor, state: 'abandoned', output: null };
}
