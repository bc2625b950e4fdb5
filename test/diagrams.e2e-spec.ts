import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import { approval } from './http/nets.js';
import { defineWorkflow } from './http/resources.js';
import { denseNet } from '@wfnet/domain/testing';

/** The dense net, as a body `POST /workflows` stores although it is unsound. */
const denseBody = (id: string) => ({ ...denseNet(id), allowUnsound: true });

describe('the diagram of a net too dense for ELK', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory', {
      env: { WFNET_LAYOUT_TIMEOUT_MS: '1000', WFNET_VERIFY_TIMEOUT_MS: '1000' },
    });
  });

  afterAll(() => service.stop());

  it('is drawn by depth once WFNET_LAYOUT_TIMEOUT_MS runs out, and the next diagram is drawn by ELK at once', async () => {
    const dense = await service.api.post('/workflows', denseBody('dense'));
    expect(dense.status).toBe(201);
    await defineWorkflow(service.api, approval());

    const asked = performance.now();
    const picture = await service.api.get<string>('/workflows/dense/diagram.svg');
    expect(performance.now() - asked).toBeLessThan(4_000);
    expect(picture.status).toBe(200);
    expect(picture.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(picture.text).toMatch(/^<svg [^>]*data-layout="by-depth"/);
    expect(picture.text.match(/data-place="/g)).toHaveLength(107);
    expect(picture.text.match(/data-transition="/g)).toHaveLength(107);
    expect(picture.text.match(/<path class="arc"/g)).toHaveLength(9_942);

    const next = performance.now();
    const small = await service.api.get<string>('/workflows/approval/diagram.svg');
    expect(performance.now() - next).toBeLessThan(3_000);
    expect(small.status).toBe(200);
    expect(small.text).not.toContain('data-layout');
  }, 30_000);
});
