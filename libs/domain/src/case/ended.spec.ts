import { describe, expect, it } from '@jest/globals';
import { sequentialNet, trafficLightNet } from '../net/fixtures.js';
import { completeWorkitem, ids, startCase } from '../testing/index.js';
import { caseToSnapshot } from './decider.js';
import type { CaseData } from './state.js';

const { task, workitem, token } = ids;

const sizes = (state: CaseData) => ({
  tokens: state.tokens.size,
  tasks: state.tasks.size,
  workitems: state.workitems.size,
  incidents: state.incidents.size,
  timers: state.timers.size,
});

describe('what has ended leaves the case state', () => {
  it('a finished case keeps none of its tokens, tasks or workitems, only how many it made', () => {
    const run = startCase(sequentialNet());
    expect(run.state.status).toBe('finished');
    expect(sizes(run.state)).toEqual({ tokens: 0, tasks: 0, workitems: 0, incidents: 0, timers: 0 });
    expect(run.state.counts).toEqual({ tokens: 3, tasks: 2, workitems: 2, incidents: 0, timers: 0 });
    expect(sizes(run.withEnded)).toEqual(run.state.counts);
  });

  it('a workitem stays while its task is live, and leaves with it', () => {
    const run = startCase(sequentialNet(), { runExecutors: false });
    expect([...run.state.workitems.keys()]).toEqual([workitem(1)]);
    run.send(completeWorkitem(workitem(1)));
    expect([...run.state.tasks.keys()]).toEqual([task(2)]);
    expect([...run.state.workitems.keys()]).toEqual([workitem(2)]);
    expect([...run.state.tokens.keys()]).toEqual([token(2)]);
  });

  it('a long case stays as small as its work in progress, and its ids go on counting', () => {
    const run = startCase(trafficLightNet());
    const lap = (): void => {
      for (const step of ['y2r', 'r2g', 'g2y']) {
        run.send(completeWorkitem(run.workitem(step).id, step));
        run.runExecutors();
      }
    };
    lap();
    const afterOneLap = {
      sizes: sizes(run.state),
      snapshot: JSON.stringify(caseToSnapshot(run.state)).length,
    };
    for (let i = 0; i < 50; i++) lap();

    expect(sizes(run.state)).toEqual(afterOneLap.sizes);
    // Only the numbers in the ids grew.
    expect(JSON.stringify(caseToSnapshot(run.state)).length).toBeLessThan(afterOneLap.snapshot + 100);
    expect(run.state.counts).toEqual(sizes(run.withEnded));
    expect(run.task('y2r').id).toBe(task(run.state.counts.tasks));
  });
});
