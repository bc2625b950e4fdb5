import { describe, expect, it } from '@jest/globals';
import { approvalNet, sequentialNet } from '../net/fixtures.js';
import {
  abandonWorkitem,
  completeWorkitem,
  discardTokens,
  forceAbandonTask,
  given,
  ids,
  preexecuteTask,
  receiveTokens,
  startCase,
  terminateCase,
  updateWorkitem,
} from '../testing/index.js';
import type { CaseEvent } from './events.js';

const { task, workitem, token } = ids;

/** sequentialNet run to its end: task-1 and task-2 completed with their workitems, the case finished. */
function finished(): readonly CaseEvent[] {
  const run = startCase(sequentialNet());
  expect(run.state.status).toBe('finished');
  return run.history;
}

/** approvalNet terminated while approve (task-2, locked) and reject (task-3) waited; submit (task-1) completed. */
function terminated(): readonly CaseEvent[] {
  const run = startCase(approvalNet());
  run.send(preexecuteTask(task(2)));
  run.send(terminateCase());
  expect(run.state.status).toBe('terminated');
  return run.history;
}

describe.each([
  ['finished', finished],
  ['terminated', terminated],
])('a %s case', (_, history) => {
  describe('a command addressed to a workitem that has ended', () => {
    it.each([
      ['CompleteWorkitem of workitem-1', completeWorkitem(workitem(1), 'late')],
      ['CompleteWorkitem of workitem-2', completeWorkitem(workitem(2), 'late')],
      ['AbandonWorkitem of workitem-2', abandonWorkitem(workitem(2))],
      ['UpdateWorkitem (completed) of workitem-2', updateWorkitem(workitem(2), 'completed', 'late')],
      ['UpdateWorkitem (started) of workitem-1', updateWorkitem(workitem(1), 'started')],
    ])('refuses %s with workitem_not_available: a retry learns the workitem is done', (_, command) => {
      given(history()).when(command).thenFails('workitem_not_available');
    });
  });

  describe('a command addressed to a task that has ended', () => {
    it.each([
      ['ForceAbandonTask of task-1', forceAbandonTask(task(1))],
      ['ForceAbandonTask of task-2', forceAbandonTask(task(2))],
      ['ReceiveTokens of task-2', receiveTokens(task(2), [token(2)])],
      ['DiscardTokens of task-2', discardTokens(task(2), [token(2)])],
    ])('refuses %s with task_not_available', (_, command) => {
      given(history()).when(command).thenFails('task_not_available');
    });
  });

  describe('an id the case never made', () => {
    it.each([
      ['CompleteWorkitem', completeWorkitem(workitem(99), 'x')],
      ['AbandonWorkitem', abandonWorkitem(workitem(99))],
      ['UpdateWorkitem', updateWorkitem(workitem(99), 'started')],
      ['PreexecuteTask', preexecuteTask(task(99))],
      ['ForceAbandonTask', forceAbandonTask(task(99))],
      ['ReceiveTokens', receiveTokens(task(99), [token(2)])],
      ['DiscardTokens', discardTokens(task(99), [token(2)])],
    ])('refuses %s with NotFoundError whatever the state of the case', (_, command) => {
      given(history()).when(command).thenFailsWith('NotFoundError');
    });
  });
});
