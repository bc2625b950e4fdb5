import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { WorkflowInput } from '@wfnet/domain';
import { exampleNets, normalizeWorkflow, verifySoundness } from '@wfnet/domain';
import { readFileSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../apps/api/src/config/config.js';
import { createApp } from '../apps/api/src/main.js';
import { fromPnml } from '../apps/api/src/workflows/pnml.js';

// The repository's examples/ are what a newcomer posts first: each must be accepted as it is, and the
// domain's fixtures of the same names must be these nets.

const json = (name: string): WorkflowInput =>
  JSON.parse(readFileSync(`examples/${name}.json`, 'utf8')) as WorkflowInput;

const jsonFiles = readdirSync('examples').filter((file) => file.endsWith('.json'));

/** The fields about time and failure an example may carry, which the service must keep as written. */
const timeFields = (net: Record<string, unknown>) => ({
  caseTimeout: net['caseTimeout'],
  transitions: (net['transitions'] as Record<string, unknown>[]).map((t) => ({
    id: t['id'],
    executor: t['executor'],
    executorParams: t['executorParams'] ?? {},
    timeouts: t['timeouts'],
    retry: t['retry'],
  })),
});

/** Who may work each transition and what its output must be, which the service must keep as written. */
const peopleFields = (net: Record<string, unknown>) =>
  (net['transitions'] as Record<string, unknown>[]).map((t) => ({
    id: t['id'],
    assignment: t['assignment'],
    separateFrom: t['separateFrom'],
    outputSchema: t['outputSchema'],
  }));

let app: INestApplication;
let base: string;

beforeAll(async () => {
  app = await createApp({ config: loadConfig({ WFNET_EVENT_STORE: 'memory' }) });
  app.useLogger(['error']);
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
});

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

  it.each(jsonFiles)('%s is a sound workflow net', (file) => {
    const definition = normalizeWorkflow(json(file.replace(/\.json$/, '')));
    expect(verifySoundness(definition).sound).toBe(true);
  });

  it.each(jsonFiles)(
    '%s loads with POST /workflows, keeping its timers, timeouts, retry policies, assignments and forms',
    async (file) => {
      const body = readFileSync(`examples/${file}`, 'utf8');
      const posted = await fetch(`${base}/workflows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      // The answer's body on failure says why (an unknown executor, a bad duration).
      expect(posted.status === 201 ? 201 : await posted.text()).toBe(201);
      const { id } = JSON.parse(body) as { id: string };
      const stored = (await (await fetch(`${base}/workflows/${id}`)).json()) as Record<string, unknown>;
      expect(timeFields(stored)).toEqual(timeFields(JSON.parse(body) as Record<string, unknown>));
      expect(peopleFields(stored)).toEqual(peopleFields(JSON.parse(body) as Record<string, unknown>));
    },
  );

  it('traffic-light.pnml is the traffic light of traffic-light.json', () => {
    const pnml = fromPnml(readFileSync('examples/traffic-light.pnml', 'utf8'));
    expect(normalizeWorkflow(pnml)).toEqual(normalizeWorkflow(json('traffic-light')));
  });
});
