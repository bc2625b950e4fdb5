import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { SoundnessReport, WorkflowInput } from '@wfnet/domain';
import type { Client, ErrorBody } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';

jest.setTimeout(20_000);

const ADMIN = 'decisions-verify-admin-key';

/** `[from, to]`, with `'default'` or a condition third for an output arc of a split that decides. */
type ArcRow = readonly [string, string, string?];

const arcsOf = (rows: readonly ArcRow[]): WorkflowInput['arcs'] =>
  rows.map(([from, to, decision]) =>
    decision === undefined
      ? { from, to }
      : decision === 'default'
        ? { from, to, default: true }
        : { from, to, condition: decision },
  );

const placesOf = (ids: readonly string[]): WorkflowInput['places'] =>
  ids.map((id) => ({ id, type: id === 'start' ? 'start' : id === 'end' ? 'end' : 'normal' }));

/** Two xor splits on the same condition in parallel: on data they agree, as free choices they need not. */
const correlatedChoices = (id: string): WorkflowInput => ({
  id,
  places: placesOf(['start', 'p1', 'p2', 'big1', 'small1', 'big2', 'small2', 'end']),
  transitions: [
    { id: 'fork', executor: 'auto', splitType: 'and' },
    { id: 'x1', executor: 'auto', splitType: 'xor' },
    { id: 'x2', executor: 'auto', splitType: 'xor' },
    { id: 'both', executor: 'auto', joinType: 'and' },
    { id: 'neither', executor: 'auto', joinType: 'and' },
  ],
  arcs: arcsOf([
    ['start', 'fork'],
    ['fork', 'p1'],
    ['fork', 'p2'],
    ['p1', 'x1'],
    ['p2', 'x2'],
    ['x1', 'big1', 'case.big == true'],
    ['x1', 'small1', 'default'],
    ['x2', 'big2', 'case.big == true'],
    ['x2', 'small2', 'default'],
    ['big1', 'both'],
    ['big2', 'both'],
    ['small1', 'neither'],
    ['small2', 'neither'],
    ['both', 'end'],
    ['neither', 'end'],
  ]),
});

/** Optional checks in an or block closed by its or join, after a loop left only when the work is good. */
const checksAfterRetries = (id: string): WorkflowInput => ({
  id,
  places: placesOf(['start', 'todo', 'worked', 'ready', 'kyc', 'fraud', 'kyc-done', 'fraud-done', 'end']),
  transitions: [
    { id: 'begin', executor: 'auto' },
    { id: 'work', executor: 'auto' },
    { id: 'check', executor: 'auto', splitType: 'xor' },
    { id: 'checks', executor: 'auto', splitType: 'or' },
    { id: 'kyc-check', executor: 'auto' },
    { id: 'fraud-check', executor: 'auto' },
    { id: 'collect', executor: 'auto', joinType: 'or', orJoin: { split: 'checks' } },
  ],
  arcs: arcsOf([
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
  ]),
});

describe.each(STORE_KINDS)('verifying decisions over HTTP on the %s store', (store: StoreKind) => {
  let service: Service;
  let api: Client;

  beforeAll(async () => {
    service = await startService(store, { env: { WFNET_API_KEYS: `${ADMIN}:admin` } });
    api = service.api.withKey(ADMIN);
  });

  afterAll(() => service.stop());

  it('POST /workflows/verify refuses correlated choices with counterexamples naming the arcs taken', async () => {
    const reply = await api.post<SoundnessReport>('/workflows/verify', correlatedChoices('correlated'));
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
      correlatedChoices('refused-correlated'),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ code: 'unsound_net' });
    expect(reply.body.message).toMatch(/is not sound \(2 deadlocks\).*allowUnsound/);
    expect(reply.body.details.deadlocks[0]?.firingSequence).toEqual(['fork', 'x1#big1', 'x2#small2']);
    expect((await api.get(`/workflows/refused-correlated`)).status).toBe(404);
  });

  it('POST /workflows stores correlated choices with their report when the body says allowUnsound', async () => {
    const created = await api.post<{ soundness: SoundnessReport; arcs: WorkflowInput['arcs'] }>(
      '/workflows',
      {
        ...correlatedChoices('allowed-correlated'),
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
