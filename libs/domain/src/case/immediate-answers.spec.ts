import { describe, expect, it } from '@jest/globals';
import { approvalNet, parallelNet, sequentialNet, trafficLightNet } from '../net/fixtures.js';
import { normalizeWorkflow } from '../net/normalize.js';
import { competingJoinNet, ids, immediateBuiltIns, startCase, twoTokensNet } from '../testing/index.js';
import { MAX_IMMEDIATE_ANSWERS } from './decide.js';

const { workitem } = ids;

/** `start → init → p`, then `again` (auto) puts the token back in `p` for ever, unless `stop` (manual) takes it. */
const endlessLoopNet = () =>
  normalizeWorkflow({
    id: 'endless',
    places: [{ id: 'start', type: 'start' }, { id: 'p' }, { id: 'end', type: 'end' }],
    transitions: [
      { id: 'init', executor: 'auto' },
      { id: 'again', executor: 'auto' },
      { id: 'stop', executor: 'manual' },
    ],
    arcs: [
      { from: 'start', to: 'init' },
      { from: 'init', to: 'p' },
      { from: 'p', to: 'again' },
      { from: 'again', to: 'p' },
      { from: 'p', to: 'stop' },
      { from: 'stop', to: 'end' },
    ],
  });

describe('immediate answers (auto completes, manual starts, in the command that creates the workitem)', () => {
  it.each([
    ['sequential', sequentialNet],
    ['parallel', parallelNet],
    ['approval', approvalNet],
    ['traffic light', trafficLightNet],
    ['two tokens', twoTokensNet],
    ['competing join', competingJoinNet],
  ])('%s: CreateCase records the history the dispatcher would have built over several commands', (_, net) => {
    const byDispatcher = startCase(net());
    const immediate = startCase(net(), { options: immediateBuiltIns, runExecutors: false });

    expect(immediate.history).toEqual(byDispatcher.history);
  });

  it('a net of auto steps finishes in its CreateCase', () => {
    const run = startCase(sequentialNet(), { options: immediateBuiltIns, runExecutors: false });

    expect(run.state.status).toBe('finished');
    expect(run.history.filter((e) => e.type === 'WorkitemUpdated')).toHaveLength(2);
  });

  it(`a loop of auto steps stops after ${MAX_IMMEDIATE_ANSWERS} answers, leaving the next workitem created for its executor`, () => {
    const run = startCase(endlessLoopNet(), { options: immediateBuiltIns, runExecutors: false });

    const answered = run.history.filter((e) => e.type === 'WorkitemUpdated' && e.data.state !== 'abandoned');
    expect(answered).toHaveLength(MAX_IMMEDIATE_ANSWERS);
    expect(run.state.status).toBe('active');
    expect(run.workitem('again').state).toBe('created');

    // The executor's answer, sent as a command, gets another bounded run of immediate answers.
    const next = run.send({
      type: 'UpdateWorkitem',
      data: {
        caseId: run.caseId,
        workitemId: run.workitem('again').id,
        state: 'completed',
        output: null,
        at: run.history[0]!.data.at,
      },
    });
    const answeredNext = next.filter((e) => e.type === 'WorkitemUpdated' && e.data.state !== 'abandoned');
    expect(answeredNext).toHaveLength(1 + MAX_IMMEDIATE_ANSWERS);
  });

  it('an executor without an immediate answer is left its workitem, created', () => {
    const run = startCase(approvalNet(), {
      options: {
        immediateAnswer: (request, t) =>
          t.executor === 'auto' ? immediateBuiltIns.immediateAnswer!(request, t) : undefined,
      },
      runExecutors: false,
    });

    expect(run.workitem('approve').state).toBe('created');
    expect(run.workitem('reject').state).toBe('created');
    expect(run.withEnded.workitems.get(workitem(1))?.state).toBe('completed');
  });
});
