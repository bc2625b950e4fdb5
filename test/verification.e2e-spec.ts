import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { SoundnessReport, WorkflowDefinition } from '@wfnet/domain';
import { normalizeWorkflow } from '@wfnet/domain';
import {
  choiceAndJoinNet,
  livelockNet,
  parallelNet,
  producerLoopNet,
  trafficLightNet,
} from '@wfnet/domain/testing';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromPnml, toPnml } from '../apps/api/src/workflows/pnml.js';
import type { Client, ErrorBody } from './http/client.js';
import type { Service, StoreKind } from './http/harness.js';
import { STORE_KINDS, startService } from './http/harness.js';

jest.setTimeout(20_000);

const ADMIN = 'verify-admin-key';
const WORKER = 'verify-worker-key';

/** The JSON body of POST /workflows for a definition, under another id so tests do not collide. */
const body = (definition: WorkflowDefinition, id: string): WorkflowDefinition => ({ ...definition, id });
const xml = { 'content-type': 'application/xml' };

describe.each(STORE_KINDS)('verification and PNML over HTTP on the %s store', (store: StoreKind) => {
  let service: Service;
  let api: Client;

  beforeAll(async () => {
    service = await startService(store, { env: { WFNET_API_KEYS: `${ADMIN}:admin,${WORKER}:worker` } });
    api = service.api.withKey(ADMIN);
  });

  afterAll(() => service.stop());

  describe('POST /workflows/verify', () => {
    it('answers the report of a sound net and stores nothing', async () => {
      const reply = await api.post<SoundnessReport>(
        '/workflows/verify',
        body(trafficLightNet(), 'verify-only'),
      );
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ sound: true, deadlocks: [], deadTransitions: [] });
      // Nothing stored under the id: defining it now creates it (201), it does not find it (200).
      expect((await api.post('/workflows', body(trafficLightNet(), 'verify-only'))).status).toBe(201);
    });

    it('answers the counterexamples of an unsound net', async () => {
      const reply = await api.post<SoundnessReport>('/workflows/verify', choiceAndJoinNet());
      expect(reply.status).toBe(200);
      expect(reply.body.sound).toBe(false);
      expect(reply.body.deadlocks).toEqual([
        { firingSequence: ['x'], marking: { l: 1 } },
        { firingSequence: ['y'], marking: { r: 1 } },
      ]);
    });

    it('checks a PNML body too', async () => {
      const reply = await api.post<SoundnessReport>('/workflows/verify', undefined, {
        rawBody: toPnml(livelockNet()),
        headers: xml,
      });
      expect(reply.status).toBe(200);
      expect(reply.body.livelocks).toEqual([{ firingSequence: ['a'], marking: { p: 1 } }]);
    });

    it('answers invalid_net for a net that is not a workflow net', async () => {
      const broken = { ...trafficLightNet(), arcs: [...trafficLightNet().arcs, { from: 'init', to: 'y2r' }] };
      const reply = await api.post<ErrorBody>('/workflows/verify', broken);
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('invalid_net');
    });

    it('is for the admin role, as defining workflows is', async () => {
      const reply = await service.api.withKey(WORKER).post<ErrorBody>('/workflows/verify', trafficLightNet());
      expect(reply.status).toBe(403);
    });
  });

  describe('POST /workflows with an unsound net', () => {
    it('refuses it with unsound_net and the report in details, and stores nothing', async () => {
      const reply = await api.post<ErrorBody & { details: SoundnessReport }>(
        '/workflows',
        body(choiceAndJoinNet(), 'refused-unsound'),
      );
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ statusCode: 400, code: 'unsound_net' });
      expect(reply.body.message).toMatch(/is not sound \(2 deadlocks, 1 dead transition\).*allowUnsound/);
      expect(reply.body.details).toMatchObject({ sound: false, deadTransitions: ['join'] });
      // Nothing stored: another net under the same id is not already_exists.
      expect((await api.post('/workflows', body(parallelNet(), 'refused-unsound'))).status).toBe(201);
    });

    it('stores it with its report when the body says allowUnsound, and GET shows the report', async () => {
      const created = await api.post<{ soundness: SoundnessReport; position: string }>('/workflows', {
        ...body(producerLoopNet(), 'stored-unsound'),
        allowUnsound: true,
      });
      expect(created.status).toBe(201);
      expect(created.body.soundness.unboundedPlaces.map((u) => u.place)).toEqual(['buf']);
      const read = await api.get<{ soundness: SoundnessReport }>(
        `/workflows/stored-unsound?waitFor=${created.body.position}`,
      );
      expect(read.status).toBe(200);
      expect(read.body.soundness).toEqual(created.body.soundness);
    });

    it('stores a sound net without a report', async () => {
      const created = await api.post<Record<string, unknown>>(
        '/workflows',
        body(parallelNet(), 'stored-sound'),
      );
      expect(created.status).toBe(201);
      expect(created.body).not.toHaveProperty('soundness');
    });
  });

  describe('PNML', () => {
    it('imports a PNML body and exports it again, equal, for Accept: application/xml', async () => {
      const definition = { ...trafficLightNet(), id: 'pnml-lights', name: 'Ampel & <Licht>' };
      const created = await api.post<{ position: string }>('/workflows', undefined, {
        rawBody: toPnml(definition),
        headers: xml,
      });
      expect(created.status).toBe(201);
      const exported = await api.get(`/workflows/pnml-lights?waitFor=${created.body.position}`, {
        headers: { accept: 'application/xml' },
      });
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-type')).toMatch(/^application\/xml/);
      expect(normalizeWorkflow(fromPnml(exported.text))).toEqual(definition);
    });

    it('exports PNML for the id with .pnml, and JSON by default', async () => {
      const created = await api.post<{ position: string }>(
        '/workflows',
        body(parallelNet(), 'pnml-parallel'),
      );
      const asFile = await api.get(`/workflows/pnml-parallel.pnml?waitFor=${created.body.position}`);
      expect(asFile.status).toBe(200);
      expect(normalizeWorkflow(fromPnml(asFile.text))).toEqual(body(parallelNet(), 'pnml-parallel'));
      const asJson = await api.get<{ id: string }>('/workflows/pnml-parallel');
      expect(asJson.headers.get('content-type')).toMatch(/^application\/json/);
      expect(asJson.body.id).toBe('pnml-parallel');
      expect((await api.get('/workflows/no-such-net.pnml')).status).toBe(404);
    });

    it('refuses an unsound PNML net unless ?allowUnsound=true', async () => {
      const pnml = toPnml(body(livelockNet(), 'pnml-livelock'));
      const refused = await api.post<ErrorBody>('/workflows', undefined, { rawBody: pnml, headers: xml });
      expect(refused.body.code).toBe('unsound_net');
      const stored = await api.post('/workflows?allowUnsound=true', undefined, {
        rawBody: pnml,
        headers: xml,
      });
      expect(stored.status).toBe(201);
    });

    it.each<[string, string, RegExp]>([
      [
        'entity expansion',
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><pnml><net id="&b;"/></pnml>',
        /DTDs and entities are not accepted/,
      ],
      ['malformed XML', '<pnml><net id="n"></pnml>', /not well-formed XML/],
      ['XML that is not PNML', '<svg xmlns="http://www.w3.org/2000/svg"/>', /not PNML/],
    ])('answers 400 validation_failed for %s', async (_name, document, message) => {
      const reply = await api.post<ErrorBody>('/workflows', undefined, { rawBody: document, headers: xml });
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('validation_failed');
      expect(reply.body.message).toMatch(message);
    });

    it('answers 413 for an XML body over 1 MiB', async () => {
      const huge = `<pnml><net id="n"><name><text>${'x'.repeat(1024 * 1024)}</text></name></net></pnml>`;
      const reply = await api.post<ErrorBody>('/workflows', undefined, { rawBody: huge, headers: xml });
      expect(reply.status).toBe(413);
      expect(reply.body.code).toBe('payload_too_large');
    });

    it('refuses a body of any other type with 415, JSON sent as text/plain included', async () => {
      const reply = await api.post<ErrorBody>('/workflows', undefined, {
        rawBody: JSON.stringify(body(trafficLightNet(), 'json-as-text')),
        headers: { 'content-type': 'text/plain' },
      });
      expect(reply.status).toBe(415);
      expect(reply.body.code).toBe('unsupported_media_type');
      expect((await api.get('/workflows/json-as-text')).status).toBe(404);
    });
  });
});

/**
 * Twelve parallel branches of 74 steps, one of which may also go straight to end: 1,793 nodes, unsound.
 * Reduction shows a problem at once, and the counterexamples then come from exploring the net's own
 * 100,000 markings: seconds of work. Without the shortcut the net is sound, proven by reduction at once.
 */
function wideNetWithShortcut(id: string, shortcut = true): WorkflowDefinition {
  const branches = 12;
  const steps = 74;
  const places: { id: string; type?: 'start' | 'end' }[] = [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end' },
  ];
  const transitions: { id: string; executor: string; joinType?: 'and'; splitType?: 'and' }[] = [
    { id: 'split', executor: 'manual', splitType: 'and' },
    { id: 'join', executor: 'manual', joinType: 'and' },
  ];
  const arcs = [
    { from: 'start', to: 'split' },
    { from: 'join', to: 'end' },
  ];
  if (shortcut) {
    transitions.push({ id: 'shortcut', executor: 'manual' });
    arcs.push({ from: `b0p${steps}`, to: 'shortcut' }, { from: 'shortcut', to: 'end' });
  }
  for (let b = 0; b < branches; b++) {
    for (let s = 0; s <= steps; s++) places.push({ id: `b${b}p${s}` });
    arcs.push({ from: 'split', to: `b${b}p0` }, { from: `b${b}p${steps}`, to: 'join' });
    for (let s = 0; s < steps; s++) {
      transitions.push({ id: `b${b}t${s}`, executor: 'manual' });
      arcs.push({ from: `b${b}p${s}`, to: `b${b}t${s}` }, { from: `b${b}t${s}`, to: `b${b}p${s + 1}` });
    }
  }
  return normalizeWorkflow({ id, places, transitions, arcs });
}

describe('verifying a net that takes seconds', () => {
  let service: Service;

  afterAll(() => service.stop());

  it('leaves the event loop free: GET /health answers at once all along', async () => {
    service = await startService('memory', { env: { WFNET_VERIFY_TIMEOUT_MS: '60000' } });
    const net = wideNetWithShortcut('wide-verified');
    expect(net.places.length + net.transitions.length).toBe(1_793);
    // Reading and checking a body this size takes its own time on the loop (class-validator, at first
    // most): done once before, it leaves the verification to measure.
    const warmUp = await service.api.post<SoundnessReport>(
      '/workflows/verify',
      wideNetWithShortcut('wide', false),
    );
    expect(warmUp.body.sound).toBe(true);
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    let verified = false;
    const verifying = service.api.post<SoundnessReport>('/workflows/verify', net).finally(() => {
      verified = true;
    });
    const healthMs: number[] = [];
    while (!verified) {
      const asked = performance.now();
      expect((await service.api.get('/health')).status).toBe(200);
      healthMs.push(performance.now() - asked);
      await sleep(50);
    }
    const reply = await verifying;
    loopDelay.disable();
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ sound: false, complete: false, method: 'state-space' });
    expect(reply.body.statesExplored).toBeGreaterThan(100_000);
    // Asked again and again while the verification ran (seconds), each answered within a fraction of one.
    expect(healthMs.length).toBeGreaterThan(10);
    expect(Math.max(...healthMs)).toBeLessThan(750);
    // The one long stall left is reading and checking the request's body, before the verification starts.
    expect(loopDelay.percentile(99) / 1e6).toBeLessThan(250);
  }, 60_000);

  it('stops at WFNET_VERIFY_TIMEOUT_MS, saying so, and POST /workflows refuses what it could not decide', async () => {
    await service.stop();
    service = await startService('memory', { env: { WFNET_VERIFY_TIMEOUT_MS: '300' } });
    const asked = performance.now();
    const reply = await service.api.post<SoundnessReport & { timedOut?: boolean }>(
      '/workflows/verify',
      wideNetWithShortcut('wide-timed-out'),
    );
    expect(performance.now() - asked).toBeLessThan(2_500);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ complete: false, timedOut: true });
    expect(reply.body.statesExplored).toBeLessThan(100_000);

    const refused = await service.api.post<ErrorBody>('/workflows', wideNetWithShortcut('wide-refused'));
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('unsound_net');
    const stored = await service.api.post<{ soundness: SoundnessReport }>('/workflows', {
      ...wideNetWithShortcut('wide-stored'),
      allowUnsound: true,
    });
    expect(stored.status).toBe(201);
    expect(stored.body.soundness.complete).toBe(false);
  }, 30_000);
});
