import { describe, expect, it } from '@jest/globals';
import { approvalNet, parallelNet, sequentialNet, trafficLightNet } from '../net/fixtures.js';
import { AT, replay, startCase } from '../testing/index.js';

describe('smoke', () => {
  it('P1', () => {
    const run = startCase(sequentialNet());
    expect(run.state.status).toBe('finished');
    expect(replay(run.history)).toEqual(run.state);
  });
  it('P2', () => {
    const run = startCase(parallelNet());
    expect(run.state.status).toBe('finished');
  });
  it('P4', () => {
    const run = startCase(approvalNet());
    const approve = run.workitem('approve');
    const reject = run.workitem('reject');
    run.send({ type: 'PreexecuteTask', data: { caseId: 'c1', taskId: approve.taskId, at: AT } });
    expect(() =>
      run.send({ type: 'PreexecuteTask', data: { caseId: 'c1', taskId: reject.taskId, at: AT } }),
    ).toThrow('taken');
    run.send({
      type: 'CompleteWorkitem',
      data: { caseId: 'c1', workitemId: approve.id, output: { by: 'ann' }, at: AT },
    });
    expect(run.state.status).toBe('finished');
  });
  it('P8', () => {
    const run = startCase(trafficLightNet());
    const step = (t: string) => {
      run.send({
        type: 'CompleteWorkitem',
        data: { caseId: 'c1', workitemId: run.workitem(t).id, output: t, at: AT },
      });
      run.runExecutors();
    };
    step('y2r');
    step('r2g');
    step('g2y');
    step('y2r');
    step('will-end');
    expect(run.state.status).toBe('finished');
    expect(replay(run.history)).toEqual(run.state);
  });
});
