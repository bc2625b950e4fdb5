import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { SoundnessReport, WorkflowDefinition } from '@wfnet/domain';
import { correlatedChoicesNet, decisionNet } from '@wfnet/domain/testing';
import type { Client, ErrorBody } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';

jest.setTimeout(20_000);

const ADMIN = 'decisions-verify-admin-key';

/** Optional checks in an or block closed by its or join, after a loop left only when the work is good. */
const checksAfterRetries = (id: string): WorkflowDefinition =>
  decisionNet(
    id,
    {
      begin: [],
      work: [],
      check: [undefined, 'xor'],
      checks: [undefined, 'or'],
      'kyc-check': [],
      'fraud-check': [],
      collect: ['or', undefined, 'checks'],
    },
    [
      ['start', 'begin'],
      ['begin', 'todo'],
      ['todo', 'work'],
      ['work', 'worked'],
      ['worked', 'check'],
      ['check', 'ready', 'output.good == true'],
      ['check', 'todo', 'default'],
      ['ready', 'checks'],
      ['checks', 'kyc', 'case.amount > 5000'],
      ['checks', 'fraud', 'default'],
      ['kyc', 'kyc-check'],
      ['fraud', 'fraud-check'],
      ['kyc-check', 'kyc-done'],
      ['fraud-check', 'fraud-done'],
      ['kyc-done', 'collect'],
      ['fraud-done', 'collect'],
      ['collect', 'end'],
    ],
  );

describe.each(STORE_KINDS)('verifying decisions over HTTP on the %s store', (store: StoreKind) => {
  let service: Service;
  let api: Client;

  beforeAll(async () => {
    service = await startService(store, { env: { WFNET_API_KEYS: `${ADMIN}:admin` } });
    api = service.api.withKey(ADMIN);
  });

  afterAll(() => service.stop());

  it('POST /workflows/verify refuses correlated choices with counterexamples naming the arcs taken', async () => {
    const reply = await api.post<SoundnessReport>('/workflows/verify', correlatedChoicesNet('correlated'));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ sound: false, warnings: [] });
    expect(reply.body.deadlocks).toEqual([
      { firingSequence: ['fork', 'x1#big1', 'x2#small2'], marking: { big1: 1, small2: 1 } },
      { firingSequence: ['fork', 'x1#small1', 'x2#big2'], marking: { small1: 1, big2: 1 } },
    ]);
  });

  it('POST /workflows/verify proves an or block sound and warns of a loop left only by a condition', async () => {
    const reply = await api.post<SoundnessReport>('/workflows/verify', checksAfterRetries('checks'));
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ sound: true, deadlocks: [], deadTransitions: [] });
    expect(reply.body.warnings).toEqual([
      expect.objectContaining({ code: 'conditional_exit_only', ids: ['todo', 'worked', 'work', 'check'] }),
    ]);
  });

  it('POST /workflows refuses correlated choices with unsound_net, the counterexample in details, storing nothing', async () => {
    const reply = await api.post<ErrorBody & { details: SoundnessReport }>(
      '/workflows',
      correlatedChoicesNet('refused-correlated'),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ code: 'unsound_net' });
    expect(reply.body.message).toMatch(/is not sound \(2 deadlocks\).*allowUnsound/);
    expect(reply.body.details.deadlocks[0]?.firingSequence).toEqual(['fork', 'x1#big1', 'x2#small2']);
    expect((await api.get(`/workflows/refused-correlated`)).status).toBe(404);
  });

  it('POST /workflows stores correlated choices with their report when the body says allowUnsound', async () => {
    const created = await api.post<{ soundness: SoundnessReport; arcs: WorkflowDefinition['arcs'] }>(
      '/workflows',
      {
        ...correlatedChoicesNet('allowed-correlated'),
        allowUnsound: true,
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.soundness).toMatchObject({ sound: false, warnings: [] });
    expect(created.body.soundness.deadlocks).toHaveLength(2);
    expect(created.body.arcs).toContainEqual({
      from: 'x1',
      to: 'big1',
      condition: 'case.big == true',
    });
  });

  it('POST /workflows stores a sound decision net without a report', async () => {
    const created = await api.post<Record<string, unknown>>(
      '/workflows',
      checksAfterRetries('stored-checks'),
    );
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('soundness');
  });
});
