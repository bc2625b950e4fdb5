import { describe, expect, it } from '@jest/globals';
import { exampleNets } from '@wfnet/domain';
import { MemoryEventStore } from '../event-store/memory-event-store.js';
import { MemorySnapshotStore } from '../event-store/snapshot-store.js';
import { autoExecutor, manualExecutor } from '../executors/built-in.js';
import { ExecutorRegistry } from '../executors/executor-registry.js';
import { Engine } from './engine.js';

const AT = '2026-01-01T00:00:00.000Z';

/** An approval case: `submit` done, `approve` (task-2) and `reject` (task-3) wait for a person. */
async function approvalCase() {
  const registry = new ExecutorRegistry({ auto: autoExecutor, manual: manualExecutor });
  const engine = new Engine(new MemoryEventStore(), new MemorySnapshotStore(), registry, {
    snapshotEvery: 500,
  });
  await engine.executeCase({
    type: 'CreateCase',
    data: {
      caseId: 'c1',
      workflow: { definition: exampleNets.approvalNet(), state: 'active' },
      data: {},
      at: AT,
    },
  });
  await engine.executeCase({
    type: 'CompleteWorkitem',
    data: { caseId: 'c1', workitemId: 'c1:workitem-1', output: null, at: AT },
  });
  return engine;
}

describe('what a case command answers with besides the case', () => {
  it('preexecute addressed to a workitem answers with the tokens its task locked', async () => {
    const engine = await approvalCase();
    const outcome = await engine.executeCase({
      type: 'PreexecuteTask',
      data: { caseId: 'c1', workitemId: 'c1:workitem-2', at: AT },
    });
    expect(outcome.lockedTokens).toEqual([
      expect.objectContaining({ id: 'c1:token-2', state: 'locked', lockedByTaskId: 'c1:task-2' }),
    ]);
  });

  it('completing a workitem answers with it completed, though its task ended with it', async () => {
    const engine = await approvalCase();
    const outcome = await engine.executeCase({
      type: 'CompleteWorkitem',
      data: { caseId: 'c1', workitemId: 'c1:workitem-2', output: 'yes', at: AT },
    });
    expect(outcome.state.workitems.has('c1:workitem-2')).toBe(false);
    expect(outcome.workitem).toMatchObject({ id: 'c1:workitem-2', state: 'completed', output: 'yes' });
  });

  it('force-abandoning a task answers with the task as it ended', async () => {
    const engine = await approvalCase();
    const outcome = await engine.executeCase({
      type: 'ForceAbandonTask',
      data: { caseId: 'c1', taskId: 'c1:task-3', at: AT },
    });
    expect(outcome.state.tasks.has('c1:task-3')).toBe(false);
    expect(outcome.task).toMatchObject({ id: 'c1:task-3', state: 'abandoned', abandonReason: 'forced' });
  });
});
