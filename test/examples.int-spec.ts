import { describe, expect, it } from '@jest/globals';
import type { WorkflowInput } from '@wfnet/domain';
import { exampleNets, normalizeWorkflow, verifySoundness } from '@wfnet/domain';
import { readFileSync, readdirSync } from 'node:fs';
import { fromPnml } from '../apps/api/src/workflows/pnml.js';

// The repository's examples/ are what a newcomer posts first: each must be accepted as it is, and the
// domain's fixtures of the same names must be these nets.

const json = (name: string): WorkflowInput =>
  JSON.parse(readFileSync(`examples/${name}.json`, 'utf8')) as WorkflowInput;

describe('examples/', () => {
  it.each([
    ['approval', exampleNets.approvalNet],
    ['sequential', exampleNets.sequentialNet],
    ['parallel', exampleNets.parallelNet],
    ['traffic-light', exampleNets.trafficLightNet],
    ['loan-approval', exampleNets.loanApprovalNet],
  ])('%s.json is the net of the domain fixture of that name', (name, fixture) => {
    expect(normalizeWorkflow(json(name))).toEqual(fixture());
  });

  it.each(readdirSync('examples').filter((file) => file.endsWith('.json')))(
    '%s is a sound workflow net',
    (file) => {
      const definition = normalizeWorkflow(json(file.replace(/\.json$/, '')));
      expect(verifySoundness(definition).sound).toBe(true);
    },
  );

  it('traffic-light.pnml is the traffic light of traffic-light.json', () => {
    const pnml = fromPnml(readFileSync('examples/traffic-light.pnml', 'utf8'));
    expect(normalizeWorkflow(pnml)).toEqual(normalizeWorkflow(json('traffic-light')));
  });
});
