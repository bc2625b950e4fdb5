import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import type { Service } from './http/harness.js';
import { startService } from './http/harness.js';
import { approval } from './http/nets.js';
import { defineWorkflow } from './http/resources.js';

/**
 * 107 places and 107 transitions with 9,942 arcs between them, alternating in and out: the shape of a
 * net ELK ran on for fourteen minutes. Every node lies on a path from start to end; it is far from sound.
 */
function denseNet(id: string) {
  const size = 107;
  const arcs: { from: string; to: string }[] = [];
  // By distance between indices, so every transition gets inputs and outputs before the count is reached.
  for (let distance = 0; distance < size && arcs.length < 9_942; distance++) {
    for (let t = 0; t < size && arcs.length < 9_942; t++) {
      const p = (t + distance) % size;
      const into = (t + p) % 2 === 0;
      if (into && p !== size - 1) arcs.push({ from: `p${p}`, to: `t${t}` });
      if (!into && p !== 0) arcs.push({ from: `t${t}`, to: `p${p}` });
    }
  }
  return {
    id,
    places: Array.from({ length: size }, (_, p) => ({
      id: `p${p}`,
      type: p === 0 ? 'start' : p === size - 1 ? 'end' : 'normal',
    })),
    transitions: Array.from({ length: size }, (_, t) => ({
      id: `t${t}`,
      executor: 'manual',
      joinType: 'and',
      splitType: 'and',
    })),
    arcs,
    allowUnsound: true,
  };
}

describe('the diagram of a net too dense for ELK', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('memory', {
      env: { WFNET_LAYOUT_TIMEOUT_MS: '1000', WFNET_VERIFY_TIMEOUT_MS: '1000' },
    });
  });

  afterAll(() => service.stop());

  it('is drawn by depth once WFNET_LAYOUT_TIMEOUT_MS runs out, and the next diagram is drawn by ELK at once', async () => {
    const dense = await service.api.post('/workflows', denseNet('dense'));
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
