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
